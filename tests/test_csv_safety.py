"""Spreadsheet formulas typed into a text field are neutralised in every CSV cell."""

import pytest
from django.db import connection

from common.csvsafe import spreadsheet_safe, spreadsheet_safe_sql

CASES = [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+64 21 555", "'+64 21 555"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Burst main", "Burst main"),
    ("", ""),
    ("a=b", "a=b"),
]


@pytest.mark.parametrize(("typed", "written"), CASES)
def test_spreadsheet_safe_neutralises_formula_starts(typed, written):
    assert spreadsheet_safe(typed) == written


def test_spreadsheet_safe_leaves_numbers_and_missing_values_alone():
    assert spreadsheet_safe(-3) == -3 and spreadsheet_safe(None) is None


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "written"), CASES)
def test_the_sql_rule_is_the_python_rule(typed, written):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {spreadsheet_safe_sql('t.v')} FROM (SELECT %s::text AS v) AS t", [typed])
        assert cursor.fetchone()[0] == written
