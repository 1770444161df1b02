"""The demo data has complaints in every state and at every level, some overdue."""

import os

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_fsm_log.models import StateLog


@pytest.mark.django_db
def test_seed_demo_makes_complaints_in_every_state_and_level_some_overdue(settings, outbox_calls):
    from complaints.enums import ComplaintStatus, EscalationLevel
    from complaints.models import Complaint, ComplaintAction

    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    complaints = Complaint.objects.all()
    assert 35 <= complaints.count() <= 50
    assert set(complaints.values_list("status", flat=True)) == set(ComplaintStatus.values)
    assert set(complaints.values_list("level", flat=True)) == {""} | set(EscalationLevel.values)
    now = timezone.now()
    assert complaints.filter(next_due_at__lt=now, acknowledged_at__isnull=True).exists()  # acknowledgement late
    assert complaints.filter(next_due_at__lt=now, acknowledged_at__isnull=False).exists()  # resolution late
    assert ComplaintAction.objects.filter(done_at__isnull=True, due_on__lt=timezone.localdate()).exists()
    assert complaints.filter(job__isnull=False).exists() and complaints.filter(job__isnull=True).exists()
    escalations = StateLog.objects.filter(content_type__model="complaint", transition="escalate").count()
    assert escalations >= 1 and len(outbox_calls) == escalations  # one e-mail per escalation
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert Complaint.objects.count() == complaints.count()  # idempotent
