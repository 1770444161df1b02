"""The DIA measures follow one rule for which figure a job counts in, and the rules' wording:
each case built through the services a user's actions call."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.services import complaint_log
from enquiries.enums import DiaComplaintCategory, Service
from jobs import services
from jobs.enums import JobSource, KpiClass
from jobs.models import ConnectionCount
from reporting.measures import MEDIANS, Figure, dia_measures
from reporting.periods import period_containing
from reporting.rounding import format_value, half_up
from tests.factories import (
    CategoryFactory,
    ComplaintCategoryFactory,
    CustomerFactory,
    EnquiryFactory,
    FaultTypeFactory,
    IssueTypeFactory,
    assessment_kwargs,
)

pytestmark = pytest.mark.django_db


def _year():
    return period_containing(timezone.now(), "year")


class Story:
    """One council's jobs taken through the real services, with times in the recent past."""

    def __init__(self, *, council, suburb, manager, crew, contractor, urgent, routine):
        self.council, self.suburb, self.manager, self.crew, self.contractor = council, suburb, manager, crew, contractor
        self.urgent, self.routine = urgent, routine
        self.now = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)  # one clock for exact times
        self.categories = {
            Service.WATER_SUPPLY: CategoryFactory(service=Service.WATER_SUPPLY, name="Water main leak",
                                                  kpi_class=KpiClass.WATER_FAULT),
            Service.WASTEWATER: CategoryFactory(service=Service.WASTEWATER, name="Sewer overflow",
                                                kpi_class=KpiClass.WASTEWATER_OVERFLOW),
            Service.STORMWATER: CategoryFactory(service=Service.STORMWATER, name="Flooding",
                                                kpi_class=KpiClass.STORMWATER_FLOODING),
        }

    def enquiry(self, *, service=Service.WATER_SUPPLY, hours_ago=10.0, issue_type=None, **kwargs):
        kwargs.setdefault("issue_type", issue_type or IssueTypeFactory(service=service, code=f"{service}-fault"))
        return EnquiryFactory(council=self.council, suburb=self.suburb, service=service,
                              received_at=self.now - dt.timedelta(hours=hours_ago), **kwargs)

    def job(self, *, service=Service.WATER_SUPPLY, callers=1, hours_ago=10.0, urgent=True):
        enquiries = [self.enquiry(service=service, hours_ago=hours_ago) for _ in range(callers)]
        job = services.job_create_from_enquiries(enquiries=enquiries, by=self.manager)
        return self.categorise(job, service=service, urgent=urgent)

    def categorise(self, job, *, service=None, urgent=True, note=""):
        return services.job_categorise(job=job, category=self.categories[service or job.service],
                                       priority=self.urgent if urgent else self.routine, by=self.manager, note=note)

    def dispatch(self, job):
        if job.case_manager_id is None:
            job = services.job_allocate(job=job, case_manager=self.manager, by=self.manager)
        return services.job_dispatch(job=job, contractor=self.contractor, by=self.manager)

    def arrive(self, job, *, hours_ago):
        return services.job_record_arrival(job=job, by=self.crew, backdate_reason="Radio was down",
                                           arrived_at=self.now - dt.timedelta(hours=hours_ago))

    def assess(self, job, **kwargs):
        return services.job_record_assessment(job=job, by=self.crew, **assessment_kwargs(service=job.service,
                                                                                         **kwargs))

    def complete(self, job, *, hours_ago):
        return services.job_complete(job=job, by=self.crew, backdate_reason="Typed in later",
                                     completed_at=self.now - dt.timedelta(hours=hours_ago))

    def resolved(self, job, *, arrived, completed, **assessment):
        job = self.arrive(self.dispatch(job), hours_ago=arrived)
        job = self.assess(job, **assessment)
        return self.complete(job, hours_ago=completed)


@pytest.fixture
def story(council, suburb, casemanager_user, crew_user, contractor, p2, p4):
    return Story(council=council, suburb=suburb, manager=casemanager_user, crew=crew_user, contractor=contractor,
                 urgent=p2, routine=p4)


def _measures(council, services_=None):
    return {m.service: m for m in dia_measures(period=_year(), council_id=council.pk, services=services_,
                                               with_ids=True)}


def memberships(council, job_id: int) -> dict[str, list[str]]:
    """Per kind of figure, the figures the job is counted in, over every service."""
    found = {"attendance": [], "resolution": [], "events": [], "population": []}
    kinds = {spec.key: spec.kind for specs in MEDIANS.values() for spec in specs}
    for measures in _measures(council).values():
        for key, ids in measures.ids.items():
            if job_id in ids:
                found[kinds.get(key, "events")].append(key)
        found["population"] += [measures.service] * (job_id in measures.ids.get("population", []))
    return found


# 1. One rule for which figure a job counts in --------------------------------------------

def test_reopened_job_moved_to_another_service_counts_once_in_every_measure(story, council):
    job = story.job(service=Service.WATER_SUPPLY, hours_ago=30)
    job = story.resolved(job, arrived=29, completed=28)
    job = services.job_reopen(job=job, reason="Not a water leak: sewage in the water", by=story.manager)
    job = services.job_change_service(job=job, service=Service.WASTEWATER, by=story.manager,
                                      reason="It is the sewer main", category=story.categories[Service.WASTEWATER])
    job = story.resolved(job, arrived=20, completed=10)

    counted = memberships(council, job.pk)
    # Its first arrival (29 h ago) and its last resolution, both under its current service and class.
    assert counted["attendance"] == ["wastewater-attendance"]
    assert counted["resolution"] == ["wastewater-resolution"]
    wastewater = _measures(council, [Service.WASTEWATER])[Service.WASTEWATER]
    assert wastewater.figure("wastewater-attendance").value == 60
    assert wastewater.figure("wastewater-resolution").value == 20
    assert _measures(council, [Service.WATER_SUPPLY])[Service.WATER_SUPPLY].population == 0


def test_reclassification_with_a_reason_moves_attendance_and_resolution_together(story, council):
    job = story.job(hours_ago=12, urgent=True)
    job = story.arrive(story.dispatch(job), hours_ago=11)
    job = story.categorise(job, urgent=False, note="A slow seep, not a burst")
    job = story.complete(story.assess(job), hours_ago=2)

    counted = memberships(council, job.pk)
    assert counted["attendance"] == ["water-nonurgent-attendance"]
    assert counted["resolution"] == ["water-nonurgent-resolution"]


def test_a_job_waiting_for_arrival_waits_under_its_one_classification(story, council):
    waiting = story.dispatch(story.job(hours_ago=3, urgent=False))
    water = _measures(council, [Service.WATER_SUPPLY])[Service.WATER_SUPPLY]
    assert waiting.attended_at is None
    assert water.figure("water-nonurgent-attendance").pending == 1
    assert water.figure("water-urgent-attendance").pending == 0


# 2. Rounding: decimal half-up, once, at display ------------------------------------------

def test_rounding_is_half_up_at_display():
    assert half_up(3.25, 1) == Decimal("3.3") and half_up(0.075, 2) == Decimal("0.08")
    assert format_value(3.25, "hours") == "3.3 h"
    assert format_value(0.075, "per1000") == "0.08"
    assert format_value(37.25, "minutes") == "37.3 min" and format_value(45.0, "minutes") == "45 min"
    assert Figure("k", "l", "hours", 3.25).display == "3.3 h"


def test_a_median_of_three_and_a_quarter_hours_reads_three_point_three(story, council):
    for completed_ago in (7.0, 6.5):  # resolution times of 3 h and 3.5 h
        story.resolved(story.job(hours_ago=10), arrived=9, completed=completed_ago)
    figure = _measures(council, [Service.WATER_SUPPLY])[Service.WATER_SUPPLY].figure("water-urgent-resolution")
    assert figure.value == 3.25
    assert figure.display == "3.3 h"


def test_a_rate_of_0075_per_thousand_reads_008(story, council):
    ConnectionCount.objects.create(council=council, service=Service.WATER_SUPPLY,
                                   financial_year=_year().financial_year, connections=40000)
    taste = IssueTypeFactory(service=Service.WATER_SUPPLY, code="taste", dia_category=DiaComplaintCategory.WATER_TASTE)
    for _ in range(3):
        story.enquiry(issue_type=taste, hours_ago=2)
    figure = _measures(council, [Service.WATER_SUPPLY])[Service.WATER_SUPPLY].figure("complaints-water_taste")
    assert figure.value == pytest.approx(0.075)
    assert figure.display == "0.08"


# 3. The rules' wording --------------------------------------------------------------------

def test_flooding_events_are_a_count_and_habitable_floors_per_thousand(story, council):
    ConnectionCount.objects.create(council=council, service=Service.STORMWATER,
                                   financial_year=_year().financial_year, connections=2000)
    flooding = FaultTypeFactory(service=Service.STORMWATER, code="flooding", name="Flooding", is_flooding=True)
    for n in range(3):
        story.resolved(story.job(service=Service.STORMWATER, hours_ago=10), arrived=9, completed=2,
                       fault_type=flooding, habitable_floors=1,
                       new_flooding_event={"name": f"Storm {n}", "area": "Kilbirnie",
                                           "started_at": timezone.now() - dt.timedelta(hours=11)})
    stormwater = _measures(council, [Service.STORMWATER])[Service.STORMWATER]
    events = stormwater.figure("stormwater-events")
    assert (events.unit, events.value, events.display, events.connections) == ("count", 3, "3", None)
    assert events.label == "Number of flooding events"
    floors = stormwater.figure("stormwater-floors")
    assert floors.unit == "per1000" and floors.value == pytest.approx(1.5)  # 3 floors / 2000 x 1000


def test_a_complaint_about_our_response_counts_under_response_though_its_enquiry_counts_elsewhere(
        story, council, casemanager_user):
    taste = IssueTypeFactory(service=Service.WATER_SUPPLY, code="taste", dia_category=DiaComplaintCategory.WATER_TASTE)
    customer = CustomerFactory(council=council)
    enquiry = story.enquiry(issue_type=taste, hours_ago=5, customer=customer)
    response = ComplaintCategoryFactory(service=Service.WATER_SUPPLY, name="How we responded",
                                        dia_measure=DiaComplaintCategory.WATER_RESPONSE)
    same = ComplaintCategoryFactory(service=Service.WATER_SUPPLY, name="Drinking water taste",
                                    dia_measure=DiaComplaintCategory.WATER_TASTE)
    for category in (response, same):
        complaint_log(by=casemanager_user, customer=customer, category=category, enquiry=enquiry,
                      description="Nobody came back to me", channel="phone")
    complaint_log(by=casemanager_user, customer=customer, category=response, description="Slow", channel="phone")
    water = _measures(council, [Service.WATER_SUPPLY])[Service.WATER_SUPPLY]
    assert water.figure("complaints-water_taste").counted == 1  # the enquiry; its taste complaint not again
    assert water.figure("complaints-water_response").counted == 2  # on the enquiry, and on its own
    assert water.figure("complaints-water_supply").counted == 3


def test_wastewater_medians_cover_overflows_from_blockages_or_faults_only(story, council):
    odour = CategoryFactory(service=Service.WASTEWATER, name="Odour", kpi_class=KpiClass.NOT_CALLOUT)
    overflow = story.resolved(story.job(service=Service.WASTEWATER, hours_ago=10), arrived=9, completed=2)
    smell = services.job_create_from_enquiries(enquiries=[story.enquiry(service=Service.WASTEWATER)], by=story.manager)
    smell = services.job_categorise(job=smell, category=odour, priority=story.routine, by=story.manager)
    smell = story.resolved(smell, arrived=9, completed=2)
    assert memberships(council, overflow.pk)["attendance"] == ["wastewater-attendance"]
    assert memberships(council, smell.pk)["attendance"] == []


def test_dry_weather_overflows_count_events_not_callers_or_jobs(story, council):
    overflow = FaultTypeFactory(service=Service.WASTEWATER, code="overflow", name="Overflow", asks_weather=True)
    three_callers = story.job(service=Service.WASTEWATER, callers=3, hours_ago=10)
    duplicate = story.job(service=Service.WASTEWATER, hours_ago=9)
    services.job_merge(job=duplicate, into=three_callers, by=story.manager, reason="Same manhole")
    story.resolved(three_callers, arrived=8, completed=2, fault_type=overflow, weather="dry")
    dry = _measures(council, [Service.WASTEWATER])[Service.WASTEWATER].figure("wastewater-dry-overflows")
    assert dry.counted == 1


def test_an_excluded_job_leaves_the_medians_but_stays_in_the_event_counts(story, council):
    overflow = FaultTypeFactory(service=Service.WASTEWATER, code="overflow", name="Overflow", asks_weather=True)
    job = story.resolved(story.job(service=Service.WASTEWATER, hours_ago=10), arrived=9, completed=2,
                         fault_type=overflow, weather="dry")
    services.job_exclude_from_measures(job=job, reason="Crew attended the wrong address first", by=story.manager)
    wastewater = _measures(council, [Service.WASTEWATER])[Service.WASTEWATER]
    assert wastewater.figure("wastewater-attendance").counted == 0
    assert wastewater.figure("wastewater-attendance").excluded == 1
    assert wastewater.figure("wastewater-dry-overflows").counted == 1


def test_a_job_excluded_as_not_our_asset_leaves_the_event_counts_too(story, council):
    overflow = FaultTypeFactory(service=Service.WASTEWATER, code="overflow", name="Overflow", asks_weather=True)
    job = story.resolved(story.job(service=Service.WASTEWATER, hours_ago=10), arrived=9, completed=2,
                         fault_type=overflow, weather="dry")
    services.job_exclude_from_measures(job=job, reason="Private or third-party asset: the motel's own drain",
                                       by=story.manager)
    wastewater = _measures(council, [Service.WASTEWATER])[Service.WASTEWATER]
    assert wastewater.figure("wastewater-dry-overflows").counted == 0
    assert wastewater.figure("wastewater-attendance").excluded == 1


def test_the_exclude_form_marks_not_our_asset_as_a_choice_not_a_phrase_to_remember(
        story, council, client_for):
    overflow = FaultTypeFactory(service=Service.WASTEWATER, code="overflow", name="Overflow", asks_weather=True)
    job = story.resolved(story.job(service=Service.WASTEWATER, hours_ago=10), arrived=9, completed=2,
                         fault_type=overflow, weather="dry")
    job.refresh_from_db()
    response = client_for(story.manager).post(reverse("jobs:job-exclude", args=[job.reference]), {
        "version": job.version, "reason": "The motel's own drain", "not_our_asset": "on"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.excluded_reason == "Private or third-party asset: The motel's own drain"
    wastewater = _measures(council, [Service.WASTEWATER])[Service.WASTEWATER]
    assert wastewater.figure("wastewater-dry-overflows").counted == 0


def test_jobs_raised_by_staff_or_telemetry_are_reported_beside_the_callout_medians(story, council, suburb):
    found = services.job_create_found(
        by=story.manager, council=council, service=Service.WATER_SUPPLY, source=JobSource.TELEMETRY,
        street_address="1 Reservoir Road", suburb=suburb, description="Pressure drop on the main",
        found_at=story.now - dt.timedelta(hours=10), backdate_reason="Alarm read this morning")
    found = story.resolved(story.categorise(found), arrived=9, completed=2)
    called = story.resolved(story.job(hours_ago=10), arrived=8, completed=2)
    water = _measures(council, [Service.WATER_SUPPLY])[Service.WATER_SUPPLY]
    assert water.ids["water-urgent-attendance"] == [called.pk]
    assert water.ids["water-urgent-attendance-found"] == [found.pk]
    beside = water.figure("water-urgent-attendance-found")
    assert beside.value == 60 and "staff or telemetry" in beside.label
    assert water.figure("water-urgent-attendance").value == 120
