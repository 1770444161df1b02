"""A create form submitted twice (double click, browser retry) creates once: one-time tokens."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from common.models import FormSubmission
from common.submissions import AlreadySubmitted, submission_claim, submission_prune, submission_token_new
from enquiries.enums import EnquiryStatus
from enquiries.models import Enquiry
from jobs.enums import JobEventKind, JobStatus
from jobs.models import Job, JobEvent
from tests.factories import EnquiryFactory, JobFactory
from tests.test_concurrency import _run_together


def _enquiry_form(user, council, suburb, leak, **overrides):
    data = {
        "submission_token": submission_token_new(user=user),
        "customer_name": "Aroha Ngata", "customer_phone": "021 555 0101", "customer_email": "aroha@example.co.nz",
        "customer_postal_address": "", "preferred_channel": "phone", "council": council.pk,
        "street_address": "12 Cuba Street", "suburb": suburb.pk, "service": "water_supply", "issue_type": leak.pk,
        "description": "Water bubbling up through the footpath", "channel": "phone",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def _flashed(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _told_on_page(response, candidates: list[str]) -> list[str]:
    """Which of the candidate messages the page shows (read from the HTML: the test client's
    captured context is not safe across threads)."""
    body = response.content.decode()
    return [text for text in candidates if text in body]


def _token_on_page(response) -> str:
    return re.search(r'name="submission_token" value="([^"]+)"', response.content.decode()).group(1)


def test_log_enquiry_submitted_twice_creates_one_enquiry_and_sends_one_email(
    client_for, callcentre_user, council, suburb, leak, django_capture_on_commit_callbacks
):
    client = client_for(callcentre_user)
    data = _enquiry_form(callcentre_user, council, suburb, leak)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/enquiries/new/", data, follow=True)
        second = client.post("/enquiries/new/", data, follow=True)
    enquiry = Enquiry.objects.get()
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == f"/enquiries/{enquiry.reference}/"
    assert f"Enquiry {enquiry.reference} logged. Read the reference back to the caller." in _flashed(first)
    assert _flashed(second) == [f"This was already recorded: {enquiry.reference}."]
    assert len(mail.outbox) == 1 and enquiry.reference in mail.outbox[0].body


def test_the_log_enquiry_page_issues_a_fresh_token_each_time(client_for, callcentre_user, council, suburb, leak):
    client = client_for(callcentre_user)
    first_token = _token_on_page(client.get("/enquiries/new/"))
    second_token = _token_on_page(client.get("/enquiries/new/"))
    assert first_token != second_token
    for token in (first_token, second_token):
        client.post("/enquiries/new/", _enquiry_form(callcentre_user, council, suburb, leak, submission_token=token))
    assert Enquiry.objects.count() == 2  # two calls, two forms: two enquiries


def test_a_refused_submit_leaves_its_token_for_the_corrected_one(client_for, callcentre_user, council, suburb, leak):
    client = client_for(callcentre_user)
    data = _enquiry_form(callcentre_user, council, suburb, leak, customer_phone="", customer_email="",
                         preferred_channel="email")
    response = client.post("/enquiries/new/", data)
    assert response.status_code == 400 and not Enquiry.objects.exists()
    assert _token_on_page(response) == data["submission_token"]  # nothing was recorded under it
    data.update(customer_email="aroha@example.co.nz")
    assert client.post("/enquiries/new/", data).status_code == 302
    assert Enquiry.objects.count() == 1


def test_a_token_issued_to_another_user_is_refused(client_for, callcentre_user, council, suburb, leak):
    from tests.factories import UserFactory

    colleague = UserFactory(username="callcentre-2", organisation=council, role_call_centre=True)
    data = _enquiry_form(colleague, council, suburb, leak)
    response = client_for(callcentre_user).post("/enquiries/new/", data)
    assert response.status_code == 400
    assert "This form was opened by another user. Check the details and submit again." in response.content.decode()
    assert not Enquiry.objects.exists() and not FormSubmission.objects.exists()
    # The page now carries a token of this user's own: submitting again after checking works.
    fresh = _token_on_page(response)
    assert fresh != data["submission_token"]
    assert client_for(callcentre_user).post("/enquiries/new/", dict(data, submission_token=fresh)).status_code == 302
    assert Enquiry.objects.get().logged_by == callcentre_user


def test_a_token_claimed_by_another_user_is_refused_by_the_service(callcentre_user, casemanager_user):
    token = submission_token_new(user=callcentre_user)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="another user"):
        submission_claim(token=token, user=casemanager_user)


@pytest.mark.parametrize("token", ["", "not-a-token", "WzEsIngiXQ:1abcde:forged"])
def test_a_missing_or_forged_token_is_refused_and_nothing_created(client_for, callcentre_user, council, suburb, leak,
                                                                  token):
    response = client_for(callcentre_user).post("/enquiries/new/",
                                                _enquiry_form(callcentre_user, council, suburb, leak,
                                                              submission_token=token))
    assert response.status_code == 400
    assert "This form could not be checked. Check the details and submit again." in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_token_older_than_its_lifetime_is_refused(client_for, callcentre_user, council, suburb, leak, settings):
    settings.SUBMISSION_TOKEN_MAX_AGE_HOURS = 0
    data = _enquiry_form(callcentre_user, council, suburb, leak)
    response = client_for(callcentre_user).post("/enquiries/new/", data)
    assert response.status_code == 400
    assert "This form was opened more than 0 hours ago" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_create_job_submitted_twice_creates_one_job(client_for, casemanager_user, council, suburb, leak):
    enquiries = [EnquiryFactory(council=council, suburb=suburb, issue_type=leak) for _ in range(2)]
    client = client_for(casemanager_user)
    token = _token_on_page(client.get("/enquiries/"))
    data = {"enquiries": [e.pk for e in enquiries], "next": "/enquiries/", "submission_token": token}
    first = client.post("/jobs/create/", data, follow=True)
    second = client.post("/jobs/create/", data, follow=True)
    job = Job.objects.get()
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == f"/jobs/{job.reference}/"
    assert _flashed(first) == [f"Job {job.reference} created. Categorise it next."]
    assert _flashed(second) == [f"This was already recorded: {job.reference}."]
    assert set(job.enquiries.values_list("pk", flat=True)) == {e.pk for e in enquiries}


def test_create_job_from_the_triage_queue_carries_a_token(client_for, casemanager_user, council, suburb, leak):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    client = client_for(casemanager_user)
    token = _token_on_page(client.get("/jobs/triage/"))
    for _ in range(2):
        client.post("/jobs/create/", {"enquiries": [enquiry.pk], "submission_token": token})
    assert Job.objects.count() == 1


def test_link_to_job_submitted_twice_links_once(client_for, casemanager_user, council, suburb, leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, street_address="12 Cuba Street")
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address="14 Cuba Street")
    client = client_for(casemanager_user)
    page = client.get(f"/enquiries/{enquiry.reference}/link/")
    data = {"job_reference": job.reference, "submission_token": _token_on_page(page)}
    first = client.post(f"/enquiries/{enquiry.reference}/link/", data, follow=True)
    second = client.post(f"/enquiries/{enquiry.reference}/link/", data, follow=True)
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == f"/jobs/{job.reference}/"
    assert _flashed(second) == [f"This was already recorded: {enquiry.reference} linked to {job.reference}."]
    assert JobEvent.objects.filter(job=job, kind=JobEventKind.ENQUIRY_LINKED).count() == 1
    enquiry.refresh_from_db()
    assert enquiry.status == EnquiryStatus.LINKED


def test_an_internal_note_submitted_twice_is_added_once(client_for, casemanager_user, council, suburb):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.LOGGED)
    client = client_for(casemanager_user)
    data = {"text": "Customer rang again", "submission_token": _token_on_page(client.get(f"/jobs/{job.reference}/"))}
    client.post(f"/jobs/{job.reference}/notes/", data, follow=True)
    second = client.post(f"/jobs/{job.reference}/notes/", data, follow=True)
    assert JobEvent.objects.filter(job=job, kind=JobEventKind.NOTE).count() == 1
    assert _flashed(second) == [f"This was already recorded: the note on {job.reference}."]


def test_claiming_a_token_twice_names_the_first_result(callcentre_user):
    from common.submissions import submitted_once

    token = submission_token_new(user=callcentre_user)
    with submitted_once(token=token, user=callcentre_user) as claim:
        claim.record(url="/enquiries/ENQ-2026-000123/", label="ENQ-2026-000123")
    with pytest.raises(AlreadySubmitted) as repeat:
        submission_claim(token=token, user=callcentre_user)
    assert repeat.value.url == "/enquiries/ENQ-2026-000123/"
    assert repeat.value.message == "This was already recorded: ENQ-2026-000123."


def test_old_claims_are_pruned_once_their_tokens_would_be_refused(callcentre_user, settings):
    from datetime import timedelta

    settings.SUBMISSION_TOKEN_MAX_AGE_HOURS = 24
    now = timezone.now()
    FormSubmission.objects.create(token="old", user=callcentre_user, result_url="/", result_label="x",
                                  submitted_at=now - timedelta(hours=25))
    FormSubmission.objects.create(token="recent", user=callcentre_user, result_url="/", result_label="y",
                                  submitted_at=now - timedelta(hours=23))
    assert submission_prune(now=now) == 1
    assert list(FormSubmission.objects.values_list("token", flat=True)) == ["recent"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_of_one_log_enquiry_form_create_one_enquiry(client_for, callcentre_user, council,
                                                                           suburb, leak):
    data = _enquiry_form(callcentre_user, council, suburb, leak, customer_email="")
    clients = [client_for(callcentre_user), client_for(callcentre_user)]
    outcomes = _run_together(*(lambda c=c: c.post("/enquiries/new/", data, follow=True) for c in clients))
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    enquiry = Enquiry.objects.get()
    pages = [response for _, response in outcomes]
    assert {page.redirect_chain[-1][0] for page in pages} == {f"/enquiries/{enquiry.reference}/"}
    messages = [f"Enquiry {enquiry.reference} logged. Read the reference back to the caller.",
                f"This was already recorded: {enquiry.reference}."]
    told = sorted(text for page in pages for text in _told_on_page(page, messages))
    assert told == messages


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_of_one_create_job_form_create_one_job(client_for, casemanager_user, council, suburb,
                                                                      leak):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    data = {"enquiries": [enquiry.pk], "submission_token": submission_token_new(user=casemanager_user)}
    clients = [client_for(casemanager_user), client_for(casemanager_user)]
    outcomes = _run_together(*(lambda c=c: c.post("/jobs/create/", data, follow=True) for c in clients))
    job = Job.objects.get()
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    messages = [f"Job {job.reference} created. Categorise it next.", f"This was already recorded: {job.reference}."]
    told = sorted(text for _, page in outcomes for text in _told_on_page(page, messages))
    assert told == messages
    assert Job.objects.count() == 1


def test_pruning_old_claims_is_a_nightly_periodic_task(callcentre_user):
    from datetime import timedelta

    from django_celery_beat.models import PeriodicTask

    from common.tasks import submissions_prune

    task = PeriodicTask.objects.get(task="common.tasks.submissions_prune")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("3", "17")
    FormSubmission.objects.create(token="old", user=callcentre_user, result_url="/", result_label="x",
                                  submitted_at=timezone.now() - timedelta(days=3))
    assert submissions_prune() == 1 and not FormSubmission.objects.exists()
