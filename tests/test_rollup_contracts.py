"""A contract per write path: whatever a service does to a counted fact, the stored months
(``reporting.rollups``) still give exactly the from-scratch figures afterwards.

Each case builds its jobs through the services users' actions call, reads the year's measures
once (every month is computed and stored), commits one more action through its service, and
then compares the measures read from the stored months with the Python definitions computed
from the jobs themselves. The last test shows the comparison has teeth: a change whose trigger
log is lost leaves a stale month, and the figures then differ.
"""

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from enquiries.models import Enquiry
from jobs import corrections, services
from jobs.enums import CancelReason
from jobs.models import Job
from reporting import fast
from reporting.measures import dia_measures
from reporting.models import MeasureChange, MeasureMonth
from reporting.periods import Period
from tests.factories import CategoryFactory, EnquiryFactory, assessment_kwargs, updates_given

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _this_year() -> Period:
    today = timezone.localdate()
    return Period("year", today.year - (today.month < 7), 7)


def _figures(measures) -> list:
    return [(m.service, m.population, m.excluded,
             [(f.key, f.value, f.counted, f.pending, f.excluded, f.numerator, f.note) for f in m.figures])
            for m in measures]


def _from_scratch(council_id):
    with mock.patch.object(fast, "available", lambda: False):  # the Python definitions, as on SQLite
        return _figures(dia_measures(period=_this_year(), council_id=council_id))


def _stored(council_id):
    return _figures(dia_measures(period=_this_year(), council_id=council_id))


class Journey:
    """Jobs made and moved on through the services, the way staff and crews do it."""

    def __init__(self, *, council, suburb, leak, contractor, manager, crew, priority, category):
        self.council, self.suburb, self.leak, self.contractor = council, suburb, leak, contractor
        self.manager, self.crew, self.priority, self.category = manager, crew, priority, category

    def enquiry(self, hours_ago: float = 6, **kwargs) -> Enquiry:
        return EnquiryFactory(council=self.council, suburb=self.suburb, issue_type=self.leak,
                              received_at=timezone.now() - dt.timedelta(hours=hours_ago), **kwargs)

    def job(self, upto: str = "logged", hours_ago: float = 6) -> Job:
        job = services.job_create_from_enquiries(enquiries=[self.enquiry(hours_ago)], by=self.manager)
        steps = {
            "triaged": lambda j: services.job_categorise(job=j, category=self.category, priority=self.priority,
                                                         by=self.manager),
            "allocated": lambda j: services.job_allocate(job=j, case_manager=self.manager, by=self.manager),
            "dispatched": lambda j: services.job_dispatch(job=j, contractor=self.contractor, by=self.manager),
            "attended": lambda j: services.job_record_arrival(
                job=j, by=self.crew, arrived_at=timezone.now() - dt.timedelta(hours=hours_ago / 2),
                backdate_reason="Recorded after the visit"),
            "assessed": lambda j: services.job_record_assessment(job=j, by=self.crew, **assessment_kwargs()),
            "in_repair": lambda j: services.job_start_repair(job=j, by=self.crew),
            "completed": lambda j: services.job_complete(job=j, by=self.crew),
            "closed": lambda j: services.job_close(job=updates_given(j, by=self.manager), by=self.manager),
        }
        order = list(steps)
        for name in order[: order.index(upto) + 1] if upto in steps else []:
            job = steps[name](Job.objects.get(pk=job.pk))
        return Job.objects.get(pk=job.pk)


@pytest.fixture
def journey(council, suburb, leak, contractor, casemanager_user, crew_user, p2, main_leak):
    return Journey(council=council, suburb=suburb, leak=leak, contractor=contractor, manager=casemanager_user,
                   crew=crew_user, priority=p2, category=main_leak)


@pytest.fixture
def p3(db):
    from tests.factories import PriorityFactory

    return PriorityFactory(name="P3", label="Non-urgent", is_urgent=False, attendance_target_hours=36,
                           resolution_target_hours=120, business_hours=False)


def _scenario_categorise(j, p3):
    job = j.job("logged")
    return lambda: services.job_categorise(job=job, category=j.category, priority=p3, by=j.manager)


def _scenario_reclassify_after_arrival(j, p3):
    job = j.job("attended")
    return lambda: services.job_categorise(job=Job.objects.get(pk=job.pk), category=j.category, priority=p3,
                                           by=j.manager, note="The caller's house had water after all")


def _scenario_arrival(j, p3):
    job = j.job("dispatched")
    return lambda: services.job_record_arrival(job=job, by=j.crew)


def _scenario_assessment(j, p3):
    job = j.job("attended")
    return lambda: services.job_record_assessment(job=job, by=j.crew, **assessment_kwargs())


def _scenario_completion(j, p3):
    job = j.job("in_repair")
    return lambda: services.job_complete(job=job, by=j.crew)


def _scenario_reopen(j, p3):
    job = j.job("completed")
    return lambda: services.job_reopen(job=job, reason="The leak came back", by=j.manager)


def _scenario_change_service(j, p3):
    job = j.job("triaged")
    wastewater = CategoryFactory(service="wastewater", name="Wastewater blockage")
    return lambda: services.job_change_service(job=job, service="wastewater", category=wastewater,
                                               reason="It was the sewer, not the main", by=j.manager)


def _scenario_merge(j, p3):
    duplicate, survivor = j.job("triaged", hours_ago=9), j.job("triaged", hours_ago=3)
    return lambda: services.job_merge(job=duplicate, into=survivor, reason="Same burst", by=j.manager)


def _scenario_link(j, p3):
    job, earlier = j.job("triaged", hours_ago=3), j.enquiry(hours_ago=20)
    return lambda: services.enquiry_link_to_job(enquiry=earlier, job=job, by=j.manager)


def _scenario_unlink(j, p3):
    job, earlier = j.job("triaged", hours_ago=3), j.enquiry(hours_ago=20)
    services.enquiry_link_to_job(enquiry=earlier, job=job, by=j.manager)
    return lambda: services.enquiry_unlink_from_job(enquiry=earlier, job=Job.objects.get(pk=job.pk),
                                                    reason="Another street", by=j.manager)


def _scenario_exclude(j, p3):
    job = j.job("attended")
    return lambda: services.job_exclude_from_measures(job=job, reason="Private pipe", by=j.manager)


def _scenario_unmerge(j, p3):
    duplicate, survivor = j.job("triaged", hours_ago=9), j.job("triaged", hours_ago=3)
    services.job_merge(job=duplicate, into=survivor, reason="Same burst", by=j.manager)
    return lambda: corrections.job_unmerge(job=Job.objects.get(pk=duplicate.pk), reason="Another street after all",
                                           by=j.manager)


def _scenario_include(j, p3):
    job = j.job("attended")
    services.job_exclude_from_measures(job=job, reason="Private pipe", by=j.manager)
    return lambda: corrections.job_include_in_measures(job=Job.objects.get(pk=job.pk), reason="Council main after all",
                                                       by=j.manager)


def _scenario_cancel(j, p3):
    job = j.job("triaged")
    return lambda: services.job_cancel(job=job, reason=CancelReason.DUPLICATE, note="Logged twice", by=j.manager)


SCENARIOS = {name.removeprefix("_scenario_"): fn for name, fn in globals().items() if name.startswith("_scenario_")}


@pytest.mark.parametrize("write_path", sorted(SCENARIOS))
def test_stored_months_equal_a_from_scratch_computation_after_each_write_path(write_path, journey, p3, council):
    # Some finished work around it, so each figure has something to move.
    for upto in ("completed", "attended", "dispatched"):
        journey.job(upto, hours_ago=10)
    act = SCENARIOS[write_path](journey, p3)
    assert _stored(council.pk) == _from_scratch(council.pk)
    assert MeasureMonth.objects.filter(council=council).exists(), "the first read stores the months"
    with transaction.atomic():
        act()
    assert _stored(council.pk) == _from_scratch(council.pk), write_path
    assert _stored(None) == _from_scratch(None), write_path


def test_the_contract_fails_when_a_change_escapes_the_stored_months(journey, p3, council):
    """The comparison has teeth: a completion whose trigger log is lost leaves its month stale."""
    job = journey.job("in_repair", hours_ago=10)
    journey.job("completed", hours_ago=12)
    assert _stored(council.pk) == _from_scratch(council.pk)
    with transaction.atomic():
        services.job_complete(job=job, by=journey.crew)
    MeasureChange.objects.all().delete()
    assert _stored(council.pk) != _from_scratch(council.pk)
