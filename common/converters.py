"""Path converters: a URL that cannot name a record never reaches a view or the database.

A NUL or a 10,000-character "reference" simply matches no pattern and answers 404.
"""

from django.urls import register_converter


class ReferenceConverter:
    """A record's reference such as ENQ-2026-000123 or JOB-2026-000045."""

    regex = r"[A-Z][A-Z0-9]{1,7}-[0-9]{4}-[0-9]{1,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class PrimaryKeyConverter:
    """A database id: at most 18 digits, so it always fits a 64-bit column."""

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(ReferenceConverter, "ref")
    register_converter(PrimaryKeyConverter, "pk")
