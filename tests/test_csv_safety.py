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


def _typed_formula_job(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak):
    from datetime import timedelta

    from django.utils import timezone

    from jobs import services
    from tests.factories import EnquiryFactory

    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                             received_at=timezone.now() - timedelta(hours=5))
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
    job = services.job_record_arrival(job=job, by=crew_user)
    return services.job_exclude_from_measures(job=job, reason='=HYPERLINK("http://evil.example","x")',
                                              by=casemanager_user)


@pytest.mark.django_db
def test_the_jobs_export_neutralises_a_typed_formula(council, suburb, leak, casemanager_user, crew_user, contractor,
                                                     p2, main_leak, analyst_user, client_for):
    import csv
    import io

    from django.urls import reverse
    from django.utils import timezone

    job = _typed_formula_job(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak)
    today = timezone.localdate()
    response = client_for(analyst_user).get(reverse("reporting:export-jobs"), {
        "council": council.pk, "period": f"FY{today.year - (today.month < 7)}"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r["reference"] == job.reference)
    assert row["excluded_reason"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
