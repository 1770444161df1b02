"""Text someone typed, made safe to open in a spreadsheet (OWASP's CSV injection advice): a cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as a formula,
so it gets a leading apostrophe, which spreadsheets show as text. Used by every CSV export, in
Python (``spreadsheet_safe``) and in PostgreSQL's ``COPY`` (``spreadsheet_safe_sql``)."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value, with an apostrophe first when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe_sql(column: str) -> str:
    """The same rule as SQL, for a text column in a ``COPY ... TO STDOUT`` select list."""
    return (f"CASE WHEN left({column}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
            f"THEN '''' || {column} ELSE {column} END")
