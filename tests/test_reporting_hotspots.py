"""The Poisson hotspot rule on a crafted series, and the insights' stated rules."""

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from jobs.enums import JobStatus
from reporting.hotspots import hotspot_candidates, hotspots, poisson_tail
from reporting.insights import largest_rise
from reporting.periods import month
from tests.factories import CategoryFactory, JobFactory, SuburbFactory

NZ = ZoneInfo("Pacific/Auckland")


def test_poisson_tail_matches_the_textbook_values():
    # P(X >= 0) is certain; P(X >= 1 | 2) = 1 - e^-2.
    assert poisson_tail(0, 3.0) == 1.0
    assert math.isclose(poisson_tail(1, 2.0), 1 - math.exp(-2), rel_tol=1e-12)
    # P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2).
    assert math.isclose(poisson_tail(3, 1.0), 1 - math.exp(-1) * 2.5, rel_tol=1e-12)
    # Far in the tail: P(X >= 14 | 4.2), summed directly, about 1.0e-4.
    direct = sum(math.exp(-4.2) * 4.2 ** k / math.factorial(k) for k in range(14, 80))
    assert math.isclose(poisson_tail(14, 4.2), direct, rel_tol=1e-9)
    assert poisson_tail(3, 0.0) == 0.0


@pytest.fixture
def series(council, casemanager_user):
    """Karori: one burst a month for a year, then 9 in October. Kelburn: 2 a month, then 4.
    Brooklyn: nothing for a year, then 2 (too few to flag however unlikely)."""
    burst = CategoryFactory(service="water_supply", name="Water main burst")
    karori = SuburbFactory(council=council, name="Karori")
    kelburn = SuburbFactory(council=council, name="Kelburn")
    brooklyn = SuburbFactory(council=council, name="Brooklyn")

    def jobs(suburb, year, month_number, count):
        for n in range(count):
            JobFactory(council=council, suburb=suburb, category=burst, service="water_supply",
                       notified_at=dt.datetime(year, month_number, 3 + n, 9, tzinfo=NZ), created_by=casemanager_user,
                       status=JobStatus.CLOSED)

    for back in range(12):  # October 2024 to September 2025
        year, month_number = (2024, 10 + back) if back < 3 else (2025, back - 2)
        jobs(karori, year, month_number, 1)
        jobs(kelburn, year, month_number, 2)
    jobs(karori, 2025, 10, 9)
    jobs(kelburn, 2025, 10, 4)
    jobs(brooklyn, 2025, 10, 2)
    # A cancelled job never counts.
    JobFactory(council=council, suburb=karori, category=burst, notified_at=dt.datetime(2025, 10, 20, tzinfo=NZ),
               status=JobStatus.CANCELLED, created_by=casemanager_user)
    return {"karori": karori, "kelburn": kelburn, "brooklyn": brooklyn}


def test_hotspot_flagged_by_hand(series, council):
    october = month(2025, 10)
    found = {h.suburb: h for h in hotspot_candidates(period=october, council_id=council.pk)}
    # 36 jobs a year in the service: the seasonal factor is October 2024's share, 3 / (36 / 12) = 1.
    karori = found["Karori"]
    assert karori.count == 9 and karori.expected == 1.0
    assert math.isclose(karori.p_value, poisson_tail(9, 1.0))
    assert found["Kelburn"].expected == 2.0 and found["Kelburn"].count == 4
    assert found["Brooklyn"].expected == 0.1  # the floor: 0.1 a month
    flagged = hotspots(period=october, council_id=council.pk)
    # Karori: P(X >= 9 | 1) ~ 1e-6 < 0.01. Kelburn: P(X >= 4 | 2) ~ 0.14. Brooklyn: only 2 jobs.
    assert [h.suburb for h in flagged] == ["Karori"]
    assert flagged[0].sentence == ("Karori: 9 water main bursts in October against 1.0 expected. "
                                   "Consider the mains for renewal.")


def test_hotspot_threshold_is_a_setting(series, council, settings):
    settings.HOTSPOT_P_VALUE = 0.2
    assert {h.suburb for h in hotspots(period=month(2025, 10), council_id=council.pk)} == {"Karori", "Kelburn"}


def test_largest_rise_rule():
    assert largest_rise([("Leak", 10, 9), ("Low pressure", 42, 18), ("Burst main", 30, 5)]).text == (
        "Enquiries about burst main rose most: 30 against 5 in the previous period (+500 %).")
    assert largest_rise([("Leak", 6, 4)]) is None  # fewer than 5 more
