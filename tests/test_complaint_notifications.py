"""Escalation e-mails and the daily overdue digest go through the side-effect outbox."""

import datetime as dt

import pytest
from django.utils import timezone

from complaints import services, tasks
from complaints.enums import ComplaintStatus, EscalationLevel
from complaints.models import ComplaintAction
from tests.factories import ComplaintCauseFactory, ComplaintFactory


@pytest.fixture
def understood(council):
    return ComplaintFactory(council=council, status=ComplaintStatus.UNDERSTOOD, cause=ComplaintCauseFactory(),
                            acknowledged_at=timezone.now())


def test_escalation_emails_the_new_owner_through_the_outbox(understood, casemanager_user, other_casemanager_user,
                                                           outbox_calls):
    complaint = services.complaint_escalate(complaint=understood, level=EscalationLevel.MANAGER,
                                            owner=other_casemanager_user, reason="Third call this week",
                                            by=casemanager_user)
    assert len(outbox_calls) == 1
    call = outbox_calls[0]
    assert call["channel"] == "email"
    assert call["recipient"] == other_casemanager_user.email
    assert complaint.reference in call["subject"] and "manager" in call["subject"]
    assert "Third call this week" in call["body"]
    assert f"/complaints/{complaint.reference}/" in call["body"]
    assert call["about"] == complaint
    assert call["key"] == f"complaint-escalated:{complaint.pk}:{complaint.version}"


def test_a_refused_escalation_queues_nothing(understood, casemanager_user, other_callcentre_user, outbox_calls):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.complaint_escalate(complaint=understood, level=EscalationLevel.MANAGER, owner=other_callcentre_user,
                                    reason="x", by=casemanager_user)
    assert outbox_calls == []


def test_the_daily_digest_sends_each_owner_their_overdue_complaints_and_next_steps(
        council, casemanager_user, other_casemanager_user, callcentre_user, outbox_calls):
    now = timezone.now()
    cause = ComplaintCauseFactory()
    late = ComplaintFactory(council=council, status=ComplaintStatus.UNDERSTOOD, cause=cause, owner=casemanager_user,
                            acknowledged_at=now, resolve_due_at=now - dt.timedelta(hours=2))
    on_time = ComplaintFactory(council=council, status=ComplaintStatus.UNDERSTOOD, cause=cause,
                               owner=casemanager_user, acknowledged_at=now, resolve_due_at=now + dt.timedelta(days=3))
    closed_late = ComplaintFactory(council=council, status=ComplaintStatus.CLOSED, cause=cause,
                                   owner=other_casemanager_user, resolve_due_at=now - dt.timedelta(days=9))
    step = ComplaintAction.objects.create(complaint=on_time, text="Send the CCTV footage", owner=callcentre_user,
                                          due_on=timezone.localdate(now) - dt.timedelta(days=1),
                                          created_by=casemanager_user)
    ComplaintAction.objects.create(complaint=on_time, text="Done already", owner=other_casemanager_user,
                                   due_on=timezone.localdate(now) - dt.timedelta(days=4), done_at=now,
                                   created_by=casemanager_user)

    assert services.complaints_send_overdue_reminders(now=now) == 2
    by_recipient = {call["recipient"]: call for call in outbox_calls}
    assert set(by_recipient) == {casemanager_user.email, callcentre_user.email}
    manager_mail = by_recipient[casemanager_user.email]
    assert late.reference in manager_mail["body"] and on_time.reference not in manager_mail["body"]
    assert closed_late.reference not in manager_mail["body"]
    assert step.text in by_recipient[callcentre_user.email]["body"]
    today = timezone.localdate(now).isoformat()
    assert manager_mail["key"] == f"complaints-overdue:{casemanager_user.pk}:{today}"


def test_the_digest_task_uses_the_same_key_when_run_twice_in_a_day(council, casemanager_user, outbox_calls):
    now = timezone.now()
    ComplaintFactory(council=council, owner=casemanager_user, received_at=now - dt.timedelta(days=5),
                     acknowledge_due_at=now - dt.timedelta(days=3))
    tasks.complaints_send_overdue_reminders.delay()
    tasks.complaints_send_overdue_reminders.delay()
    assert len(outbox_calls) == 2
    assert outbox_calls[0]["key"] == outbox_calls[1]["key"]  # the outbox keeps the first, drops the second


def test_the_digest_is_scheduled_daily_with_django_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="complaints.tasks.complaints_send_overdue_reminders")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("7", "0")


# With the real outbox -------------------------------------------------------------------------

def test_escalation_is_one_outbox_row_about_the_complaint(understood, casemanager_user, other_casemanager_user):
    from common.outbox import outbox_for

    complaint = services.complaint_escalate(complaint=understood, level=EscalationLevel.EXECUTIVE,
                                            owner=other_casemanager_user, reason="Media", by=casemanager_user)
    rows = list(outbox_for(complaint))
    assert [(row.channel, row.recipient) for row in rows] == [("email", other_casemanager_user.email)]
    assert complaint.reference in rows[0].subject and "Media" in rows[0].body


def test_a_refused_escalation_leaves_no_outbox_row(understood, casemanager_user, other_callcentre_user):
    from django.core.exceptions import ValidationError

    from common.models import OutboxMessage

    with pytest.raises(ValidationError):
        services.complaint_escalate(complaint=understood, level=EscalationLevel.MANAGER, owner=other_callcentre_user,
                                    reason="x", by=casemanager_user)
    assert not OutboxMessage.objects.exists()


def test_the_digest_run_twice_in_a_day_queues_one_message_per_owner(council, casemanager_user):
    from common.models import OutboxMessage

    now = timezone.now()
    ComplaintFactory(council=council, owner=casemanager_user, received_at=now - dt.timedelta(days=5),
                     acknowledge_due_at=now - dt.timedelta(days=3))
    services.complaints_send_overdue_reminders(now=now)
    services.complaints_send_overdue_reminders(now=now + dt.timedelta(hours=1))
    assert OutboxMessage.objects.filter(recipient=casemanager_user.email).count() == 1
