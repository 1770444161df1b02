"""Feedback: asked on close by the customer's channel through the outbox, one reminder, a
signed single-use link that expires, and feedback taken by phone."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from common.models import OutboxMessage
from feedback import services, tokens
from feedback.enums import CallBackOutcome, FeedbackChannel, FeedbackSource
from feedback.models import CallBack, Feedback, FeedbackRequest
from jobs import services as job_services
from tests.closeout import make_completed_job
from tests.factories import CustomerFactory, FeedbackRequestFactory

ANSWERS = {"overall": "4", "timeliness": "5", "communication": "3", "fixed": "yes", "comment": "Quick work"}


@pytest.fixture
def closed(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak, callcentre_user):
    def make(customers=None):
        job, enquiries = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                            crew=crew_user, contractor=contractor, priority=p2, category=main_leak,
                                            customers=customers, callback=False)
        return job_services.job_close(job=job, by=callcentre_user), enquiries
    return make


def _link_path(request) -> str:
    return services.feedback_link(request).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


# Requests on close ---------------------------------------------------------------------------

def test_closing_asks_every_customer_once_by_their_channel(closed, council):
    customers = [
        CustomerFactory(council=council, email="aroha@example.co.nz", preferred_channel="email"),
        CustomerFactory(council=council, phone="021 555 0142", preferred_channel="sms"),
        CustomerFactory(council=council, postal_address="PO Box 1, Wellington", preferred_channel="letter"),
        CustomerFactory(council=council, preferred_channel="phone"),
    ]
    job, _ = closed(customers)
    requests = {r.customer_id: r for r in FeedbackRequest.objects.filter(job=job)}
    assert [requests[c.pk].channel for c in customers] == [
        FeedbackChannel.EMAIL, FeedbackChannel.SMS, FeedbackChannel.LETTER, FeedbackChannel.PHONE]
    email = OutboxMessage.objects.get(key=f"feedback-request:{requests[customers[0].pk].pk}")
    assert email.channel == "email" and email.recipient == "aroha@example.co.nz"
    assert f"/feedback/{job.reference}/{requests[customers[0].pk].code}:" in email.body
    sms = OutboxMessage.objects.get(key=f"feedback-request:{requests[customers[1].pk].pk}")
    assert sms.channel == "sms" and sms.recipient == "021 555 0142" and "/feedback/" in sms.body
    # Letters and phone customers get no e-mail or SMS.
    assert OutboxMessage.objects.filter(key__startswith="feedback-request:").count() == 2


def test_a_customer_with_two_enquiries_on_the_job_is_asked_once(closed, council, suburb, leak):
    customer = CustomerFactory(council=council, email="aroha@example.co.nz", preferred_channel="email")
    job, _ = closed([customer, customer])
    assert FeedbackRequest.objects.filter(job=job).count() == 1


def test_a_close_that_rolls_back_sends_nothing(council, suburb, leak, casemanager_user, crew_user, contractor, p2,
                                               main_leak, callcentre_user, monkeypatch):
    from jobs import states
    job, _ = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                crew=crew_user, contractor=contractor, priority=p2, category=main_leak,
                                callback=False)

    def broken(**kwargs):
        raise RuntimeError("later hook failed")

    monkeypatch.setattr(states, "_hooks", {**states._hooks, "closed": [*states._hooks["closed"], broken]})
    with pytest.raises(RuntimeError):
        job_services.job_close(job=job, by=callcentre_user)
    assert not FeedbackRequest.objects.exists() and not OutboxMessage.objects.filter(
        key__startswith="feedback").exists()


def test_reminder_goes_once_after_the_reminder_days_to_whoever_has_not_answered(closed, settings):
    settings.FEEDBACK_REMINDER_DAYS = 7
    job, _ = closed()
    request = FeedbackRequest.objects.get(job=job)
    assert services.feedback_send_reminders(now=timezone.now() + timedelta(days=6)) == 0
    later = timezone.now() + timedelta(days=7, minutes=1)
    assert services.feedback_send_reminders(now=later) == 1
    assert services.feedback_send_reminders(now=later + timedelta(days=1)) == 0
    reminder = OutboxMessage.objects.get(key=f"feedback-reminder:{request.pk}")
    assert reminder.subject.startswith("Reminder:") and f"/feedback/{job.reference}/{request.code}:" in reminder.body


def test_no_reminder_after_an_answer(closed, client):
    job, _ = closed()
    request = FeedbackRequest.objects.get(job=job)
    services.feedback_submit(request=request, answers={**ANSWERS, "overall": 4, "timeliness": 5,
                                                       "communication": 3})
    assert services.feedback_send_reminders(now=timezone.now() + timedelta(days=8)) == 0


# The link ------------------------------------------------------------------------------------

def test_feedback_link_shows_only_the_reference_and_suburb_and_takes_the_answers_once(closed, client):
    job, [enquiry] = closed()
    request = FeedbackRequest.objects.get(job=job)
    path = _link_path(request)
    page = client.get(path).content.decode()
    assert job.reference in page and job.suburb.name in page
    for private in (enquiry.customer.name, enquiry.customer.email, enquiry.customer.phone, job.street_address,
                    enquiry.street_address, enquiry.description):
        assert private not in page
    response = client.post(path, ANSWERS)
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.overall, feedback.timeliness, feedback.communication, feedback.fixed, feedback.comment) == (
        4, 5, 3, "yes", "Quick work")
    assert feedback.source == FeedbackSource.LINK and feedback.job == job and feedback.request == request
    # Used: said kindly, and nothing more is recorded.
    again = client.post(path, {**ANSWERS, "overall": "1"})
    assert again.status_code == 410 and "already have your feedback" in again.content.decode()
    assert Feedback.objects.count() == 1


def test_feedback_answers_are_validated(closed, client):
    job, _ = closed()
    path = _link_path(FeedbackRequest.objects.get(job=job))
    response = client.post(path, {**ANSWERS, "overall": "9"})
    assert response.status_code == 400 and not Feedback.objects.exists()
    assert "Select a valid choice" in response.content.decode()  # said beside the question


def _refusals(job, request, client, settings):
    """The answers to a forged, another job's, and unknown link (and, separately, expired)."""
    good = services.feedback_link(request).split("/feedback/", 1)[1].rstrip("/")
    reference, token = good.split("/", 1)
    code, stamp, signature = token.split(":")
    other = FeedbackRequestFactory()
    other_token = tokens.link_token(reference=other.job.reference, code=other.code)
    return {
        "forged signature": f"/feedback/{reference}/{code}:{stamp}:{'A' * len(signature)}/",
        "forged code": f"/feedback/{reference}/{'Z' * 10}:{stamp}:{signature}/",
        "another job's link on this job": f"/feedback/{reference}/{other_token}/",
        "this link on another job": f"/feedback/{other.job.reference}/{token}/",
        "unknown": f"/feedback/{reference}/nonsense/",
    }


def test_feedback_tokens_forged_another_jobs_and_unknown_are_refused_alike(closed, client, settings):
    job, _ = closed()
    request = FeedbackRequest.objects.get(job=job)
    answers = []
    for name, path in _refusals(job, request, client, settings).items():
        get = client.get(path)
        post = client.post(path, ANSWERS)
        answers.append((get.status_code, get.content, post.status_code, post.content))
        assert get.status_code == 404, name
        assert job.reference.encode() not in get.content, name
    assert len({a for a in answers}) == 1  # byte for byte the same page
    assert not Feedback.objects.exists()


def test_feedback_token_expired_is_refused_kindly(closed, client, settings):
    settings.FEEDBACK_LINK_DAYS = 30
    job, _ = closed()
    request = FeedbackRequest.objects.get(job=job)
    path = _link_path(request)
    settings.FEEDBACK_LINK_DAYS = 0  # the signature's age is now past the limit
    response = client.post(path, ANSWERS)
    assert response.status_code == 410 and "expired" in response.content.decode()
    settings.FEEDBACK_LINK_DAYS = 30
    FeedbackRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(path, ANSWERS)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert job.reference not in response.content.decode()
    assert not Feedback.objects.exists()


def test_letter_short_url_with_the_code_takes_the_answers(closed, council, client):
    customer = CustomerFactory(council=council, postal_address="PO Box 1, Wellington", preferred_channel="letter")
    job, _ = closed([customer])
    request = FeedbackRequest.objects.get(job=job)
    code = request.code
    assert client.get(f"/f/{code.lower()}/").status_code == 200  # typed in by hand
    assert client.post(f"/f/{code}/", ANSWERS).status_code == 200
    assert client.post(f"/f/{code}/", ANSWERS).status_code == 410
    assert client.get("/f/ABCDEFGHJK/").status_code == 404
    assert Feedback.objects.get().request == request


def test_feedback_link_is_rate_limited_per_link_and_per_address(closed, client, settings):
    settings.FEEDBACK_RATE_PER_LINK = "3/h"
    settings.PUBLIC_PAGE_RATE_PER_ADDRESS = "1000/m"
    job, _ = closed()
    path = _link_path(FeedbackRequest.objects.get(job=job))
    assert [client.post(path, {}).status_code for _ in range(4)][-1] == 429
    settings.PUBLIC_PAGE_RATE_PER_ADDRESS = "2/m"
    assert client.get("/f/ABCDEFGHJK/", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/f/ABCDEFGHJM/", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/f/ABCDEFGHJN/", REMOTE_ADDR="203.0.113.9").status_code == 429


def test_feedback_link_counts_submissions_not_page_views(closed, client, settings):
    settings.FEEDBACK_RATE_PER_LINK = "3/h"
    settings.PUBLIC_PAGE_RATE_PER_ADDRESS = "1000/m"
    job, _ = closed()
    path = _link_path(FeedbackRequest.objects.get(job=job))
    assert {client.get(path).status_code for _ in range(15)} == {200}


# By phone ------------------------------------------------------------------------------------

def test_staff_record_feedback_by_phone_on_the_job(closed, callcentre_user, client_for):
    job, [enquiry] = closed()
    client = client_for(callcentre_user)
    response = client.post(f"/jobs/{job.reference}/feedback/", {**ANSWERS, "enquiry": enquiry.pk})
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert feedback.source == FeedbackSource.PHONE and feedback.recorded_by == callcentre_user
    assert FeedbackRequest.objects.get(job=job).answered_at is not None  # the link is used up too
    page = client.get(f"/jobs/{job.reference}/").content.decode()
    assert "Overall 4/5, timeliness 5/5, communication 3/5, fixed: yes" in page


def test_feedback_given_on_the_callback_before_close(council, suburb, leak, casemanager_user, crew_user, contractor,
                                                     p2, main_leak, callcentre_user):
    customer = CustomerFactory(council=council, preferred_channel="phone")
    job, [enquiry] = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                        crew=crew_user, contractor=contractor, priority=p2, category=main_leak,
                                        customers=[customer])
    callback = CallBack.objects.get(job=job)
    CallBack.objects.filter(pk=callback.pk).update(due_at=timezone.now())
    services.callback_record(callback=callback, outcome=CallBackOutcome.SATISFIED, by=callcentre_user)
    services.feedback_record_by_phone(job=job, enquiry=enquiry, by=callcentre_user,
                                      answers={"overall": 5, "timeliness": 4, "communication": 5, "fixed": "yes"})
    assert Feedback.objects.get().source == FeedbackSource.PHONE


def test_staff_feedback_is_refused_to_crews_analysts_and_other_councils(closed, crew_user, analyst_user,
                                                                       other_callcentre_user, client_for):
    job, [enquiry] = closed()
    for user in (crew_user, analyst_user, other_callcentre_user):
        with pytest.raises(PermissionDenied):
            services.feedback_record_by_phone(job=job, enquiry=enquiry, by=user,
                                              answers={"overall": 5, "timeliness": 4, "communication": 5,
                                                       "fixed": "yes"})
    assert client_for(other_callcentre_user).get(f"/jobs/{job.reference}/feedback/").status_code == 404
    assert not Feedback.objects.exists()


def test_feedback_page_groups_each_question_in_a_fieldset_and_keeps_the_answers_on_an_error(closed, client):
    import re

    job, _ = closed()
    path = _link_path(FeedbackRequest.objects.get(job=job))
    response = client.post(path, {"overall": "2", "fixed": "no", "comment": '<script>"hi"</script> & more'})
    page = response.content.decode()
    assert response.status_code == 400 and not Feedback.objects.exists()
    fieldsets = re.findall(r"<fieldset[^>]*>\s*<legend[^>]*>([^<]+)</legend>", page)
    assert fieldsets == ["Overall, how satisfied are you? (1 = very unsatisfied, 5 = very satisfied)",
                         "How satisfied are you with how quickly it was done?",
                         "How satisfied are you with how we kept you informed?", "Was the problem fixed?"]
    for n in range(5):  # every radio button has its label
        assert f'id="id_timeliness_{n}" value="{n + 1}"' in page and f'<label class="form-check-label" ' \
            f'for="id_timeliness_{n}">{n + 1}</label>' in page
    # What was chosen and typed is there again, escaped; the missing answers say so beside them.
    assert 'id="id_overall_1" value="2" checked' in page and 'id="id_fixed_1" value="no" checked' in page
    assert page.count(" checked") == 2
    assert "&lt;script&gt;&quot;hi&quot;&lt;/script&gt; &amp; more</textarea>" in page and "<script>" not in page
    assert '<fieldset class="mb-3" aria-describedby="timeliness-error">' in page
    assert '<div class="text-danger small" id="timeliness-error">This field is required.</div>' in page
    assert 'aria-describedby="overall-error"' not in page
    assert '<label class="form-label" for="id_comment">' in page


def test_feedback_page_is_one_query_and_the_answers_are_recorded(closed, client, django_assert_num_queries):
    job, _ = closed()
    request = FeedbackRequest.objects.get(job=job)
    path = _link_path(request)
    with django_assert_num_queries(1):
        page = client.get(path).content.decode()
    assert "Send feedback" in page and job.suburb.name in page
    code_page = client.get(f"/f/{request.code.lower()}/").content.decode()
    assert "Send feedback" in code_page and job.reference in code_page
    assert client.post(path, ANSWERS).status_code == 200
    request.refresh_from_db()
    assert request.answered_at is not None and Feedback.objects.get().request == request
