"""A property of the measures over random job histories built through the services: every job
is in at most one population of each kind of figure, and (PostgreSQL) the stored months, kept
by triggers through the history, give exactly the figures computed from scratch."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enquiries.enums import Service
from jobs import services
from jobs.enums import JobSource, JobStatus, KpiClass
from jobs.models import Job
from reporting import fast, rollups
from reporting.measures import MEDIANS, dia_measures
from reporting.models import MeasureMonth
from tests.factories import FaultTypeFactory
from tests.test_measures_rules import Story, _year

pytestmark = pytest.mark.django_db(transaction=True)

SERVICES = list(Service.values)
KPI = {Service.WATER_SUPPLY: KpiClass.WATER_FAULT, Service.WASTEWATER: KpiClass.WASTEWATER_OVERFLOW,
       Service.STORMWATER: KpiClass.STORMWATER_FLOODING}
# Arrivals, completions and reclassifications more often than the rest: they make the histories
# whose classification changes between the measures' events.
ACTIONS = ["arrive", "arrive", "complete", "complete", "reclassify", "reclassify", "reopen", "change_service",
           "exclude", "exclude_not_ours", "cancel", "merge"]
REFUSED = (ValidationError, PermissionDenied, TransitionNotAllowed, services.ActionNotAvailable, services.JobChanged)

job_history = st.fixed_dictionaries({
    "service": st.sampled_from(SERVICES),
    "urgent": st.booleans(),
    "found": st.booleans(),
    "callers": st.integers(1, 2),
    "actions": st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(SERVICES), st.booleans()), max_size=6),
})


class Clock:
    """Hours ago, counting down: every step of a history happens after the one before."""

    def __init__(self, start: float):
        self.ago = start

    def tick(self) -> float:
        self.ago -= 0.5
        return self.ago


def _assess(story: Story, job: Job, dry: bool) -> Job:
    if job.service == Service.WASTEWATER:
        fault = FaultTypeFactory(service=Service.WASTEWATER, code="overflow", name="Overflow", asks_weather=True)
        return story.assess(job, fault_type=fault, weather="dry" if dry else "wet")
    if job.service == Service.STORMWATER and dry:
        fault = FaultTypeFactory(service=Service.STORMWATER, code="flooding", name="Flooding", is_flooding=True)
        return story.assess(job, fault_type=fault, habitable_floors=1, new_flooding_event={
            "name": "Storm", "area": "Here", "started_at": story.now - dt.timedelta(hours=80)})
    return story.assess(job)


def _step(story: Story, job: Job, action: str, service: str, flag: bool, clock: Clock, others: list[Job]) -> None:
    job = Job.objects.get(pk=job.pk)
    if action == "arrive":
        if job.status in (JobStatus.LOGGED, JobStatus.TRIAGED):
            job = story.categorise(job, urgent=flag)
        job = story.dispatch(job)
        story.arrive(job, hours_ago=clock.tick())
    elif action == "complete":
        if job.status == JobStatus.ATTENDED:
            job = _assess(story, job, flag)
        story.complete(job, hours_ago=clock.tick())
    elif action == "reopen":
        services.job_reopen(job=job, reason="Customer says it is back", by=story.manager)
    elif action == "change_service":
        services.job_change_service(job=job, service=service, by=story.manager, reason="Logged as the wrong service",
                                    category=story.categories[service] if job.category_id else None)
    elif action == "reclassify":
        story.categorise(job, urgent=flag, note="Reassessed on the phone")
    elif action in ("exclude", "exclude_not_ours"):
        reason = "Private or third-party asset: the owner's pipe" if action == "exclude_not_ours" else "Wrong address"
        services.job_exclude_from_measures(job=job, reason=reason, by=story.manager)
    elif action == "cancel":
        services.job_cancel(job=job, reason="no_fault", by=story.manager)
    elif action == "merge" and others:
        services.job_merge(job=job, into=others[-1], by=story.manager, reason="Same fault")


def _build(story: Story, histories: list[dict], clock: Clock, jobs: list[Job]) -> None:
    for history in histories:
        if history["found"]:
            job = services.job_create_found(
                by=story.manager, council=story.council, service=history["service"], source=JobSource.STAFF,
                street_address="1 Depot Road", suburb=story.suburb, description="Found on patrol",
                found_at=story.now - dt.timedelta(hours=clock.tick()), backdate_reason="Written up later")
            job = story.categorise(job, urgent=history["urgent"])
        else:
            job = story.job(service=history["service"], callers=history["callers"], hours_ago=clock.tick(),
                            urgent=history["urgent"])
        for action, service, flag in history["actions"]:
            try:
                _step(story, job, action, service, flag, clock, jobs)
            except REFUSED:
                pass  # not allowed in the job's state: the user would have been told so
        jobs.append(job)


def _figures(measures) -> list:
    return [(m.service, m.population, m.excluded,
             [(f.key, f.value, f.counted, f.pending, f.excluded, f.numerator) for f in m.figures]) for m in measures]


def _at_most_once(council_id: int) -> None:
    kinds = {spec.key: spec.kind for specs in MEDIANS.values() for spec in specs}
    seen: dict[str, list[int]] = {"attendance": [], "resolution": [], "population": [],
                                  "wastewater-dry-overflows": [], "stormwater-events": []}
    for measures in dia_measures(period=_year(), council_id=council_id, with_ids=True):
        for key, ids in measures.ids.items():
            kind = kinds.get(key, key)
            if kind in seen:
                seen[kind] += ids
    for kind, ids in seen.items():
        assert len(ids) == len(set(ids)), kind
    # One classification: a job's attendance and resolution are in the same measure's pair.
    pairs: dict[int, set[str]] = {}
    for measures in dia_measures(period=_year(), council_id=council_id, with_ids=True):
        for key, ids in measures.ids.items():
            if key in kinds:
                for job_id in ids:
                    pairs.setdefault(job_id, set()).add(key.replace("resolution", "attendance"))
    assert all(len(keys) == 1 for keys in pairs.values()), pairs
    # ...and the pair is the one of the job's current service and classification, for every
    # attended call-out or found job of a measure (none counted nowhere).
    specs = {spec.key: (service, spec) for service, service_specs in MEDIANS.items() for spec in service_specs}
    for job in Job.objects.filter(council_id=council_id).exclude(status=JobStatus.CANCELLED):
        latest = job.assessments.order_by("-at", "-id").select_related("fault_type").first()
        measured = (job.attended_at is not None and not job.excluded_from_measures
                    and job.kpi_class == KPI[job.service]
                    and (job.service != Service.WASTEWATER or latest is None
                         or latest.fault_type.service == Service.WASTEWATER))
        assert (job.pk in pairs) == measured, job
        if measured:
            service, spec = specs[next(iter(pairs[job.pk]))]
            found = getattr(spec, "found", False)
            assert (service, spec.kpi, found) == (job.service, job.kpi_class, job.source != JobSource.CUSTOMER)
            assert spec.urgent is None or spec.urgent == bool(job.is_urgent)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.lists(job_history, min_size=1, max_size=3), then=st.lists(job_history, max_size=2),
       later=st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(SERVICES), st.booleans()), max_size=3))
def test_measures_count_each_job_once_and_stored_months_match_a_fresh_computation(
        council, suburb, casemanager_user, crew_user, contractor, p2, p4, first, then, later):
    story = Story(council=council, suburb=suburb, manager=casemanager_user, crew=crew_user, contractor=contractor,
                  urgent=p2, routine=p4)
    clock, jobs = Clock(90.0), []
    _build(story, first, clock, jobs)
    if rollups.enabled():
        dia_measures(period=_year(), council_id=council.pk)  # stores the months as they are now
        assert MeasureMonth.objects.filter(council=council).exists()
    _build(story, then, clock, jobs)
    for action, service, flag in later:  # and the first jobs change after their months were stored
        try:
            _step(story, jobs[0], action, service, flag, clock, jobs[1:])
        except REFUSED:
            pass
    _at_most_once(council.pk)
    if rollups.enabled():
        stored = _figures(dia_measures(period=_year(), council_id=council.pk))
        with mock.patch.object(fast, "available", lambda: False):  # the Python definitions, from the rows
            assert stored == _figures(dia_measures(period=_year(), council_id=council.pk))
