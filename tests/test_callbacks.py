"""Call-backs: made on completion, recorded with every outcome, retried to exhaustion, listed
in the council's queue straight from the database, announced once by the sweep."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.permissions import SYSTEM
from common.models import OutboxMessage
from feedback import services
from feedback.enums import CallBackOutcome, CallBackStatus
from feedback.models import CallBack, CallBackAttempt
from jobs import services as job_services
from jobs import states
from jobs.enums import JobStatus
from tests.closeout import make_completed_job
from tests.factories import CallBackFactory, CustomerFactory, UserFactory, assessment_kwargs


@pytest.fixture
def completed(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak):
    def make(**kwargs):
        return make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                  crew=crew_user, contractor=contractor, priority=p2, category=main_leak, **kwargs)
    return make


def _due_now(callback):
    CallBack.objects.filter(pk=callback.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    callback.refresh_from_db()
    return callback


# Made on completion --------------------------------------------------------------------------

def test_completing_a_job_makes_one_callback_per_enquiry_that_asked_for_one(completed, council, settings):
    settings.BUSINESS_DAY_START, settings.BUSINESS_DAY_END = "00:00", "23:59"
    customers = [CustomerFactory(council=council), CustomerFactory(council=council)]
    job, enquiries = completed(customers=customers)
    callbacks = list(CallBack.objects.filter(job=job))
    assert {c.enquiry_id for c in callbacks} == {e.pk for e in enquiries}
    for callback in callbacks:
        assert callback.status == CallBackStatus.SCHEDULED
        assert callback.due_at >= job.completed_at + timedelta(minutes=settings.CALLBACK_DELAY_MINUTES)
        assert callback.resolution == job.resolutions.get()


def test_no_callback_for_a_customer_who_did_not_ask(completed):
    job, _ = completed(callback=False)
    assert not CallBack.objects.filter(job=job).exists()


def test_callbacks_never_double_up_for_one_enquiry_and_one_completion(completed):
    job, _ = completed()
    states.run_hooks("completed", job=job, by=SYSTEM)  # a repeated hook, a retried request
    services.callbacks_schedule(job=job, by=SYSTEM)
    assert CallBack.objects.filter(job=job).count() == 1


def test_a_failing_hook_rolls_the_completion_back(completed, council, suburb, leak, casemanager_user, crew_user,
                                                   contractor, p2, main_leak, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(states, "_hooks", {**states._hooks, "completed": [broken]})
    with pytest.raises(RuntimeError):
        completed()
    from jobs.models import Job
    job = Job.objects.get()
    assert job.status == JobStatus.ASSESSED and not job.resolutions.exists()


def test_a_reopened_job_gets_fresh_callbacks_when_it_completes_again(completed, casemanager_user, crew_user):
    job, [enquiry] = completed()
    first = CallBack.objects.get(job=job)
    job = job_services.job_reopen(job=job, reason="Leak is back", by=casemanager_user)
    first.refresh_from_db()
    assert first.status == CallBackStatus.SUPERSEDED
    job = job_services.job_dispatch(job=job, contractor=job.contractor, by=casemanager_user)
    job = job_services.job_record_arrival(job=job, by=crew_user)
    job = job_services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(notes="Joint failed"))
    job = job_services.job_complete(job=job, by=crew_user)
    callbacks = list(CallBack.objects.filter(job=job).order_by("id"))
    assert len(callbacks) == 2
    assert callbacks[1].status == CallBackStatus.SCHEDULED and callbacks[1].resolution != first.resolution
    assert callbacks[1].enquiry == enquiry


# Outcomes ------------------------------------------------------------------------------------

def test_record_callback_reached_and_satisfied_is_done_logged_and_on_the_timeline(completed, callcentre_user,
                                                                                client_for):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    result = services.callback_record(callback=callback, outcome=CallBackOutcome.SATISFIED, by=callcentre_user,
                                      note="Happy with the repair")
    assert result.callback.status == CallBackStatus.DONE and result.callback.attempts == 1
    log = StateLog.objects.filter(object_id=callback.pk, transition="reached").get()
    assert log.by == callcentre_user and log.state == CallBackStatus.DONE
    page = client_for(callcentre_user).get(f"/jobs/{job.reference}/").content.decode()
    assert "Call-back attempt 1" in page and "Reached: satisfied: Happy with the repair" in page


def test_record_callback_not_satisfied_needs_a_reason(completed, callcentre_user):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    with pytest.raises(ValidationError):
        services.callback_record(callback=callback, outcome=CallBackOutcome.NOT_SATISFIED, by=callcentre_user)
    result = services.callback_record(callback=callback, outcome=CallBackOutcome.NOT_SATISFIED,
                                      by=callcentre_user, note="Still a puddle by the meter")
    assert result.callback.status == CallBackStatus.DONE
    assert result.callback.outcome == CallBackOutcome.NOT_SATISFIED


def test_not_satisfied_offers_one_click_reopen_with_the_reason(completed, callcentre_user, client_for):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    client = client_for(callcentre_user)
    response = client.post(f"/callbacks/{callback.pk}/", {"attempts": 0, "outcome": "not_satisfied",
                                                          "note": "Still a puddle by the meter"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Reopen the job" in page
    response = client.post(f"/callbacks/{callback.pk}/reopen/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.reference}/"
    job.refresh_from_db()
    assert job.status == JobStatus.ALLOCATED
    log = StateLog.objects.filter(object_id=job.pk, transition="reopen").get()
    assert "Still a puddle by the meter" in log.description and log.by == callcentre_user


def test_reopen_from_a_callback_is_refused_unless_the_customer_was_unsatisfied(completed, callcentre_user,
                                                                             client_for):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    services.callback_record(callback=callback, outcome=CallBackOutcome.SATISFIED, by=callcentre_user)
    client_for(callcentre_user).post(f"/callbacks/{callback.pk}/reopen/")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


def test_no_answer_schedules_the_next_attempt_then_exhausts(completed, callcentre_user, settings):
    settings.CALLBACK_RETRY_MINUTES = 90
    settings.CALLBACK_MAX_ATTEMPTS = 3
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    for number in (1, 2):
        before = timezone.now()
        result = services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER, by=callcentre_user)
        assert result.callback.status == CallBackStatus.SCHEDULED and result.callback.attempts == number
        assert result.callback.due_at >= before + timedelta(minutes=90)
        callback = _due_now(result.callback)
    result = services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER, by=callcentre_user)
    assert result.callback.status == CallBackStatus.EXHAUSTED and result.callback.attempts == 3
    assert list(CallBackAttempt.objects.filter(callback=callback).values_list("number", "outcome")) == [
        (1, "no_answer"), (2, "no_answer"), (3, "no_answer")]
    with pytest.raises(services.CallBackChanged):
        services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER, by=callcentre_user)


def test_wrong_number_finishes_the_callback(completed, callcentre_user):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    result = services.callback_record(callback=callback, outcome=CallBackOutcome.WRONG_NUMBER, by=callcentre_user)
    assert result.callback.status == CallBackStatus.WRONG_NUMBER


def test_a_stale_callback_form_is_refused(completed, callcentre_user):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER, by=callcentre_user)
    with pytest.raises(services.CallBackChanged):
        services.callback_record(callback=callback, outcome=CallBackOutcome.SATISFIED, by=callcentre_user,
                                 expected_attempts=0)


def test_record_callback_is_refused_to_another_councils_call_centre_and_to_crews(completed, other_callcentre_user,
                                                                                crew_user, client_for):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    for user in (other_callcentre_user, crew_user):
        with pytest.raises(PermissionDenied):
            services.callback_record(callback=callback, outcome=CallBackOutcome.SATISFIED, by=user)
    assert client_for(other_callcentre_user).get(f"/callbacks/{callback.pk}/").status_code == 404
    assert client_for(crew_user).get(f"/callbacks/{callback.pk}/").status_code == 403


# The queue -----------------------------------------------------------------------------------

def test_callback_queue_lists_due_callbacks_first_longest_waiting_with_overdue_marked(
        council, suburb, leak, callcentre_user, client_for, settings):
    settings.CALLBACK_OVERDUE_MINUTES = 60
    now = timezone.now()
    overdue = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                              due_at=now - timedelta(hours=3), enquiry__description="Overdue leak")
    due = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                          due_at=now - timedelta(minutes=5), enquiry__description="Fresh leak")
    later = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                            due_at=now + timedelta(hours=2), enquiry__description="Not yet leak")
    page = client_for(callcentre_user).get("/callbacks/").content.decode()
    assert page.index("Overdue leak") < page.index("Fresh leak")
    assert "Not yet leak" not in page and "1 more not due yet" in page
    assert page.count("Overdue</span>") == 1
    assert overdue.enquiry.customer.phone in page and due.enquiry.customer.name in page
    assert later.enquiry.reference not in page


def test_callback_queue_shows_what_was_done(completed, callcentre_user, client_for):
    job, _ = completed()
    _due_now(CallBack.objects.get(job=job))
    page = client_for(callcentre_user).get("/callbacks/").content.decode()
    assert "Pipe replaced, water back on" in page and job.reference in page


def test_callback_queue_shows_only_the_councils_own(council, other_council, other_suburb, suburb, leak,
                                                    callcentre_user, casemanager_user, client_for):
    mine = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak)
    theirs = CallBackFactory(job__council=other_council, job__suburb=other_suburb, enquiry__issue_type=leak)
    page = client_for(callcentre_user).get("/callbacks/").content.decode()
    assert mine.enquiry.reference in page and theirs.enquiry.reference not in page
    page = client_for(casemanager_user).get("/callbacks/").content.decode()
    assert mine.enquiry.reference in page and theirs.enquiry.reference in page


@pytest.mark.parametrize("rows", [1, 12])
def test_callback_queue_query_count_does_not_grow(council, suburb, leak, callcentre_user, client_for,
                                                   django_assert_num_queries, rows):
    for _ in range(rows):
        CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak)
    client = client_for(callcentre_user)
    client.get("/callbacks/")
    # session, user, the page of the queue, the bounded due count, upcoming, the access log's one INSERT
    with django_assert_num_queries(6):
        assert client.get("/callbacks/").status_code == 200


def test_callback_queue_pages_fifty_at_a_time_longest_waiting_first(council, suburb, leak, callcentre_user,
                                                                    client_for):
    from datetime import timedelta

    callbacks = [CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                                 due_at=timezone.now() - timedelta(minutes=100 - n)) for n in range(55)]
    client = client_for(callcentre_user)
    first = client.get("/callbacks/")
    assert [c.pk for c in first.context["callbacks"]] == [c.pk for c in callbacks[:50]]
    assert "55 due now" in first.content.decode()
    second = client.get("/callbacks/", {"after": first.context["page"].next_cursor})
    assert [c.pk for c in second.context["callbacks"]] == [c.pk for c in callbacks[50:]]


# The sweep -----------------------------------------------------------------------------------

def test_sweep_tells_the_councils_call_centre_once_per_attempt(completed, council, callcentre_user,
                                                               other_callcentre_user):
    UserFactory(username="cc2", organisation=council, role_call_centre=True, email="cc2@wcc.example")
    type(callcentre_user).objects.filter(pk=callcentre_user.pk).update(email="cc@wcc.example")
    job, _ = completed()
    callback = CallBack.objects.get(job=job)
    assert services.callbacks_notify_due() == 0  # not due yet: the queue is not told
    _due_now(callback)
    assert services.callbacks_notify_due() == 1
    assert services.callbacks_notify_due() == 0  # beat running twice sends nothing more
    messages = OutboxMessage.objects.filter(key__startswith="callbacks-due:")
    assert sorted(messages.values_list("recipient", flat=True)) == ["cc2@wcc.example", "cc@wcc.example"]
    assert all(callback.enquiry.reference in m.body for m in messages)
    # No answer: the next attempt is announced again when it comes due.
    callback = services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER,
                                        by=callcentre_user).callback
    _due_now(callback)
    assert services.callbacks_notify_due() == 1
    assert OutboxMessage.objects.filter(key__startswith="callbacks-due:").count() == 4


@pytest.mark.parametrize(("outcome", "transition", "state"), [
    (CallBackOutcome.SATISFIED, "reached", CallBackStatus.DONE),
    (CallBackOutcome.NOT_SATISFIED, "reached", CallBackStatus.DONE),
    (CallBackOutcome.NO_ANSWER, "no_answer", CallBackStatus.SCHEDULED),
    (CallBackOutcome.WRONG_NUMBER, "wrong_number", CallBackStatus.WRONG_NUMBER),
])
def test_every_outcome_is_logged_with_who_from_and_to(completed, casemanager_user, outcome, transition, state):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    services.callback_record(callback=callback, outcome=outcome, by=casemanager_user, note="Rang at 10")
    log = StateLog.objects.for_(callback).get(transition=transition)
    assert (log.by, log.source_state, log.state) == (casemanager_user, CallBackStatus.SCHEDULED, state)
    assert log.description.endswith(": Rang at 10")
    attempt = CallBackAttempt.objects.get(callback=callback)
    assert (attempt.number, attempt.outcome, attempt.by) == (1, outcome, casemanager_user)


def test_callback_attempts_are_append_only(completed, callcentre_user):
    job, _ = completed()
    callback = _due_now(CallBack.objects.get(job=job))
    attempt = services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER,
                                       by=callcentre_user).attempt
    attempt.note = "changed later"
    with pytest.raises(ValueError, match="append-only"):
        attempt.save()


def test_the_sweeps_are_scheduled_in_django_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.filter(enabled=True).values_list("task", "interval__every"))
    assert tasks["feedback.tasks.callbacks_notify_due"] == 5
    assert tasks["feedback.tasks.feedback_send_reminders"] == 60


def test_the_sweep_task_runs_the_service_and_is_safe_twice(completed, callcentre_user):
    from feedback import tasks

    type(callcentre_user).objects.filter(pk=callcentre_user.pk).update(email="cc@wcc.example")
    job, _ = completed()
    _due_now(CallBack.objects.get(job=job))
    assert tasks.callbacks_notify_due.delay().get() == 1
    assert tasks.callbacks_notify_due.delay().get() == 0


def test_job_page_queries_do_not_grow_with_callbacks_and_feedback(completed, council, callcentre_user, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(job):
        client = client_for(callcentre_user)
        client.get(f"/jobs/{job.reference}/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/jobs/{job.reference}/").status_code == 200
        return len(ctx.captured_queries)

    one, _ = completed()
    many, _ = completed(customers=[CustomerFactory(council=council) for _ in range(4)])
    for job in (one, many):
        for callback in CallBack.objects.filter(job=job):
            services.callback_record(callback=_due_now(callback), outcome=CallBackOutcome.NO_ANSWER,
                                     by=callcentre_user)
    assert count(one) == count(many)


# A best time the scheduler once read as an empty window ----------------------------------------

@pytest.mark.parametrize("best_time", ["by 8", "before 8", "before 8am", "till 9", "7-8", "call my wife"])
def test_completing_a_job_schedules_a_callback_whatever_the_best_time_says(completed, best_time, settings):
    job, [enquiry] = completed(best_time=best_time)
    assert job.status == JobStatus.COMPLETED
    callback = CallBack.objects.get(job=job)
    assert callback.status == CallBackStatus.SCHEDULED and callback.enquiry == enquiry
    assert callback.due_at >= job.completed_at + timedelta(minutes=settings.CALLBACK_DELAY_MINUTES)


@pytest.mark.parametrize("best_time", ["by 8", "before 8"])
def test_no_answer_on_a_callback_with_a_by_8_best_time_schedules_the_retry(council, suburb, leak, callcentre_user,
                                                                             best_time, settings):
    # Made by the factory, not by completing a job: this checks the retry alone.
    settings.CALLBACK_RETRY_MINUTES = 90
    callback = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                               enquiry__callback_best_time=best_time)
    before = timezone.now()
    result = services.callback_record(callback=callback, outcome=CallBackOutcome.NO_ANSWER, by=callcentre_user)
    assert result.callback.status == CallBackStatus.SCHEDULED and result.callback.attempts == 1
    assert result.callback.due_at >= before + timedelta(minutes=90)
    assert list(CallBackAttempt.objects.filter(callback=callback).values_list("outcome", flat=True)) == ["no_answer"]


# The customer's words, shown to the caller ------------------------------------------------------

def test_callback_queue_shows_the_best_time_and_flags_words_that_are_not_a_time(council, suburb, leak,
                                                                                callcentre_user, client_for):
    read = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                           enquiry__callback_best_time="after 5pm", enquiry__description="Read leak")
    unread = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                             enquiry__callback_best_time="ring my son Tom", enquiry__description="Unread leak")
    page = client_for(callcentre_user).get("/callbacks/").content.decode()
    assert "Best time: after 5pm" in page and "Best time: ring my son Tom" in page
    assert page.count("Could not read as a time: due in business hours") == 1
    row = page[page.index(unread.enquiry.reference) - 600:page.index(unread.enquiry.reference)]
    assert "ring my son Tom" in row and "Could not read as a time" in row
    assert read.enquiry.reference in page


def test_record_callback_page_shows_the_words_and_how_they_were_read(council, suburb, leak, callcentre_user,
                                                                     client_for):
    client = client_for(callcentre_user)
    read = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                           enquiry__callback_best_time="weekend mornings")
    page = client.get(f"/callbacks/{read.pk}/").content.decode()
    assert "Best time to call: “weekend mornings”" in page and "Read as: Weekends, 8:00 am-12:00 pm" in page
    assert "Could not read as a time" not in page
    unread = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                             enquiry__callback_best_time="after 9pm")
    page = client.get(f"/callbacks/{unread.pk}/").content.decode()
    assert "Best time to call: “after 9pm”" in page
    assert "Could not read as a time: due in business hours" in page and "Read as" not in page


@pytest.mark.parametrize("best_time", ["", "by 8"])
def test_record_callback_no_answer_page_schedules_the_retry_and_says_when(council, suburb, leak, callcentre_user,
                                                                          client_for, best_time):
    callback = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                               enquiry__callback_best_time=best_time)
    response = client_for(callcentre_user).post(f"/callbacks/{callback.pk}/", {
        "attempts": 0, "outcome": CallBackOutcome.NO_ANSWER, "note": ""}, follow=True)
    callback.refresh_from_db()
    assert callback.attempts == 1 and callback.status == CallBackStatus.SCHEDULED
    due = timezone.localtime(callback.due_at)
    assert f"next attempt due {due:%d/%m/%Y %H:%M}." in response.content.decode()


def test_callbacks_due_email_gives_each_customers_best_time(completed, council, callcentre_user):
    type(callcentre_user).objects.filter(pk=callcentre_user.pk).update(email="cc@wcc.example")
    job, _ = completed(best_time="between 7 and 8pm")
    _due_now(CallBack.objects.get(job=job))
    assert services.callbacks_notify_due() == 1
    body = OutboxMessage.objects.get(recipient="cc@wcc.example").body
    assert "best time to call: between 7 and 8pm" in body
