"""The DIA measures on a crafted data set whose figures are worked out by hand below."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from enquiries.enums import DiaComplaintCategory
from jobs.enums import CancelReason, JobStatus, KpiClass
from jobs.models import Classification, ConnectionCount
from reporting.measures import dia_measures, dia_measures_every_council, figure_job_ids, median
from reporting.periods import fy, month, period_containing, period_parse
from tests.factories import CategoryFactory, EnquiryFactory, IssueTypeFactory, JobFactory, PriorityFactory

NZ = ZoneInfo("Pacific/Auckland")


def nz(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NZ)


def test_median_odd_and_even_counts():
    assert median([]) is None
    assert median([60, 30, 45]) == 45
    assert median([30, 60, 45, 20]) == 37.5  # mean of the two middle values


def test_period_boundaries_in_nz_time():
    year = fy(2025)
    assert year.start == nz(2025, 7, 1) and year.end == nz(2026, 7, 1)
    assert year.start <= nz(2026, 6, 30, 23, 50) < year.end  # 30 June 23:50 NZST: this year
    assert not (nz(2026, 7, 1, 0, 10) < year.end)  # 1 July 00:10: the next one
    assert period_parse("FY2025-Q4").start == nz(2026, 4, 1)
    assert period_containing(nz(2026, 2, 3), "quarter").key == "FY2025-Q3"
    assert month(2025, 12).previous().key == "2025-11" and month(2025, 1).previous().key == "2024-12"
    with pytest.raises(ValueError):
        period_parse("2025-13")


@pytest.fixture
def crafted(council, other_council, suburb, other_suburb, casemanager_user):
    urgent = PriorityFactory(name="P2", is_urgent=True)
    routine = PriorityFactory(name="P4", label="Planned", is_urgent=False, attendance_target_hours=36,
                              resolution_target_hours=120)
    fault = CategoryFactory(service="water_supply", name="Water main leak")
    ConnectionCount.objects.create(council=council, service="water_supply", financial_year=2025, connections=2000)

    def job(notified, *, priority=urgent, attended=None, completed=None, **kwargs):
        kwargs.setdefault("council", council)
        kwargs.setdefault("suburb", suburb if kwargs["council"] == council else other_suburb)
        return JobFactory(notified_at=notified, priority=priority, category=fault, attended_at=attended,
                          completed_at=completed, created_by=casemanager_user,
                          status=kwargs.pop("status", JobStatus.CLOSED if completed else
                                            JobStatus.ATTENDED if attended else JobStatus.DISPATCHED), **kwargs)

    t = nz(2025, 8, 1, 10)
    jobs = {
        # Urgent: 30, 45 and 60 minutes (H, reclassified on site, counts wholly as non-urgent).
        "A": job(t, attended=t + dt.timedelta(minutes=30), completed=t + dt.timedelta(hours=4)),
        "B": job(nz(2025, 9, 1, 10), attended=nz(2025, 9, 1, 11), completed=nz(2025, 9, 1, 16)),
        "C": job(nz(2025, 10, 1, 10), attended=nz(2025, 10, 1, 10, 45), completed=nz(2025, 10, 1, 12)),
        # Not yet attended: left out of both urgent medians, counted beside them.
        "D": job(nz(2025, 11, 1, 10)),
        # Non-urgent: 30 June 23:50 NZST is in FY2025; arrival 120 min later; resolved 24 h 10 min later.
        "E": job(nz(2026, 6, 30, 23, 50), priority=routine, attended=nz(2026, 7, 1, 1, 50),
                 completed=nz(2026, 7, 2, 0, 0)),
        # 1 July 00:10 is FY2026: not counted in FY2025 at all.
        "F": job(nz(2026, 7, 1, 0, 10), priority=routine, attended=nz(2026, 7, 1, 0, 20),
                 completed=nz(2026, 7, 1, 1, 10)),
        "G": job(nz(2026, 1, 10, 8), priority=routine, attended=nz(2026, 1, 10, 9), completed=nz(2026, 1, 11, 8)),
        # Cancelled (never counted) even with times that would move the medians.
        "I": job(nz(2025, 8, 5, 9), attended=nz(2025, 8, 5, 9, 1), completed=nz(2025, 8, 5, 9, 2),
                 status=JobStatus.CANCELLED, cancel_reason=CancelReason.NO_FAULT),
        # Excluded from the measures, with a reason: counted beside, not in the median.
        "J": job(nz(2025, 8, 6, 9), attended=nz(2025, 8, 6, 17, 20), completed=nz(2025, 8, 7, 9),
                 excluded_from_measures=True, excluded_reason="Private pipe"),
        # Another council: not in this council's figures.
        "K": job(nz(2025, 8, 7, 9), council=other_council, attended=nz(2025, 8, 7, 9, 1),
                 completed=nz(2025, 8, 7, 9, 2)),
    }
    # H: urgent when the crew arrived (20 min), made non-urgent on site with a reason, resolved 10 h after
    # notification: it counts under its classification now, non-urgent, for attendance and resolution alike.
    h0 = nz(2025, 12, 1, 8)
    jobs["H"] = job(h0, priority=routine, attended=h0 + dt.timedelta(minutes=20),
                    completed=h0 + dt.timedelta(hours=10))
    Classification.objects.create(job=jobs["H"], at=h0 + dt.timedelta(minutes=5), category=fault, priority=urgent,
                                  is_urgent=True, kpi_class=KpiClass.WATER_FAULT)
    Classification.objects.create(job=jobs["H"], at=h0 + dt.timedelta(hours=1), category=fault, priority=routine,
                                  is_urgent=False, kpi_class=KpiClass.WATER_FAULT, reason="Slow seep")
    # Complaints: three taste enquiries in the year, one just after it, one not a DIA matter.
    taste = IssueTypeFactory(service="water_supply", code="water_taste", dia_category=DiaComplaintCategory.WATER_TASTE)
    plain = IssueTypeFactory(service="water_supply", code="leak")
    for received in (nz(2025, 7, 1, 0, 5), nz(2025, 12, 24, 9), nz(2026, 6, 30, 23, 59)):
        EnquiryFactory(council=council, suburb=suburb, issue_type=taste, received_at=received)
    EnquiryFactory(council=council, suburb=suburb, issue_type=taste, received_at=nz(2026, 7, 1, 0, 10))
    EnquiryFactory(council=council, suburb=suburb, issue_type=plain, received_at=nz(2025, 9, 9, 9))
    return jobs


def test_water_medians_by_hand(crafted, council):
    water = dia_measures(period=fy(2025), council_id=council.pk, services=["water_supply"])[0]
    urgent_attendance = water.figure("water-urgent-attendance")
    # A 30, C 45, B 60: odd count, the middle one.
    assert urgent_attendance.value == 45.0 and urgent_attendance.counted == 3
    assert urgent_attendance.pending == 1  # D not yet attended
    assert urgent_attendance.excluded == 1  # J
    # A 4 h, B 6 h, C 2 h: odd count, the middle one.
    urgent_resolution = water.figure("water-urgent-resolution")
    assert urgent_resolution.value == 4.0 and urgent_resolution.counted == 3 and urgent_resolution.pending == 1
    # H 20, G 60, E 120: the middle one.
    assert water.figure("water-nonurgent-attendance").value == 60.0
    # H 10 h, G 24 h, E 24 h 10 min: the middle one is 24.0.
    nonurgent_resolution = water.figure("water-nonurgent-resolution")
    assert nonurgent_resolution.value == 24.0 and nonurgent_resolution.counted == 3
    # Population: A B C D E G H J (not I cancelled, F next year, K other council).
    assert water.population == 8 and water.excluded == 1
    assert water.figure("water-urgent-attendance").display == "45 min"
    assert water.figure("water-nonurgent-resolution").display == "24.0 h"


def test_complaints_per_thousand_connections_by_hand(crafted, council):
    water = dia_measures(period=fy(2025), council_id=council.pk, services=["water_supply"])[0]
    taste = water.figure("complaints-water_taste")
    assert taste.numerator == 3 and taste.connections == 2000
    assert taste.value == 1.5  # 3 / 2000 * 1000
    assert water.figure("complaints-water_supply").value == 1.5
    assert water.figure("complaints-water_clarity").value == 0.0


def test_next_year_counts_the_job_notified_at_ten_past_midnight(crafted, council):
    water = dia_measures(period=fy(2026), council_id=council.pk, services=["water_supply"])[0]
    assert water.population == 1
    assert water.figure("water-nonurgent-attendance").value == 10.0  # F: 00:10 to 00:20


def test_figure_lists_the_jobs_behind_it(crafted, council):
    ids = figure_job_ids(key="water-urgent-attendance", period=fy(2025), council_id=council.pk,
                         service="water_supply")
    assert sorted(ids) == sorted(crafted[k].pk for k in "ABC")


def test_every_council_and_service_in_one_pass(crafted, council, other_council, django_assert_max_num_queries):
    # On PostgreSQL the water medians are aggregated in SQL; one query each for the councils, jobs,
    # DIA enquiries, DIA complaints (the complaints app), connection counts and the two medians;
    # on PostgreSQL one more sets the analytic session (JIT off, sort memory: reporting.fast.analytic),
    # and the stored months (reporting.rollups) are read, found stale (this test's transaction wrote
    # the jobs) and, as a writing transaction may not store them, locked for none: two more.
    with django_assert_max_num_queries(10):
        every = dia_measures_every_council(period=fy(2025))
    one = dia_measures(period=fy(2025), council_id=council.pk, services=["water_supply"])[0]
    water = every[(council.pk, "water_supply")]
    # The same figures either way: hand-worked above, and by the SQL aggregate.
    assert [(f.key, f.value, f.counted, f.pending, f.excluded) for f in water.figures] == [
        (f.key, f.value, f.counted, f.pending, f.excluded) for f in one.figures]
    assert (water.population, water.excluded) == (8, 1)
    assert every[(other_council.pk, "water_supply")].figure("water-urgent-attendance").value == 1.0
    assert every[(council.pk, "wastewater")].population == 0


def test_stage_durations_median_by_hand(crafted, council):
    from reporting.selectors import Scope, stage_durations

    stages = {s["stage"]: s for s in stage_durations(scope=Scope(council.pk, ["water_supply"], fy(2025)))}
    # Notification to arrival: H 20, A 30, C 45, B 60, G 60, E 120, J 500 minutes: the middle is 60.
    assert stages["Enquiry"]["count"] == 7 and stages["Enquiry"]["median_hours"] == 1.0
