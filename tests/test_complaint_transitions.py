"""Every complaint transition: allowed for the right role, denied to the wrong one, refused from
the wrong state, and logged with who, when, from, to and why."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints import services
from complaints.enums import ComplaintStatus, EscalationLevel
from complaints.models import ComplaintAction
from tests.factories import ComplaintCauseFactory, ComplaintFactory

TODAY_PLUS_3 = lambda: timezone.localdate() + dt.timedelta(days=3)  # noqa: E731


@pytest.fixture
def cause(db):
    return ComplaintCauseFactory()


def _complaint(status, council, cause, **extra):
    fields = {"council": council, "status": status}
    if status != ComplaintStatus.RECEIVED:
        fields.update(cause=cause, cause_notes="Chlorine dosing after the main repair",
                      acknowledged_at=timezone.now() - dt.timedelta(minutes=30))
    fields.update(extra)
    return ComplaintFactory(**fields)


# (transition, service call, from, to, allowed role, denied role)
CASES = [
    ("understand", lambda c, by, d: services.complaint_understand(complaint=c, cause=d["cause"],
                                                                   notes="Taste after repair", by=by),
     ComplaintStatus.RECEIVED, ComplaintStatus.UNDERSTOOD, "casemanager", "callcentre"),
    ("record_contact", lambda c, by, d: services.complaint_record_contact(
        complaint=c, channel="phone", contacted_at=timezone.now(), summary="Explained the flushing", by=by),
     ComplaintStatus.UNDERSTOOD, ComplaintStatus.DISCUSSED, "casemanager", "callcentre"),
    ("agree_next_step", lambda c, by, d: services.complaint_agree_next_step(
        complaint=c, text="Flush the hydrant", owner=d["owner"], due_on=TODAY_PLUS_3(), by=by),
     ComplaintStatus.DISCUSSED, ComplaintStatus.AGREED, "casemanager", "crew"),
    ("escalate", lambda c, by, d: services.complaint_escalate(
        complaint=c, level=EscalationLevel.MANAGER, owner=d["owner"], reason="Third complaint", by=by),
     ComplaintStatus.AGREED, ComplaintStatus.AGREED, "casemanager", "analyst"),
    ("resolve", lambda c, by, d: services.complaint_resolve(complaint=c, outcome="Flushed; taste gone",
                                                             customer_accepts=True, by=by),
     ComplaintStatus.AGREED, ComplaintStatus.RESOLVED, "casemanager", "callcentre"),
    ("close", lambda c, by, d: services.complaint_close(complaint=c, by=by),
     ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, "casemanager", "callcentre"),
    ("withdraw", lambda c, by, d: services.complaint_withdraw(complaint=c, reason="Sorted itself out", by=by),
     ComplaintStatus.DISCUSSED, ComplaintStatus.WITHDRAWN, "callcentre", "other_callcentre"),
    ("reopen", lambda c, by, d: services.complaint_reopen(complaint=c, reason="Taste is back", by=by),
     ComplaintStatus.CLOSED, ComplaintStatus.UNDERSTOOD, "casemanager", "callcentre"),
]

USERS = {
    "casemanager": "casemanager_user", "callcentre": "callcentre_user", "crew": "crew_user",
    "analyst": "analyst_user", "other_callcentre": "other_callcentre_user",
}


@pytest.fixture
def deps(cause, other_casemanager_user, outbox_calls):
    return {"cause": cause, "owner": other_casemanager_user}


def _user(request, key):
    return request.getfixturevalue(USERS[key])


@pytest.mark.parametrize(("name", "call", "source", "target", "allowed", "denied"), CASES, ids=[c[0] for c in CASES])
def test_complaint_transition_is_allowed_for_the_right_role_and_logged(request, deps, council, cause, name, call,
                                                                       source, target, allowed, denied):
    complaint = _complaint(source, council, cause)
    user = _user(request, allowed)
    before = timezone.now()
    result = call(complaint, user, deps)
    assert result.status == target
    assert result.version == complaint.version + 1
    complaint.refresh_from_db()
    assert complaint.status == target
    log = StateLog.objects.for_(complaint).get(transition=name)
    assert (log.source_state, log.state, log.by) == (source, target, user)
    assert log.timestamp >= before
    if name not in ("close",):
        assert log.description  # the why: cause, summary, next step, reason, outcome


@pytest.mark.parametrize(("name", "call", "source", "target", "allowed", "denied"), CASES, ids=[c[0] for c in CASES])
def test_complaint_transition_is_denied_to_the_wrong_role(request, deps, council, cause, contractor, name, call,
                                                          source, target, allowed, denied):
    complaint = _complaint(source, council, cause)
    with pytest.raises(PermissionDenied):
        call(complaint, _user(request, denied), deps)
    complaint.refresh_from_db()
    assert complaint.status == source
    assert not StateLog.objects.for_(complaint).exists()
    assert not ComplaintAction.objects.filter(complaint=complaint).exists()


WRONG_STATES = [
    ("understand", ComplaintStatus.DISCUSSED),
    ("record_contact", ComplaintStatus.RECEIVED),
    ("agree_next_step", ComplaintStatus.UNDERSTOOD),
    ("escalate", ComplaintStatus.CLOSED),
    ("resolve", ComplaintStatus.UNDERSTOOD),
    ("close", ComplaintStatus.AGREED),
    ("withdraw", ComplaintStatus.RESOLVED),
    ("reopen", ComplaintStatus.AGREED),
]


@pytest.mark.parametrize(("name", "wrong"), WRONG_STATES, ids=[w[0] for w in WRONG_STATES])
def test_complaint_transition_is_refused_from_the_wrong_state(request, deps, council, cause, casemanager_user,
                                                              callcentre_user, name, wrong):
    call = next(case[1] for case in CASES if case[0] == name)
    complaint = _complaint(wrong, council, cause)
    user = callcentre_user if name == "withdraw" else casemanager_user
    with pytest.raises(services.ActionNotAvailable, match=complaint.reference):
        call(complaint, user, deps)
    complaint.refresh_from_db()
    assert complaint.status == wrong
    assert not StateLog.objects.for_(complaint).exists()


def test_complaint_cannot_be_resolved_while_a_next_step_is_not_done(council, cause, casemanager_user,
                                                                   other_casemanager_user):
    complaint = _complaint(ComplaintStatus.DISCUSSED, council, cause)
    complaint = services.complaint_agree_next_step(complaint=complaint, text="Replace the toby",
                                                   owner=other_casemanager_user, due_on=TODAY_PLUS_3(),
                                                   by=casemanager_user)
    with pytest.raises(services.ActionNotAvailable, match="next step"):
        services.complaint_resolve(complaint=complaint, outcome="Done", customer_accepts=True, by=casemanager_user)
    step = complaint.actions.get()
    services.complaint_action_set_done(action=step, done=True, by=other_casemanager_user)
    resolved = services.complaint_resolve(complaint=complaint, outcome="Toby replaced", customer_accepts=False,
                                          by=casemanager_user)
    assert resolved.status == ComplaintStatus.RESOLVED
    assert resolved.customer_accepts is False
    assert resolved.next_due_at is None


def test_escalation_goes_only_upwards_and_stops_at_the_executive(council, cause, casemanager_user,
                                                                 other_casemanager_user, outbox_calls):
    complaint = _complaint(ComplaintStatus.UNDERSTOOD, council, cause)
    complaint = services.complaint_escalate(complaint=complaint, level=EscalationLevel.MANAGER,
                                            owner=other_casemanager_user, reason="Angry", by=casemanager_user)
    assert (complaint.level, complaint.owner) == (EscalationLevel.MANAGER, other_casemanager_user)
    assert complaint.status == ComplaintStatus.UNDERSTOOD  # escalation runs beside the steps
    with pytest.raises(ValidationError, match="higher level"):
        services.complaint_escalate(complaint=complaint, level=EscalationLevel.TEAM_LEADER,
                                    owner=casemanager_user, reason="Back down", by=casemanager_user)
    complaint = services.complaint_escalate(complaint=complaint, level=EscalationLevel.EXECUTIVE,
                                            owner=casemanager_user, reason="Media interest", by=casemanager_user)
    with pytest.raises(services.ActionNotAvailable, match="cannot go higher"):
        services.complaint_escalate(complaint=complaint, level=EscalationLevel.EXECUTIVE,
                                    owner=other_casemanager_user, reason="Again", by=casemanager_user)
    assert StateLog.objects.for_(complaint).filter(transition="escalate").count() == 2


def test_reopen_sets_a_fresh_resolution_target_and_keeps_the_received_time(council, cause, casemanager_user):
    received = timezone.now() - dt.timedelta(days=40)
    complaint = _complaint(ComplaintStatus.CLOSED, council, cause, received_at=received,
                           resolve_due_at=received + dt.timedelta(days=28), resolved_at=received,
                           closed_at=received, outcome="Fixed", customer_accepts=True)
    complaint = services.complaint_reopen(complaint=complaint, reason="Leak back", by=casemanager_user)
    assert complaint.received_at == received
    assert complaint.resolve_due_at > timezone.now() + dt.timedelta(days=20)
    assert complaint.next_due_at == complaint.resolve_due_at
    assert (complaint.outcome, complaint.customer_accepts, complaint.closed_at) == ("", None, None)


def test_marking_a_next_step_done_is_on_the_timeline_and_twice_changes_nothing(council, cause, casemanager_user,
                                                                               other_casemanager_user):
    from complaints.models import ComplaintEvent

    complaint = _complaint(ComplaintStatus.DISCUSSED, council, cause)
    complaint = services.complaint_agree_next_step(complaint=complaint, text="Call back Friday",
                                                   owner=other_casemanager_user, due_on=TODAY_PLUS_3(),
                                                   by=casemanager_user)
    step = complaint.actions.get()
    services.complaint_action_set_done(action=step, done=True, by=other_casemanager_user)
    services.complaint_action_set_done(action=step, done=True, by=other_casemanager_user)
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 1
    step.refresh_from_db()
    assert step.done_by == other_casemanager_user
    services.complaint_action_set_done(action=step, done=False, by=casemanager_user)
    step.refresh_from_db()
    assert step.done_at is None
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 2


def test_a_next_step_may_be_ticked_by_its_owner_but_not_by_another_council(council, cause, casemanager_user,
                                                                           callcentre_user, other_callcentre_user):
    complaint = _complaint(ComplaintStatus.DISCUSSED, council, cause)
    complaint = services.complaint_agree_next_step(complaint=complaint, text="Send the letter",
                                                   owner=callcentre_user, due_on=TODAY_PLUS_3(), by=casemanager_user)
    step = complaint.actions.get()
    with pytest.raises(PermissionDenied):
        services.complaint_action_set_done(action=step, done=True, by=other_callcentre_user)
    services.complaint_action_set_done(action=step, done=True, by=callcentre_user)  # the owner, a council user
    step.refresh_from_db()
    assert step.is_done


# Who acted: recorded as jobs record it ------------------------------------------------------------

@pytest.mark.parametrize(("name", "call", "source", "target", "allowed", "denied"), CASES, ids=[c[0] for c in CASES])
def test_complaint_step_records_the_acting_user_on_the_complaint_and_its_log(
    request, deps, council, cause, analyst_user, name, call, source, target, allowed, denied,
):
    complaint = _complaint(source, council, cause, updated_by=analyst_user)  # last changed by someone else
    user = _user(request, allowed)
    call(complaint, user, deps)
    complaint.refresh_from_db()
    assert complaint.updated_by == user
    assert StateLog.objects.for_(complaint).get(transition=name).by == user


@pytest.mark.parametrize(("name", "call", "source", "target", "allowed", "denied"), CASES, ids=[c[0] for c in CASES])
def test_complaint_step_without_an_actor_is_refused_and_changes_nothing(deps, council, cause, name, call, source,
                                                                        target, allowed, denied):
    complaint = _complaint(source, council, cause)
    with pytest.raises(TypeError, match="Say who acts"):
        call(complaint, None, deps)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.version) == (source, 1)
    assert not StateLog.objects.for_(complaint).exists()


@pytest.mark.parametrize("name", ["understand", "escalate", "resolve", "close", "withdraw", "reopen"])
def test_complaint_step_by_the_system_is_logged_as_the_system_with_no_user(deps, council, cause, analyst_user,
                                                                           name):
    from accounts.permissions import SYSTEM

    _name, call, source, target, _allowed, _denied = next(case for case in CASES if case[0] == name)
    complaint = _complaint(source, council, cause, updated_by=analyst_user)
    result = call(complaint, SYSTEM, deps)
    assert result.status == target
    complaint.refresh_from_db()
    assert (complaint.status, complaint.updated_by, complaint.version) == (target, None, 2)
    assert StateLog.objects.for_(complaint).get(transition=name).by is None


@pytest.mark.parametrize("name", ["record_contact", "agree_next_step"])
def test_complaint_contact_and_next_step_are_recorded_by_a_person_not_the_system(deps, council, cause, name):
    from accounts.permissions import SYSTEM

    _name, call, source, _target, _allowed, _denied = next(case for case in CASES if case[0] == name)
    complaint = _complaint(source, council, cause)
    with pytest.raises(PermissionDenied):
        call(complaint, SYSTEM, deps)
    complaint.refresh_from_db()
    assert complaint.status == source


def test_complaint_next_step_done_records_who_marked_it_on_the_step_the_complaint_and_the_timeline(
    council, cause, casemanager_user, other_casemanager_user, analyst_user,
):
    from complaints.enums import ComplaintEventKind
    from complaints.models import ComplaintEvent

    complaint = _complaint(ComplaintStatus.AGREED, council, cause, updated_by=analyst_user)
    step = ComplaintAction.objects.create(complaint=complaint, text="Flush the hydrant", owner=other_casemanager_user,
                                          due_on=TODAY_PLUS_3(), created_by=casemanager_user)
    services.complaint_action_set_done(action=step, done=True, by=other_casemanager_user)
    step.refresh_from_db()
    complaint.refresh_from_db()
    assert step.done_by == other_casemanager_user
    assert complaint.updated_by == other_casemanager_user
    assert ComplaintEvent.objects.get(complaint=complaint, kind=ComplaintEventKind.ACTION_DONE).by == \
        other_casemanager_user
    with pytest.raises(TypeError, match="Say who acts"):
        services.complaint_action_set_done(action=step, done=False, by=None)


def test_logging_a_complaint_needs_a_person(council, cause, casemanager_user):
    from accounts.permissions import SYSTEM
    from tests.factories import ComplaintCategoryFactory, CustomerFactory

    kwargs = {"customer": CustomerFactory(council=council), "category": ComplaintCategoryFactory(),
              "description": "Brown water", "channel": "phone"}
    with pytest.raises(TypeError, match="Say who acts"):
        services.complaint_log(by=None, **kwargs)
    with pytest.raises(PermissionDenied):
        services.complaint_log(by=SYSTEM, **kwargs)
    complaint = services.complaint_log(by=casemanager_user, **kwargs)
    assert (complaint.logged_by, complaint.updated_by) == (casemanager_user, casemanager_user)
