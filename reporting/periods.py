"""Reporting periods in New Zealand time: a financial year (1 July to 30 June), a quarter
or a month. A period is half-open, ``start <= t < end``, so a job notified at 30 June
23:50 NZST falls in the year that ends that night and one at 1 July 00:10 in the next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

_KINDS = ("year", "quarter", "month")
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]


def _local(year: int, month: int) -> datetime:
    return timezone.make_aware(datetime(year, month, 1), timezone.get_default_timezone())


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    kind: str  # year, quarter or month
    year: int  # calendar year of the first month
    month: int  # first month (1-12)

    @property
    def months(self) -> int:
        return {"year": 12, "quarter": 3, "month": 1}[self.kind]

    @property
    def start(self) -> datetime:
        return _local(self.year, self.month)

    @property
    def end(self) -> datetime:
        return _local(*_add_months(self.year, self.month, self.months))

    @property
    def financial_year(self) -> int:
        return self.year if self.month >= 7 else self.year - 1

    @property
    def key(self) -> str:
        """The form in URLs: FY2025, FY2025-Q2, 2025-10."""
        if self.kind == "year":
            return f"FY{self.year}"
        if self.kind == "quarter":
            return f"FY{self.financial_year}-Q{self.quarter}"
        return f"{self.year}-{self.month:02d}"

    @property
    def quarter(self) -> int:
        return (self.month - 7) % 12 // 3 + 1

    @property
    def label(self) -> str:
        fy = f"{self.financial_year}/{(self.financial_year + 1) % 100:02d}"
        if self.kind == "year":
            return f"financial year {fy}"
        if self.kind == "quarter":
            return f"Q{self.quarter} of {fy}"
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"

    def previous(self) -> Period:
        return Period(self.kind, *_add_months(self.year, self.month, -self.months))

    def month_starts(self) -> list[tuple[int, int]]:
        return [_add_months(self.year, self.month, n) for n in range(self.months)]

    def __str__(self) -> str:
        return self.label


def fy(year: int) -> Period:
    return Period("year", year, 7)


def month(year: int, month_number: int) -> Period:
    return Period("month", year, month_number)


def period_parse(key: str) -> Period:
    """FY2025, FY2025-Q3 or 2025-10; ValueError for anything else."""
    if match := re.fullmatch(r"FY(\d{4})", key or ""):
        return fy(int(match[1]))
    if match := re.fullmatch(r"FY(\d{4})-Q([1-4])", key or ""):
        first = _add_months(int(match[1]), 7, 3 * (int(match[2]) - 1))
        return Period("quarter", *first)
    if match := re.fullmatch(r"(\d{4})-(\d{2})", key or ""):
        if 1 <= int(match[2]) <= 12:
            return month(int(match[1]), int(match[2]))
    raise ValueError(f"Not a period: {key!r}")


def period_containing(moment: datetime | date, kind: str = "month") -> Period:
    local = timezone.localtime(moment) if isinstance(moment, datetime) else moment
    if kind == "year":
        return fy(local.year if local.month >= 7 else local.year - 1)
    if kind == "quarter":
        fy_start = local.year if local.month >= 7 else local.year - 1
        return Period("quarter", *_add_months(fy_start, 7, ((local.month - 7) % 12) // 3 * 3))
    return month(local.year, local.month)


def last_complete(kind: str, now: datetime | None = None) -> Period:
    """The last period of this kind that has ended."""
    return period_containing(now or timezone.now(), kind).previous()


def period_choices(now: datetime | None = None) -> list[tuple[str, str]]:
    """The periods offered in the forms: the last three financial years, quarters, 24 months."""
    now = now or timezone.now()
    current_year = period_containing(now, "year")
    years = [current_year]
    for _ in range(2):
        years.append(years[-1].previous())
    quarters = [period_containing(now, "quarter")]
    for _ in range(7):
        quarters.append(quarters[-1].previous())
    months = [period_containing(now, "month")]
    for _ in range(23):
        months.append(months[-1].previous())
    return [(p.key, p.label[0].upper() + p.label[1:]) for p in years + quarters + months]
