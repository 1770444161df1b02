"""The DIA measures read what the crew records (fault type, weather, flooding events) and what the
customers say (feedback): the stages 2-4 facts feeding stage 5, taken through the real services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enquiries.enums import Service
from feedback.models import Feedback
from jobs import services
from jobs.enums import JobStatus
from jobs.models import ConnectionCount, FaultType
from reporting import inputs
from reporting.measures import dia_measures
from reporting.periods import period_containing
from tests.factories import CategoryFactory, CustomerFactory, EnquiryFactory, JobFactory, assessment_kwargs

pytestmark = pytest.mark.django_db


@pytest.fixture
def attended(council, suburb, contractor, casemanager_user, p2, leak):
    """A job of ``service`` the crew has arrived at, notified two hours ago (so in this year's period)."""

    def make(service, **extra):
        notified = timezone.now() - timedelta(hours=2)
        category = CategoryFactory(service=service, name={Service.WASTEWATER: "Sewer overflow",
                                                          Service.STORMWATER: "Flooding"}[service])
        job = JobFactory(council=council, suburb=suburb, service=service, status=JobStatus.ATTENDED, priority=p2,
                         category=category, case_manager=casemanager_user, contractor=contractor,
                         notified_at=notified, attended_at=notified + timedelta(minutes=40), **extra)
        EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked",
                       customer=CustomerFactory(council=council), received_at=notified)
        return job

    return make


def _year():
    return period_containing(timezone.now() - timedelta(hours=2), "year")


def test_dry_weather_overflows_per_thousand_count_only_the_dry_ones_the_crew_recorded(attended, crew_user, council):
    year = _year()
    ConnectionCount.objects.create(council=council, service=Service.WASTEWATER,
                                   financial_year=year.financial_year, connections=500)
    overflow = FaultType.objects.get(service=Service.WASTEWATER, code="overflow")
    dry, wet = attended(Service.WASTEWATER), attended(Service.WASTEWATER)
    services.job_record_assessment(job=dry, by=crew_user, weather="dry",
                                   **assessment_kwargs(service=Service.WASTEWATER, fault_type=overflow))
    services.job_record_assessment(job=wet, by=crew_user, weather="wet",
                                   **assessment_kwargs(service=Service.WASTEWATER, fault_type=overflow))

    assert inputs.fieldwork_ready()
    wastewater = dia_measures(period=year, council_id=council.pk, services=[Service.WASTEWATER], with_ids=True)[0]
    figure = wastewater.figure("wastewater-dry-overflows")
    assert (figure.counted, figure.value, figure.note) == (1, 2.0, "")  # 1 dry overflow / 500 connections x 1000
    assert wastewater.ids["wastewater-dry-overflows"] == [dry.pk]
    # Both overflows are in the wastewater attendance median (40 minutes each).
    attendance = next(f for f in wastewater.figures if f.key.startswith("wastewater") and "attendance" in f.key)
    assert attendance.counted == 2 and attendance.value == 40


def test_a_flooding_event_over_three_jobs_counts_once_and_a_house_reported_twice_once(attended, crew_user,
                                                                                      council):
    year = _year()
    ConnectionCount.objects.create(council=council, service=Service.STORMWATER,
                                   financial_year=year.financial_year, connections=2000)
    flooding = FaultType.objects.get(service=Service.STORMWATER, code="flooding")
    kwargs = assessment_kwargs(service=Service.STORMWATER, fault_type=flooding)
    first = attended(Service.STORMWATER, street_address="12 Tory Street")
    services.job_record_assessment(job=first, by=crew_user, habitable_floors=2, new_flooding_event={
        "name": "Storm of 3 May", "area": "Te Aro", "started_at": timezone.now() - timedelta(hours=3)}, **kwargs)
    event = first.assessments.get().flooding_event
    same_house = attended(Service.STORMWATER, street_address="12 Tory Street")
    services.job_record_assessment(job=same_house, by=crew_user, habitable_floors=2, flooding_event=event, **kwargs)
    next_door = attended(Service.STORMWATER, street_address="14 Tory Street")
    services.job_record_assessment(job=next_door, by=crew_user, habitable_floors=1, flooding_event=event, **kwargs)

    stormwater = dia_measures(period=year, council_id=council.pk, services=[Service.STORMWATER])[0]
    events, floors = stormwater.figure("stormwater-events"), stormwater.figure("stormwater-floors")
    assert (events.counted, events.value, events.unit) == (1, 1, "count")  # a count of events, not per 1000
    assert (floors.counted, floors.value) == (3, 1.5)  # 12 Tory Street's 2 floors once, 14's 1 floor


def test_feedback_scores_average_each_question_and_name_the_worst_rated_stage(attended, council):
    job = attended(Service.WASTEWATER)
    for overall, timeliness, communication in ((4, 5, 2), (2, 3, 2)):
        Feedback.objects.create(job=job, source="phone", overall=overall, timeliness=timeliness,
                                communication=communication, fixed="yes", given_at=timezone.now())
    scores = inputs.feedback_scores(period=_year(), council_ids=[council.pk])
    assert scores["count"] == 2
    assert [(row["label"], row["average"]) for row in scores["rows"]] == [
        ("Overall satisfaction", 3.0), ("Timeliness of the work (the Manage stage)", 4.0),
        ("Customer updates (the Updates stage)", 2.0)]
    assert scores["worst_stage"]["label"] == "Customer updates (the Updates stage)"
    assert inputs.feedback_scores(period=_year(), council_ids=[council.pk + 999]) is None
