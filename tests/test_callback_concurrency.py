"""Two people record the same call-back at once (PostgreSQL, two connections): one attempt is kept,
the other is told someone else recorded it."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from feedback import services
from feedback.enums import CallBackOutcome
from feedback.models import CallBack, CallBackAttempt
from tests.closeout import make_completed_job


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_recordings_of_one_callback_keep_one_attempt(
        council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak, callcentre_user):
    job, _ = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                crew=crew_user, contractor=contractor, priority=p2, category=main_leak)
    callback = CallBack.objects.get(job=job)
    CallBack.objects.filter(pk=callback.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    barrier = threading.Barrier(2)
    outcomes = []

    def record(user, outcome):
        try:
            barrier.wait()
            services.callback_record(callback=callback, outcome=outcome, by=user, expected_attempts=0)
            outcomes.append("recorded")
        except services.CallBackChanged:
            outcomes.append("changed")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=(callcentre_user, CallBackOutcome.SATISFIED)),
               threading.Thread(target=record, args=(casemanager_user, CallBackOutcome.NO_ANSWER))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["changed", "recorded"]
    assert CallBackAttempt.objects.filter(callback=callback).count() == 1
    assert CallBack.objects.get(pk=callback.pk).attempts == 1
