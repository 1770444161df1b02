"""The case manager's corrections and the reference data they stand on: contracts, change of
service, merge, jobs found by staff or telemetry, DIA categories on issue types."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from enquiries.enums import DiaComplaintCategory, EnquiryStatus
from enquiries.models import IssueType
from jobs import services
from jobs.enums import CancelReason, JobEventKind, JobSource, JobStatus, KpiClass
from jobs.models import Classification, Job, JobEvent, ServiceLevel
from tests.factories import CategoryFactory, ContractorFactory, EnquiryFactory, JobFactory


@pytest.fixture
def blockage(db):
    return CategoryFactory(service="wastewater", name="Lateral blockage")


def _new_job(council, suburb, leak, manager, hours_ago=3):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                             received_at=timezone.now() - timedelta(hours=hours_ago))
    return services.job_create_from_enquiries(enquiries=[enquiry], by=manager), enquiry


# Contracts and Dispatch ------------------------------------------------------------------------

def test_dispatch_offers_only_contracted_contractors_with_the_usual_one_preselected(
    client_for, casemanager_user, council, suburb, leak, contractor, other_contractor, p2, main_leak,
):
    ContractorFactory(name="Downer")  # no contract with this council
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                     case_manager=casemanager_user)
    response = client_for(casemanager_user).get(reverse("jobs:job-dispatch", args=[job.reference]))
    form = response.context["form"]
    assert [c.name for c in form.fields["contractor"].queryset] == ["Citycare", "Fulton Hogan"]
    assert form.initial["contractor"] == contractor.pk
    assert b"Downer" not in response.content


def test_dispatch_to_a_contractor_without_a_contract_is_refused_with_a_message(
    client_for, casemanager_user, council, suburb, contractor, p2, main_leak,
):
    downer = ContractorFactory(name="Downer")
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                     case_manager=casemanager_user)
    with pytest.raises(ValidationError, match="no contract"):
        services.job_dispatch(job=job, contractor=downer, by=casemanager_user)
    response = client_for(casemanager_user).post(reverse("jobs:job-dispatch", args=[job.reference]),
                                                 {"version": job.version, "contractor": downer.pk})
    assert response.status_code == 400
    assert b"That contractor has no contract for this council and service." in response.content
    job.refresh_from_db()
    assert job.status == JobStatus.ALLOCATED


# Change service -----------------------------------------------------------------------------------

def test_change_service_before_dispatch_is_logged_and_recomputes_due_dates(
    council, suburb, leak, casemanager_user, p2, main_leak, blockage,
):
    job, _enquiry = _new_job(council, suburb, leak, casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    ServiceLevel.objects.create(council=council, service="wastewater", priority=p2,
                                attendance_target_hours=Decimal("1"), resolution_target_hours=Decimal("6"))
    with pytest.raises(ValidationError, match="category in the new service"):
        services.job_change_service(job=job, service="wastewater", by=casemanager_user, reason="Sewer, not water")
    job = services.job_change_service(job=job, service="wastewater", category=blockage, by=casemanager_user,
                                      reason="Sewer, not water")
    assert job.service == "wastewater"
    assert job.kpi_class == KpiClass.WASTEWATER_OVERFLOW
    assert job.attendance_due_at == job.notified_at + timedelta(hours=1)
    assert job.resolution_due_at == job.notified_at + timedelta(hours=6)
    event = JobEvent.objects.get(job=job, kind=JobEventKind.SERVICE_CHANGED)
    assert "from Water supply to Wastewater: Sewer, not water" in event.text
    assert Classification.objects.filter(job=job).count() == 2


def test_change_service_after_dispatch_is_refused(council, suburb, casemanager_user, contractor, p2, main_leak,
                                                  blockage):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor)
    with pytest.raises(services.ActionNotAvailable, match="before dispatch"):
        services.job_change_service(job=job, service="wastewater", category=blockage, by=casemanager_user,
                                    reason="Sewer")


def test_change_service_form_keeps_the_input_and_says_what_is_missing(
    client_for, council, suburb, leak, casemanager_user, p2, main_leak,
):
    job, _enquiry = _new_job(council, suburb, leak, casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    response = client_for(casemanager_user).post(
        reverse("jobs:job-service", args=[job.reference]),
        {"version": job.version, "service": "wastewater", "reason": "Sewer smell, not a water leak"})
    assert response.status_code == 400
    assert b"Choose the category in the new service." in response.content
    assert b"Sewer smell, not a water leak" in response.content


def test_change_service_with_a_category_on_a_job_never_categorised_says_to_categorise_after(
    council, suburb, leak, casemanager_user, blockage,
):
    job, _enquiry = _new_job(council, suburb, leak, casemanager_user)
    with pytest.raises(ValidationError) as refused:
        services.job_change_service(job=job, service="wastewater", category=blockage, by=casemanager_user,
                                    reason="Sewer, not water")
    assert refused.value.message_dict == {"category": [
        f"{job.reference} has not been categorised yet: leave the category empty, change the service, then "
        "categorise the job."]}
    job.refresh_from_db()
    assert (job.service, job.category_id, job.version) == ("water_supply", None, 1)
    # Without a category the service changes, and the job is categorised afterwards as usual.
    job = services.job_change_service(job=job, service="wastewater", by=casemanager_user, reason="Sewer")
    assert job.service == "wastewater" and job.status == JobStatus.LOGGED


def test_change_service_form_on_a_job_never_categorised_shows_the_message_not_an_error_page(
    client_for, council, suburb, leak, casemanager_user, blockage,
):
    job, _enquiry = _new_job(council, suburb, leak, casemanager_user)
    response = client_for(casemanager_user).post(
        reverse("jobs:job-service", args=[job.reference]),
        {"version": job.version, "service": "wastewater", "category": blockage.pk, "reason": "Sewer, not water"})
    assert response.status_code == 400
    assert "has not been categorised yet: leave the category empty" in response.content.decode()
    assert Job.objects.get(pk=job.pk).service == "water_supply"


# Exclude from measures, and include again -------------------------------------------------------------

def _excluded(council, suburb, p2, main_leak, contractor, manager, reason="Private pipe, not ours"):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ATTENDED, priority=p2, category=main_leak,
                     case_manager=manager, contractor=contractor, attended_at=timezone.now() - timedelta(minutes=30))
    return services.job_exclude_from_measures(job=job, reason=reason, by=manager)


def test_include_in_measures_undoes_an_exclusion_and_the_timeline_keeps_both_reasons(
    council, suburb, p2, main_leak, contractor, casemanager_user, other_casemanager_user,
):
    from jobs.corrections import job_include_in_measures

    job = _excluded(council, suburb, p2, main_leak, contractor, casemanager_user)
    job = job_include_in_measures(job=job, reason="The pipe is ours after all", by=other_casemanager_user,
                                  expected_version=job.version)
    assert (job.excluded_from_measures, job.excluded_reason) == (False, "")
    assert job.updated_by == other_casemanager_user
    events = list(JobEvent.objects.filter(job=job, kind__in=[JobEventKind.EXCLUDED, JobEventKind.INCLUDED])
                  .values_list("kind", "by", "text"))
    assert events == [
        (JobEventKind.EXCLUDED, casemanager_user.pk, "Excluded from measures: Private pipe, not ours"),
        (JobEventKind.INCLUDED, other_casemanager_user.pk,
         "Included in the measures again: The pipe is ours after all (it was excluded: Private pipe, not ours)"),
    ]
    # It can be excluded again, for a new reason.
    job = services.job_exclude_from_measures(job=job, reason="Planned work", by=casemanager_user)
    assert (job.excluded_from_measures, job.excluded_reason) == (True, "Planned work")


def test_include_in_measures_needs_a_reason_a_case_manager_and_an_excluded_job(
    council, suburb, p2, main_leak, contractor, casemanager_user, callcentre_user,
):
    from django.core.exceptions import PermissionDenied

    from jobs.corrections import job_include_in_measures

    job = _excluded(council, suburb, p2, main_leak, contractor, casemanager_user)
    with pytest.raises(ValidationError, match="Say why the job counts"):
        job_include_in_measures(job=job, reason=" ", by=casemanager_user)
    with pytest.raises(PermissionDenied):
        job_include_in_measures(job=job, reason="Ours", by=callcentre_user)
    job = job_include_in_measures(job=job, reason="Ours", by=casemanager_user)
    with pytest.raises(services.ActionNotAvailable, match="is not excluded from the measures"):
        job_include_in_measures(job=job, reason="Ours", by=casemanager_user)


def test_include_button_and_form_on_an_excluded_job(client_for, council, suburb, p2, main_leak, contractor,
                                                    casemanager_user):
    job = _excluded(council, suburb, p2, main_leak, contractor, casemanager_user)
    client = client_for(casemanager_user)
    url = reverse("jobs:job-include", args=[job.reference])
    page = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert f'href="{url}">Include in measures</a>' in page
    assert "Exclude from measures</a>" not in page
    response = client.post(url, {"version": job.version, "reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"version": job.version, "reason": "The pipe is ours after all"}, follow=True)
    assert "Included in the measures again" in response.content.decode()
    assert not Job.objects.get(pk=job.pk).excluded_from_measures
    # Included: the button is gone, and the page sends a stale form back to the job.
    assert client.get(url).status_code == 302


# Merge ----------------------------------------------------------------------------------------------

def test_merge_moves_the_enquiries_and_cancels_the_duplicate_with_links_both_ways(
    council, suburb, leak, casemanager_user,
):
    survivor, first = _new_job(council, suburb, leak, casemanager_user, hours_ago=2)
    duplicate, earlier = _new_job(council, suburb, leak, casemanager_user, hours_ago=5)
    survivor = services.job_merge(job=duplicate, into=survivor, by=casemanager_user, reason="Same burst")

    duplicate.refresh_from_db()
    earlier.refresh_from_db()
    assert duplicate.status == JobStatus.CANCELLED
    assert duplicate.cancel_reason == CancelReason.MERGED
    assert duplicate.merged_into == survivor
    assert earlier.job == survivor and earlier.status == EnquiryStatus.LINKED  # moved, not closed
    assert survivor.notified_at == earlier.received_at  # the earliest notification
    assert set(survivor.enquiries.values_list("pk", flat=True)) == {first.pk, earlier.pk}
    assert JobEvent.objects.filter(job=survivor, kind=JobEventKind.MERGED_IN,
                                   text__contains=duplicate.reference).exists()
    log = StateLog.objects.filter(object_id=duplicate.pk, content_type__model="job").latest("id")
    assert log.transition == "cancel" and f"Merged into {survivor.reference}" in log.description


def test_merge_is_refused_for_an_attended_duplicate_or_another_council(
    council, suburb, other_council, other_suburb, leak, casemanager_user, contractor,
):
    survivor, _ = _new_job(council, suburb, leak, casemanager_user)
    attended = JobFactory(council=council, suburb=suburb, status=JobStatus.ATTENDED, contractor=contractor,
                          attended_at=timezone.now())
    with pytest.raises(services.ActionNotAvailable, match="was attended"):
        services.job_merge(job=attended, into=survivor, by=casemanager_user)
    elsewhere = JobFactory(council=other_council, suburb=other_suburb)
    with pytest.raises(ValidationError, match="another council"):
        services.job_merge(job=elsewhere, into=survivor, by=casemanager_user)
    assert Job.objects.get(pk=attended.pk).status == JobStatus.ATTENDED


def test_merge_form_offers_only_open_jobs_of_the_same_council_and_service(
    client_for, council, suburb, other_council, other_suburb, leak, casemanager_user,
):
    job, _ = _new_job(council, suburb, leak, casemanager_user)
    same, _ = _new_job(council, suburb, leak, casemanager_user)
    JobFactory(council=other_council, suburb=other_suburb)
    JobFactory(council=council, suburb=suburb, service="wastewater")
    JobFactory(council=council, suburb=suburb, status=JobStatus.CLOSED)
    response = client_for(casemanager_user).get(reverse("jobs:job-merge", args=[job.reference]))
    assert list(response.context["form"].fields["into"].queryset) == [same]


# Jobs without an enquiry -----------------------------------------------------------------------------

def test_a_job_found_by_telemetry_follows_the_backdating_rules(council, suburb, casemanager_user):
    found = timezone.now() - timedelta(hours=2)
    common = {"by": casemanager_user, "council": council, "service": "wastewater",
              "source": JobSource.TELEMETRY, "street_address": "1 Pump Station Road", "suburb": suburb,
              "description": "Overflow alarm at the pump station", "found_at": found}
    with pytest.raises(ValidationError, match="Say why the time found is earlier than now"):
        services.job_create_found(**common)
    job = services.job_create_found(**common, backdate_reason="Alarm overnight, logged in the morning")
    assert job.source == JobSource.TELEMETRY
    assert job.notified_at == found == job.found_at
    assert job.status == JobStatus.LOGGED
    assert job.enquiries.count() == 0


def test_new_job_form_creates_a_staff_job_and_keeps_input_on_error(client_for, council, suburb, casemanager_user,
                                                                   submission_token):
    client = client_for(casemanager_user)
    data = {"council": council.pk, "service": "water_supply", "source": "staff",
            "description": "Crew saw water running down the gutter", "street_address": "12 Cuba Street",
            "suburb": suburb.pk, "found_at": "", "backdate_reason": "",
            "submission_token": submission_token(casemanager_user)}
    bad = client.post(reverse("jobs:job-create-found"), {**data, "source": "customer"})
    assert bad.status_code == 400
    assert b"Select a valid choice" in bad.content
    assert b"Crew saw water running down the gutter" in bad.content
    response = client.post(reverse("jobs:job-create-found"), data)
    job = Job.objects.get(source=JobSource.STAFF)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:job-detail", args=[job.reference])
    assert job.description == "Crew saw water running down the gutter"
    again = client.post(reverse("jobs:job-create-found"), data, follow=True)  # a double click
    assert Job.objects.filter(source=JobSource.STAFF).count() == 1
    assert [str(m) for m in again.context["messages"]][-1] == f"This was already recorded: {job.reference}."


# DIA categories on issue types (from the migrations) -------------------------------------------------

@pytest.mark.django_db
def test_issue_types_carry_dia_complaint_categories_and_water_quality_is_split():
    water = dict(IssueType.objects.filter(service="water_supply").values_list("code", "dia_category"))
    assert "water_quality" not in water
    assert water["water_clarity"] == DiaComplaintCategory.WATER_CLARITY
    assert water["water_taste"] == DiaComplaintCategory.WATER_TASTE
    assert water["water_odour"] == DiaComplaintCategory.WATER_ODOUR
    assert water["low_pressure"] == DiaComplaintCategory.WATER_PRESSURE
    assert water["no_water"] == DiaComplaintCategory.WATER_CONTINUITY
    assert water["leak"] == ""
    wastewater = dict(IssueType.objects.filter(service="wastewater").values_list("code", "dia_category"))
    assert wastewater["blocked_drain"] == DiaComplaintCategory.WASTEWATER_BLOCKAGES
    assert wastewater["odour"] == DiaComplaintCategory.WASTEWATER_ODOUR
    storm = dict(IssueType.objects.filter(service="stormwater").values_list("code", "dia_category"))
    assert storm["flooding"] == DiaComplaintCategory.STORMWATER_PERFORMANCE


def test_water_quality_enquiries_move_by_what_the_caller_said():
    from importlib import import_module

    migration = import_module("enquiries.migrations.0007_split_water_quality")
    assert migration._new_code("Water tastes of chlorine") == "water_taste"
    assert migration._new_code("Tap water smells musty") == "water_odour"
    assert migration._new_code("Brown water from the tap") == "water_clarity"


def test_issue_type_dia_category_must_match_its_service():
    issue = IssueType(service="stormwater", code="x", name="X", dia_category=DiaComplaintCategory.WATER_TASTE)
    with pytest.raises(ValidationError):
        issue.clean()
