"""On PostgreSQL the measures are aggregated in SQL (``reporting.fast``); they must give exactly
the figures of the Python definitions (``reporting.measures``, the path SQLite takes) on a data
set random enough to reach every rule: reclassified jobs, waiting and excluded jobs, cancelled
ones, even and odd counts, times with microseconds, assessments with wet and dry weather and
faults of another service, flooding events over several jobs with their properties."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from enquiries.enums import Service
from jobs.enums import JobSource, JobStatus, KpiClass
from jobs.models import Assessment, Classification, FloodedProperty, FloodingEvent
from reporting import fast
from reporting.measures import dia_measures, dia_measures_every_council
from reporting.periods import fy
from reporting.selectors import Scope, stage_durations
from tests.factories import CategoryFactory, FaultTypeFactory, JobFactory, PriorityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NZ = ZoneInfo("Pacific/Auckland")
KPI = {Service.WATER_SUPPLY: KpiClass.WATER_FAULT, Service.WASTEWATER: KpiClass.WASTEWATER_OVERFLOW,
       Service.STORMWATER: KpiClass.STORMWATER_FLOODING}


def _later(rng: random.Random, moment: dt.datetime, hours: float) -> dt.datetime:
    return moment + dt.timedelta(seconds=rng.uniform(-60, hours * 3600), microseconds=rng.randrange(1_000_000))


@pytest.fixture
def random_jobs(council, other_council, suburb, other_suburb, casemanager_user):
    rng = random.Random(20261128)
    urgent, routine = PriorityFactory(name="P1", is_urgent=True), PriorityFactory(name="P4", is_urgent=False)
    categories = {s: CategoryFactory(service=s, name=f"{s} fault", kpi_class=k) for s, k in KPI.items()}
    planned = CategoryFactory(service=Service.WATER_SUPPLY, name="Planned work", kpi_class=KpiClass.NOT_CALLOUT)
    faults = {s: FaultTypeFactory(service=s, code=f"{s}_found", name=f"{s} found") for s in KPI}
    events = {c: [FloodingEvent.objects.create(council=c, name=f"Storm {i}", area="Here",
                                               started_at=dt.datetime(2025, 9, 1, tzinfo=NZ)) for i in range(3)]
              for c in (council, other_council)}
    start = dt.datetime(2025, 6, 20, tzinfo=NZ)  # a few days before FY2025 to a few after it
    for n in range(360):
        place = rng.choice([(council, suburb), (other_council, other_suburb)])
        service = rng.choice(list(KPI))
        category = planned if service == Service.WATER_SUPPLY and rng.random() < 0.1 else categories[service]
        priority = rng.choice([urgent, routine])
        notified = start + dt.timedelta(seconds=rng.uniform(0, 390 * 86400), microseconds=rng.randrange(1_000_000))
        attended = _later(rng, notified, 40) if rng.random() < 0.85 else None
        completed = _later(rng, attended, 200) if attended and rng.random() < 0.8 else None
        status = (JobStatus.CANCELLED if rng.random() < 0.05 else JobStatus.CLOSED if completed
                  else JobStatus.ATTENDED if attended else JobStatus.DISPATCHED)
        job = JobFactory(council=place[0], suburb=place[1], service=service, category=category, priority=priority,
                         notified_at=notified, attended_at=attended, completed_at=completed, status=status,
                         excluded_from_measures=(excluded := rng.random() < 0.12), created_by=casemanager_user,
                         excluded_reason=rng.choice(["Private or third-party asset: the owner's pipe", "Storm",
                                                     "not_our_asset"]) if excluded else "",
                         source=rng.choice([JobSource.CUSTOMER] * 4 + [JobSource.STAFF, JobSource.TELEMETRY]),
                         street_address=f"{n % 40} Tory Street")
        if rng.random() < 0.3:  # classified more than once: first as the other urgency, then as it is now
            other = routine if priority == urgent else urgent
            first_at = _later(rng, notified, 1)
            Classification.objects.create(job=job, at=first_at, category=category, priority=other,
                                          is_urgent=other.is_urgent, kpi_class=category.kpi_class)
            again = _later(rng, first_at, 60)
            Classification.objects.create(job=job, at=again, category=category, priority=priority,
                                          is_urgent=priority.is_urgent, kpi_class=category.kpi_class)
        if service != Service.WATER_SUPPLY and attended and rng.random() < 0.7:
            for _ in range(rng.choice([1, 1, 2])):  # the latest assessment is the one in force
                fault = faults[service] if rng.random() < 0.8 else faults[Service.WATER_SUPPLY]
                event = rng.choice([None, *events[place[0]]]) if service == Service.STORMWATER else None
                Assessment.objects.create(job=job, fault_type=fault, weather=rng.choice(["dry", "wet", ""]),
                                          complexity="medium", expected_completion_at=notified,
                                          at=_later(rng, attended, 5), flooding_event=event,
                                          habitable_floors=rng.choice([None, 0, 1, 2]))
                if event is not None:
                    FloodedProperty.objects.get_or_create(
                        event=event, property_key=job.street_address.lower(),
                        defaults={"street_address": job.street_address, "job": job,
                                  "habitable_floors": rng.choice([1, 2])})


def _figures(measures) -> list:
    return [(m.service, m.population, m.excluded,
             [(f.key, f.value, f.counted, f.pending, f.excluded, f.numerator, f.note) for f in m.figures])
            for m in measures]


def test_sql_aggregates_give_the_python_definitions_figures(random_jobs, council, other_council, monkeypatch):
    year = fy(2025)
    in_sql = {c: _figures(dia_measures(period=year, council_id=c)) for c in (council.pk, other_council.pk, None)}
    every_in_sql = dia_measures_every_council(period=year)
    stages_in_sql = stage_durations(scope=Scope(None, list(KPI), year))

    monkeypatch.setattr(fast, "available", lambda: False)  # the Python definitions, as on SQLite
    for council_id, figures in in_sql.items():
        assert figures == _figures(dia_measures(period=year, council_id=council_id)), council_id
    every = dia_measures_every_council(period=year)
    assert {k: _figures([m]) for k, m in every_in_sql.items()} == {k: _figures([m]) for k, m in every.items()}
    assert stages_in_sql == stage_durations(scope=Scope(None, list(KPI), year))

    # The data reaches the rules: both parities of median, waiting, excluded, dry weather, shared events.
    together = dia_measures(period=year)
    figures = {f.key: f for m in together for f in m.figures}
    counts = {figures[k].counted % 2 for k in figures if k.endswith(("attendance", "resolution"))}
    assert counts == {0, 1}
    assert all(figures[k].pending and figures[k].excluded for k in ("water-urgent-attendance",
                                                                    "wastewater-resolution"))
    assert figures["water-urgent-attendance-found"].counted > 0  # staff and telemetry beside the call-outs
    assert figures["wastewater-dry-overflows"].counted > 0
    flooding_jobs = next(m for m in together if m.service == Service.STORMWATER).population
    assert 0 < figures["stormwater-events"].counted < flooding_jobs  # some events span several jobs
    assert figures["stormwater-floors"].counted > 0
