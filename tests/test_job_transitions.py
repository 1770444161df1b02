"""Every transition of the job journey: allowed, denied, and logged with who, when, from, to, why."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm_log.models import StateLog

from enquiries.enums import EnquiryStatus
from jobs import services
from jobs.enums import CREW_VISIBLE_STATUSES, CancelReason, JobStatus, Stage
from jobs.models import Job
from tests.factories import EnquiryFactory, JobFactory


@pytest.fixture
def deps(council, suburb, contractor, other_contractor, casemanager_user, other_casemanager_user, p2, main_leak,
         leak):
    return {"contractor": contractor, "case_manager": other_casemanager_user, "priority": p2, "category": main_leak}


def _job(status, deps, council, suburb, **extra):
    fields = {"council": council, "suburb": suburb, "status": status}
    order = list(JobStatus)
    if order.index(status) >= order.index(JobStatus.TRIAGED) and status != JobStatus.CANCELLED:
        fields.update(priority=deps["priority"], category=deps["category"])
    if order.index(status) >= order.index(JobStatus.ALLOCATED) and status != JobStatus.CANCELLED:
        fields["case_manager"] = deps["case_manager"]
    if order.index(status) >= order.index(JobStatus.DISPATCHED) and status != JobStatus.CANCELLED:
        fields["contractor"] = deps["contractor"]
    if status in (JobStatus.ATTENDED, JobStatus.ASSESSED, JobStatus.IN_REPAIR, JobStatus.COMPLETED,
                  JobStatus.CLOSED, JobStatus.REPORTED):
        from django.utils import timezone

        fields["attended_at"] = timezone.now()
    fields.update(extra)
    return JobFactory(**fields)


# (transition, service call, from, to, allowed role, denied role)
CASES = [
    ("categorise", lambda job, by, d: services.job_categorise(job=job, category=d["category"],
                                                               priority=d["priority"], by=by),
     JobStatus.LOGGED, JobStatus.TRIAGED, "casemanager", "callcentre"),
    ("allocate", lambda job, by, d: services.job_allocate(job=job, case_manager=d["case_manager"], by=by),
     JobStatus.TRIAGED, JobStatus.ALLOCATED, "casemanager", "analyst"),
    ("dispatch", lambda job, by, d: services.job_dispatch(job=job, contractor=d["contractor"], by=by),
     JobStatus.ALLOCATED, JobStatus.DISPATCHED, "casemanager", "crew"),
    ("record_arrival", lambda job, by, d: services.job_record_arrival(job=job, by=by),
     JobStatus.DISPATCHED, JobStatus.ATTENDED, "crew", "other_crew"),
    ("record_assessment", lambda job, by, d: services.job_record_assessment(job=job, assessment="Cracked main", by=by),
     JobStatus.ATTENDED, JobStatus.ASSESSED, "crew", "callcentre"),
    ("start_repair", lambda job, by, d: services.job_start_repair(job=job, by=by),
     JobStatus.ASSESSED, JobStatus.IN_REPAIR, "crew", "other_crew"),
    ("complete", lambda job, by, d: services.job_complete(job=job, by=by),
     JobStatus.IN_REPAIR, JobStatus.COMPLETED, "crew", "analyst"),
    ("close", lambda job, by, d: services.job_close(job=job, by=by),
     JobStatus.COMPLETED, JobStatus.CLOSED, "callcentre", "other_callcentre"),
    ("mark_reported", lambda job, by, d: services.job_mark_reported(job=job, by=by),
     JobStatus.CLOSED, JobStatus.REPORTED, "analyst", "casemanager"),
    ("cancel", lambda job, by, d: services.job_cancel(job=job, reason=CancelReason.NO_FAULT, by=by),
     JobStatus.DISPATCHED, JobStatus.CANCELLED, "casemanager", "crew"),
    ("reopen", lambda job, by, d: services.job_reopen(job=job, reason="Leak is back", by=by),
     JobStatus.CLOSED, JobStatus.ALLOCATED, "casemanager", "callcentre"),
]

USERS = {
    "casemanager": "casemanager_user", "callcentre": "callcentre_user", "crew": "crew_user",
    "other_crew": "other_crew_user", "analyst": "analyst_user", "other_callcentre": "other_callcentre_user",
}


def _user(request, key):
    return request.getfixturevalue(USERS[key])


@pytest.mark.parametrize(("name", "call", "source", "target", "allowed", "denied"), CASES, ids=[c[0] for c in CASES])
def test_transition_is_allowed_for_the_right_role_and_logged(request, deps, council, suburb, name, call, source,
                                                             target, allowed, denied):
    job = _job(source, deps, council, suburb)
    user = _user(request, allowed)
    result = call(job, user, deps)
    assert result.status == target
    assert result.version == job.version + 1
    log = StateLog.objects.for_(result).latest("id")
    assert (log.transition, log.source_state, log.state, log.by) == (name, source, target, user)
    assert log.timestamp is not None


@pytest.mark.parametrize(("name", "call", "source", "target", "allowed", "denied"), CASES, ids=[c[0] for c in CASES])
def test_transition_is_denied_to_the_wrong_role_and_nothing_changes(request, deps, council, suburb, name, call,
                                                                    source, target, allowed, denied):
    job = _job(source, deps, council, suburb)
    with pytest.raises(PermissionDenied):
        call(job, _user(request, denied), deps)
    job.refresh_from_db()
    assert job.status == source
    assert not StateLog.objects.for_(job).exists()


def _sources(name: str) -> set[str]:
    """The states the job's state machine lets ``name`` start from."""
    field = Job._meta.get_field("status")
    return {t.source for t in field.get_all_transitions(Job) if t.name == name}


# Every transition from every state it does not start from.
WRONG_STATES = [(case, state) for case in CASES for state in JobStatus if state not in _sources(case[0])]


@pytest.mark.parametrize(("case", "wrong"), WRONG_STATES, ids=[f"{c[0]}-from-{s.value}" for c, s in WRONG_STATES])
def test_transition_is_refused_from_a_state_it_does_not_start_from(request, deps, council, suburb, case, wrong):
    name, call, _source, _target, allowed, _denied = case
    # The job is in the allowed user's scope whatever its state (crews see only the states they
    # work in; case managers may act for them), so only the state can be what is wrong.
    if allowed == "crew" and wrong not in CREW_VISIBLE_STATUSES:
        allowed = "casemanager"
    job = _job(wrong, deps, council, suburb, contractor=deps["contractor"])
    version = job.version
    with pytest.raises(services.ActionNotAvailable) as refused:
        call(job, _user(request, allowed), deps)
    assert str(refused.value) == f"{job.reference} is {wrong.label.lower()}: that action is not available now."
    job.refresh_from_db()
    assert (job.status, job.version) == (wrong, version)
    assert not StateLog.objects.for_(job).exists()


def test_dispatch_needs_a_case_manager_first(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.TRIAGED, deps, council, suburb)
    with pytest.raises(services.ActionNotAvailable):
        services.job_dispatch(job=job, contractor=deps["contractor"], by=casemanager_user)


def test_allocate_needs_a_category_and_priority_first(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.LOGGED, deps, council, suburb)
    with pytest.raises(services.ActionNotAvailable):
        services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)


def test_dispatch_without_a_contractor_is_refused(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.ALLOCATED, deps, council, suburb)
    with pytest.raises(ValidationError):
        services.job_dispatch(job=job, contractor=None, by=casemanager_user)
    assert Job.objects.get(pk=job.pk).status == JobStatus.ALLOCATED


def test_categorise_refuses_a_category_of_another_service(deps, council, suburb, casemanager_user):
    from tests.factories import CategoryFactory

    job = _job(JobStatus.LOGGED, deps, council, suburb)
    wastewater = CategoryFactory(service="wastewater", name="Lateral blockage")
    with pytest.raises(ValidationError):
        services.job_categorise(job=job, category=wastewater, priority=deps["priority"], by=casemanager_user)


def test_recategorising_keeps_the_status_and_is_logged_with_the_new_priority(deps, council, suburb, casemanager_user,
                                                                             p4):
    job = _job(JobStatus.DISPATCHED, deps, council, suburb)
    job = services.job_categorise(job=job, category=deps["category"], priority=p4, by=casemanager_user)
    assert job.status == JobStatus.DISPATCHED
    log = StateLog.objects.for_(job).latest("id")
    assert log.source_state == log.state == JobStatus.DISPATCHED
    assert "P4" in log.description


def test_cancel_with_reason_other_needs_details(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.LOGGED, deps, council, suburb)
    with pytest.raises(ValidationError):
        services.job_cancel(job=job, reason=CancelReason.OTHER, note="", by=casemanager_user)


def test_reopen_needs_a_reason(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.CLOSED, deps, council, suburb)
    with pytest.raises(ValidationError):
        services.job_reopen(job=job, reason="  ", by=casemanager_user)


def test_whole_journey_through_the_five_stages_with_enquiries_following(
    deps, council, suburb, leak, casemanager_user, crew_user, callcentre_user, analyst_user
):
    enquiries = [EnquiryFactory(council=council, suburb=suburb, issue_type=leak) for _ in range(2)]
    job = services.job_create_from_enquiries(enquiries=enquiries, by=casemanager_user)
    assert (job.status, job.stage) == (JobStatus.LOGGED, Stage.ENQUIRY)
    assert {e.status for e in job.enquiries.all()} == {EnquiryStatus.LINKED}

    job = services.job_categorise(job=job, category=deps["category"], priority=deps["priority"], by=casemanager_user)
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    job = services.job_dispatch(job=job, contractor=deps["contractor"], by=casemanager_user, note="Bring a digger")
    assert job.stage == Stage.ENQUIRY
    job = services.job_record_arrival(job=job, by=crew_user)
    assert job.stage == Stage.UPDATES and job.next_due_at == job.resolution_due_at
    job = services.job_record_assessment(job=job, assessment="Cracked 100 mm main", by=crew_user)
    job = services.job_start_repair(job=job, by=crew_user)
    assert job.stage == Stage.MANAGE
    job = services.job_complete(job=job, by=crew_user)
    assert job.next_due_at is None and job.completed_at is not None
    job = services.job_close(job=job, by=callcentre_user)
    assert job.stage == Stage.CLOSE
    assert {e.status for e in job.enquiries.all()} == {EnquiryStatus.CLOSED}
    job = services.job_mark_reported(job=job, by=analyst_user)
    assert job.stage == Stage.REPORTING

    transitions = list(StateLog.objects.for_(job).order_by("id").values_list("transition", flat=True))
    assert transitions == ["create", "categorise", "allocate", "dispatch", "record_arrival", "record_assessment",
                           "start_repair", "complete", "close", "mark_reported"]
    dispatch_log = StateLog.objects.for_(job).get(transition="dispatch")
    assert "Bring a digger" in dispatch_log.description and deps["contractor"].name in dispatch_log.description


def test_cancel_closes_the_enquiries_and_reopen_brings_them_back(deps, council, suburb, leak, casemanager_user):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    job = services.job_cancel(job=job, reason=CancelReason.DUPLICATE, by=casemanager_user)
    enquiry.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and enquiry.status == EnquiryStatus.CLOSED
    assert job.next_due_at is None
    job = services.job_reopen(job=job, reason="Not a duplicate after all", by=casemanager_user)
    enquiry.refresh_from_db()
    assert job.status == JobStatus.LOGGED and enquiry.status == EnquiryStatus.LINKED
    assert job.cancel_reason == ""
    assert StateLog.objects.for_(job).latest("id").description == "Reopened: Not a duplicate after all"


def test_reopen_keeps_the_first_arrival_and_measures_resolution_afresh(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.CLOSED, deps, council, suburb)
    arrived = job.attended_at
    job = services.job_reopen(job=job, reason="Leak is back", by=casemanager_user)
    assert job.attended_at == arrived
    assert job.completed_at is None and job.closed_at is None
    assert job.next_due_at == job.resolution_due_at


def test_create_job_refuses_enquiries_of_different_services(council, suburb, leak, overflow, casemanager_user):
    water = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    waste = EnquiryFactory(council=council, suburb=suburb, service="wastewater", issue_type=overflow)
    with pytest.raises(ValidationError, match="one service"):
        services.job_create_from_enquiries(enquiries=[water, waste], by=casemanager_user)
    water.refresh_from_db()
    assert water.status == EnquiryStatus.NEW and not Job.objects.exists()


def test_create_job_refuses_enquiries_already_on_a_job(council, suburb, leak, casemanager_user):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    with pytest.raises(ValidationError, match="Already dealt with"):
        services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)


def test_create_job_is_for_case_managers_only(council, suburb, leak, callcentre_user):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    with pytest.raises(PermissionDenied):
        services.job_create_from_enquiries(enquiries=[enquiry], by=callcentre_user)


def test_new_job_takes_location_and_notification_time_from_the_earliest_enquiry(council, suburb, leak,
                                                                                 casemanager_user):
    from datetime import timedelta

    from django.utils import timezone

    later = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="9 Willis Street",
                           received_at=timezone.now() - timedelta(minutes=5))
    earlier = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="12A Cuba St",
                             latitude="-41.293500", longitude="174.775000",
                             received_at=timezone.now() - timedelta(hours=2))
    job = services.job_create_from_enquiries(enquiries=[later, earlier], by=casemanager_user)
    assert job.notified_at == earlier.received_at
    assert (job.street_address, job.street_key) == ("12A Cuba St", "cuba street")
    assert str(job.latitude) == "-41.293500"
    assert job.reference.startswith("JOB-") and job.reference.endswith("000001")
    log = StateLog.objects.for_(job).get(transition="create")
    assert later.reference in log.description and earlier.reference in log.description


def test_linking_an_earlier_enquiry_moves_the_due_dates(deps, council, suburb, leak, casemanager_user):
    from datetime import timedelta

    from django.utils import timezone

    first = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, received_at=timezone.now())
    job = services.job_create_from_enquiries(enquiries=[first], by=casemanager_user)
    job = services.job_categorise(job=job, category=deps["category"], priority=deps["priority"], by=casemanager_user)
    due_before = job.attendance_due_at
    backdated = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                               received_at=first.received_at - timedelta(hours=3))
    job = services.enquiry_link_to_job(enquiry=backdated, job=job, by=casemanager_user)
    assert job.notified_at == backdated.received_at
    assert job.attendance_due_at == due_before - timedelta(hours=3)
    backdated.refresh_from_db()
    assert backdated.status == EnquiryStatus.LINKED and backdated.job == job
    assert job.events.filter(kind="enquiry_linked", enquiry=backdated).exists()


def test_linking_to_a_job_of_another_council_is_refused(deps, council, suburb, other_council, other_suburb, leak,
                                                         casemanager_user):
    job = _job(JobStatus.DISPATCHED, deps, council, suburb)
    foreign = EnquiryFactory(council=other_council, suburb=other_suburb, issue_type=leak)
    with pytest.raises(ValidationError, match="another council"):
        services.enquiry_link_to_job(enquiry=foreign, job=job, by=casemanager_user)


def test_resolving_at_first_contact_is_logged_with_the_outcome(council, suburb, leak, callcentre_user):
    from enquiries.services import enquiry_resolve_at_first_contact

    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    enquiry = enquiry_resolve_at_first_contact(enquiry=enquiry, outcome="Planned shutdown until 4pm",
                                               by=callcentre_user)
    assert enquiry.status == EnquiryStatus.RESOLVED and enquiry.outcome == "Planned shutdown until 4pm"
    log = StateLog.objects.for_(enquiry).latest("id")
    assert (log.transition, log.by, log.description) == ("resolve_at_first_contact", callcentre_user,
                                                         "Planned shutdown until 4pm")


def test_resolving_is_denied_to_another_councils_call_centre(council, suburb, leak, other_callcentre_user):
    from enquiries.services import enquiry_resolve_at_first_contact

    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    with pytest.raises(PermissionDenied):
        enquiry_resolve_at_first_contact(enquiry=enquiry, outcome="x", by=other_callcentre_user)


def test_a_job_loaded_with_deferred_columns_still_saves_under_its_version(deps, council, suburb, casemanager_user):
    job = _job(JobStatus.LOGGED, deps, council, suburb)
    partial = Job.objects.only("reference", "status").get(pk=job.pk)
    assert partial.reference == job.reference  # no recursion, no error
    services.job_categorise(job=partial, category=deps["category"], priority=deps["priority"], by=casemanager_user)
    assert Job.objects.get(pk=job.pk).status == JobStatus.TRIAGED


def test_a_reopened_job_gets_fresh_targets_from_the_reopen_time(deps, council, suburb, casemanager_user):
    from datetime import timedelta

    from django.utils import timezone

    job = _job(JobStatus.CLOSED, deps, council, suburb, notified_at=timezone.now() - timedelta(days=10))
    assert job.resolution_due_at < timezone.now()
    job = services.job_reopen(job=job, reason="Leak is back", by=casemanager_user)
    assert job.resolution_due_at > timezone.now() + timedelta(hours=23)  # P2: 24 h from now
    assert job.next_due_at == job.resolution_due_at and not job.is_overdue


def test_arrival_and_completion_times_must_fall_between_notification_and_now(deps, council, suburb, crew_user):
    from datetime import timedelta

    from django.utils import timezone

    job = _job(JobStatus.DISPATCHED, deps, council, suburb)
    for bad in (job.notified_at - timedelta(minutes=1), timezone.now() + timedelta(hours=1)):
        with pytest.raises(ValidationError):
            services.job_record_arrival(job=job, by=crew_user, arrived_at=bad)
    job = services.job_record_arrival(job=job, by=crew_user, arrived_at=job.notified_at + timedelta(minutes=30),
                                       backdate_reason="Recorded back at the depot")
    job = services.job_record_assessment(job=job, assessment="Cracked main", by=crew_user)
    with pytest.raises(ValidationError):
        services.job_complete(job=job, by=crew_user, completed_at=job.notified_at + timedelta(minutes=10))


# The enquiry's own close and reopen (they follow the job, through their own services) ---------

ENQUIRY_CASES = [
    ("close", EnquiryStatus.LINKED, EnquiryStatus.CLOSED),
    ("reopen", EnquiryStatus.CLOSED, EnquiryStatus.LINKED),
]


def _enquiry_on_job(status, council, suburb, leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.COMPLETED)
    return EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status=status)


@pytest.mark.parametrize(("name", "source", "target"), ENQUIRY_CASES)
@pytest.mark.parametrize("role", ["casemanager", "callcentre"])
def test_enquiry_close_and_reopen_are_allowed_and_logged(request, council, suburb, leak, name, source, target, role):
    from enquiries import services as enquiry_services

    enquiry = _enquiry_on_job(source, council, suburb, leak)
    user = _user(request, role)
    service = getattr(enquiry_services, f"enquiry_{name}")
    result = service(enquiry=enquiry, by=user, description=f"{enquiry.job.reference} {name}d")
    assert result.status == target
    enquiry.refresh_from_db()
    assert enquiry.status == target
    log = StateLog.objects.for_(enquiry).get()
    assert (log.transition, log.source_state, log.state, log.by) == (name, source, target, user)
    assert log.description == f"{enquiry.job.reference} {name}d"


@pytest.mark.parametrize(("name", "source", "target"), ENQUIRY_CASES)
@pytest.mark.parametrize("role", ["other_callcentre", "crew", "analyst"])
def test_enquiry_close_and_reopen_are_denied_to_others_and_nothing_is_logged(request, council, suburb, leak, name,
                                                                             source, target, role):
    from enquiries import services as enquiry_services

    enquiry = _enquiry_on_job(source, council, suburb, leak)
    with pytest.raises(PermissionDenied):
        getattr(enquiry_services, f"enquiry_{name}")(enquiry=enquiry, by=_user(request, role))
    enquiry.refresh_from_db()
    assert enquiry.status == source
    assert not StateLog.objects.for_(enquiry).exists()


@pytest.mark.parametrize(("name", "wrong"), [("close", EnquiryStatus.NEW), ("close", EnquiryStatus.CLOSED),
                                             ("close", EnquiryStatus.RESOLVED), ("reopen", EnquiryStatus.NEW),
                                             ("reopen", EnquiryStatus.LINKED), ("reopen", EnquiryStatus.RESOLVED)])
def test_enquiry_close_and_reopen_are_refused_from_the_wrong_state(council, suburb, leak, casemanager_user, name,
                                                                   wrong):
    from enquiries import services as enquiry_services

    enquiry = _enquiry_on_job(wrong, council, suburb, leak)
    with pytest.raises(ValidationError) as refused:
        getattr(enquiry_services, f"enquiry_{name}")(enquiry=enquiry, by=casemanager_user)
    assert refused.value.messages == [f"{enquiry.reference} is {wrong.label.lower()}."]
    enquiry.refresh_from_db()
    assert enquiry.status == wrong and not StateLog.objects.for_(enquiry).exists()


def test_closing_the_call_ticket_closes_its_enquiries_logged_as_the_closer(deps, council, suburb, leak,
                                                                           callcentre_user):
    job = _job(JobStatus.COMPLETED, deps, council, suburb)
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status=EnquiryStatus.LINKED)
    services.job_close(job=job, by=callcentre_user)
    log = StateLog.objects.for_(enquiry).get()
    assert (log.transition, log.state, log.by, log.description) == (
        "close", EnquiryStatus.CLOSED, callcentre_user, f"{job.reference} closed")
