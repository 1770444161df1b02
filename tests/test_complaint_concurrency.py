"""Two case managers act on one complaint at once: one wins, the other is told who changed it."""

import datetime as dt

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints import services
from complaints.enums import ComplaintStatus, EscalationLevel
from complaints.models import Complaint
from tests.factories import ComplaintCauseFactory, ComplaintFactory
from tests.test_concurrency import _run_together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_escalate_racing_resolve_one_wins_the_other_is_told_who_changed_it(council, casemanager_user,
                                                                           other_casemanager_user, outbox_calls):
    complaint = ComplaintFactory(council=council, status=ComplaintStatus.DISCUSSED, cause=ComplaintCauseFactory(),
                                 acknowledged_at=timezone.now() - dt.timedelta(hours=1))
    seen = complaint.version
    outcomes = _run_together(
        lambda: services.complaint_escalate(complaint=complaint, level=EscalationLevel.MANAGER,
                                            owner=other_casemanager_user, reason="Customer rang the mayor",
                                            by=casemanager_user, expected_version=seen),
        lambda: services.complaint_resolve(complaint=complaint, outcome="Apology and credit", customer_accepts=True,
                                           by=other_casemanager_user, expected_version=seen),
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    winner_index = next(i for i, (kind, _) in enumerate(outcomes) if kind == "ok")
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, services.ComplaintChanged)
    assert loser.complaint.version == seen + 1  # the loser is handed the fresh complaint...
    winner_user = casemanager_user if winner_index == 0 else other_casemanager_user
    assert loser.complaint.updated_by == winner_user  # ...and told who changed it

    complaint = Complaint.objects.get(pk=complaint.pk)
    logs = StateLog.objects.for_(complaint)
    assert logs.count() == 1
    if winner_index == 0:
        assert (complaint.status, complaint.level) == (ComplaintStatus.DISCUSSED, EscalationLevel.MANAGER)
        assert logs.get().transition == "escalate"
        assert len(outbox_calls) == 1
    else:
        assert (complaint.status, complaint.level) == (ComplaintStatus.RESOLVED, "")
        assert logs.get().transition == "resolve"
        assert outbox_calls == []  # the losing escalation e-mailed no one


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_escalate_racing_resolve_without_versions_still_leaves_one_consistent_outcome(
        council, casemanager_user, other_casemanager_user, outbox_calls):
    complaint = ComplaintFactory(council=council, status=ComplaintStatus.DISCUSSED, cause=ComplaintCauseFactory(),
                                 acknowledged_at=timezone.now())
    _run_together(
        lambda: services.complaint_escalate(complaint=complaint, level=EscalationLevel.MANAGER,
                                            owner=other_casemanager_user, reason="x", by=casemanager_user),
        lambda: services.complaint_resolve(complaint=complaint, outcome="y", customer_accepts=True,
                                           by=other_casemanager_user),
    )
    complaint = Complaint.objects.get(pk=complaint.pk)
    # Under the row lock the second runs on the first one's result: both may land, in either order.
    assert complaint.version == 1 + StateLog.objects.for_(complaint).count()
