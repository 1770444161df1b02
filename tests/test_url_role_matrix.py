"""Every URL for every role: anonymous users are sent to log in, wrong roles get 403/404."""

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from common.models import OutboxMessage
from common.outbox import outbox_add
from complaints.models import ComplaintAction
from jobs.enums import JobStatus
from tests.factories import (
    CallBackFactory,
    ComplaintFactory,
    CustomerFactory,
    EnquiryFactory,
    FeedbackRequestFactory,
    JobFactory,
    letter_for,
    photo_for,
)

ROLES = ["callcentre", "casemanager", "crew", "analyst", "admin", "privacyofficer"]

# url name -> (args builder key, {role: expected status}); roles not listed expect 403.
MATRIX = {
    "home": (None, {role: 302 for role in ROLES}),
    "password_change": (None, {role: 200 for role in ROLES}),
    "password_change_done": (None, {role: 200 for role in ROLES}),
    "accounts:admin-home": (None, {"admin": 200}),
    "admin:index": (None, {"admin": 200}),
    "enquiries:home": (None, {"callcentre": 200}),
    "enquiries:enquiry-list": (None, {"callcentre": 200, "casemanager": 200, "analyst": 200}),
    "enquiries:enquiry-create": (None, {"callcentre": 200}),
    "enquiries:customer-search": (None, {"callcentre": 200}),
    "enquiries:customer-pick": ("customer", {"callcentre": 200}),
    "enquiries:duplicate-candidates": (None, {"callcentre": 200}),
    "enquiries:suburb-options": (None, {"callcentre": 200}),
    "enquiries:access-log": (None, {"privacyofficer": 200}),
    "enquiries:enquiry-detail": ("enquiry", {"callcentre": 200, "casemanager": 200, "analyst": 200}),
    "enquiries:enquiry-resolve": ("enquiry", {"callcentre": 200, "casemanager": 200}),
    "enquiries:enquiry-link": ("enquiry", {"casemanager": 200}),
    "jobs:triage": (None, {"casemanager": 200}),
    "jobs:crew-queue": (None, {"crew": 200}),
    "jobs:job-create": (None, {"casemanager": 405}),
    "jobs:job-detail": ("job", {"callcentre": 200, "casemanager": 200, "crew": 200, "analyst": 200}),
    "jobs:job-categorise": ("job", {"casemanager": 200}),
    "jobs:job-allocate": ("job", {"casemanager": 200}),
    "jobs:job-dispatch": ("job", {"casemanager": 200}),
    "jobs:job-cancel": ("job", {"casemanager": 200}),
    "jobs:job-reopen": ("job", {"casemanager": 302}),  # not available on an open job: back to the job
    "jobs:job-location": ("job", {"casemanager": 200}),
    "jobs:job-create-found": (None, {"casemanager": 200}),
    "jobs:job-service": ("job", {"casemanager": 302}),  # dispatched: the service can no longer change
    "jobs:job-merge": ("job", {"casemanager": 200}),
    "jobs:job-unlink": ("job", {"casemanager": 302}),  # no enquiry to unlink
    "jobs:job-exclude": ("job", {"casemanager": 302}),  # not attended: nothing to exclude
    "jobs:job-include": ("job", {"casemanager": 302}),  # not excluded: nothing to include again
    "jobs:job-unmerge": ("job", {"casemanager": 302}),  # not merged: nothing to unmerge
    "jobs:job-note": ("job", {"callcentre": 405, "casemanager": 405, "crew": 405, "analyst": 405}),
    "jobs:job-message-retry": ("message", {"casemanager": 405}),
    # The crew's steps on a dispatched job: arrival is open to the crew (and a case manager for
    # them); the later steps are not available yet, so those who may take them go back to the job.
    "jobs:job-arrive": ("job", {"casemanager": 200, "crew": 200}),
    "jobs:job-assess": ("job", {"casemanager": 302, "crew": 302}),
    "jobs:job-start-repair": ("job", {"casemanager": 302, "crew": 302}),
    "jobs:job-complete": ("job", {"casemanager": 302, "crew": 302}),
    "jobs:job-variation": ("job", {"casemanager": 302, "crew": 302}),  # not assessed yet
    "jobs:job-photos-add": ("job", {"casemanager": 200, "crew": 200}),
    "jobs:job-photo": ("photo", {"callcentre": 200, "casemanager": 200, "crew": 200, "analyst": 200}),
    "jobs:job-photo-thumb": ("photo", {"callcentre": 200, "casemanager": 200, "crew": 200, "analyst": 200}),
    # Letters carry names and postal addresses: for the staff who post them (Privacy Act 2020).
    "jobs:job-letter": ("letter", {"callcentre": 200, "casemanager": 200}),
    "jobs:job-site-contact": ("job", {"casemanager": 200}),
    "jobs:job-update": ("job", {"casemanager": 200, "crew": 200}),
    "jobs:customer-history": ("customer", {"callcentre": 200, "casemanager": 200}),
    "jobs:job-close": ("job", {"callcentre": 200, "casemanager": 200}),  # open: the reasons it cannot close yet
    "feedback:callback-queue": (None, {"callcentre": 200, "casemanager": 200}),
    "feedback:callback-record": ("callback", {"callcentre": 200, "casemanager": 200}),
    "feedback:callback-reopen": ("callback", {"callcentre": 405, "casemanager": 405}),
    "feedback:feedback-record": ("job", {"callcentre": 200, "casemanager": 200}),
    "feedback:feedback-letter": ("feedback_request", {"callcentre": 200, "casemanager": 200}),
    "reporting:dashboard": (None, {"analyst": 200}),
    "reporting:figure-detail": (None, {"analyst": 400}),  # which figure, council and period: none given
    "reporting:export-jobs": (None, {"analyst": 200}),
    "reporting:report-list": (None, {"casemanager": 200, "analyst": 200}),
    "reporting:report-create": (None, {"analyst": 405}),
    "reporting:dashboard-refresh": (None, {"analyst": 405}),  # POST only
    "reporting:period-publish": (None, {"analyst": 200}),
    "reporting:report-detail": ("report", {"casemanager": 200, "analyst": 200}),
    "reporting:report-progress": ("report", {"casemanager": 200, "analyst": 200}),
    "reporting:report-download": ("report", {"casemanager": 200, "analyst": 200}),
    # A complaint just received: "Record cause", "Escalate" and "Withdrawn" are open to it; the other
    # steps send the case manager back to the complaint (302) with a message.
    "complaints:complaint-list": (None, {"callcentre": 200, "casemanager": 200}),
    "complaints:complaint-create": (None, {"callcentre": 200, "casemanager": 200}),
    "complaints:complaint-detail": ("complaint", {"callcentre": 200, "casemanager": 200}),
    "complaints:complaint-understand": ("complaint", {"casemanager": 200}),
    "complaints:complaint-contact": ("complaint", {"casemanager": 302}),
    "complaints:complaint-agree": ("complaint", {"casemanager": 302}),
    "complaints:complaint-escalate": ("complaint", {"casemanager": 200}),
    "complaints:complaint-resolve": ("complaint", {"casemanager": 302}),
    "complaints:complaint-close": ("complaint", {"casemanager": 302}),
    "complaints:complaint-withdraw": ("complaint", {"callcentre": 200, "casemanager": 200}),
    "complaints:complaint-reopen": ("complaint", {"casemanager": 302}),
    "complaints:action-done": ("complaint_step", {"callcentre": 405, "casemanager": 405}),
    "complaints:complaint-message-retry": ("complaint_message", {"casemanager": 405}),
}

# Reachable without logging in, on purpose.
PUBLIC = {"login", "logout", "healthz", "password_reset", "password_reset_done", "password_reset_confirm",
          "password_reset_complete", "bench-bare",
          # Stage 4's public pages (tests/test_feedback.py, tests/test_status_page.py): no personal data, rate-limited.
          "feedback:give", "feedback:give-code", "feedback:status"}


def _all_url_names(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                continue  # the admin's own URLs: admin:index stands for them all
            yield from _all_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_matrix_covers_every_named_url():
    missing = set(_all_url_names()) - set(MATRIX) - PUBLIC
    assert not missing, f"add these URLs to the role matrix: {sorted(missing)}"


@pytest.fixture
def objects(council, suburb, contractor, casemanager_user, p2, main_leak, leak, settings, tmp_path):
    from django.core.files.base import ContentFile

    from reporting.models import Report

    settings.REPORTS_ROOT = tmp_path
    report = Report.objects.create(reference="RPT-2026-000001", council=council, services=["water_supply"],
                                   period_key="FY2025", status="done")
    report.file.save("RPT-2026-000001.pdf", ContentFile(b"%PDF-1.4 test"))
    customer = CustomerFactory(council=council)
    enquiry = EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak)
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor)
    complaint = ComplaintFactory(council=council, customer=customer, job=job)
    step = ComplaintAction.objects.create(complaint=complaint, text="Call back", owner=casemanager_user,
                                          due_on=complaint.received_at.date(), created_by=casemanager_user)
    enquiry.job = job
    enquiry.save(update_fields=["job"])
    photo = photo_for(job)
    letter = letter_for(job)
    with transaction.atomic():
        message = outbox_add(channel="email", recipient="aroha@example.org", subject="Update", body="Kia ora",
                             key="matrix-failed", about=job)
        complaint_message = outbox_add(channel="email", recipient="manager@example.org", subject="Escalated",
                                       body="Please", key="matrix-complaint-failed", about=complaint)
    OutboxMessage.objects.filter(pk__in=[message.pk, complaint_message.pk]).update(
        status="failed", last_error="Connection refused")
    callback = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__suburb=suburb,
                               enquiry__issue_type=leak)
    request = FeedbackRequestFactory(job__council=council, job__suburb=suburb, enquiry__suburb=suburb,
                                     enquiry__issue_type=leak)
    return {"customer": [customer.pk], "enquiry": [enquiry.reference], "job": [job.reference],
            "report": [report.reference], "complaint": [complaint.reference],
            "complaint_step": [complaint.reference, step.pk],
            "photo": [job.reference, photo.pk], "letter": [job.reference, letter.pk],
            "callback": [callback.pk], "feedback_request": [request.pk],
            "message": [job.reference, message.pk],
            "complaint_message": [complaint.reference, complaint_message.pk]}


def _url(name, key, objects):
    return reverse(name, args=objects[key] if key else None)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_users_are_sent_to_log_in(client, objects, name):
    key, _expected = MATRIX[name]
    response = client.get(_url(name, key, objects))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_only_its_pages(client_for, user_for_role, objects, name, role):
    key, expected = MATRIX[name]
    response = client_for(user_for_role(role)).get(_url(name, key, objects))
    assert response.status_code == expected.get(role, 403), f"{role} on {name}"


OUT_OF_SCOPE = [
    # (role, url name, object that belongs to someone else)
    ("callcentre", "enquiries:enquiry-detail", "other_enquiry"),
    ("callcentre", "enquiries:enquiry-resolve", "other_enquiry"),
    ("callcentre", "enquiries:customer-pick", "other_customer"),
    ("callcentre", "jobs:job-detail", "other_job"),
    ("crew", "jobs:job-detail", "other_job"),
    ("crew", "jobs:job-detail", "undispatched_job"),
    ("crew", "jobs:job-arrive", "other_job"),
    ("crew", "jobs:job-update", "other_job"),
    ("crew", "jobs:job-photos-add", "other_job"),
    ("crew", "jobs:job-photo", "other_photo"),
    ("crew", "jobs:job-photo-thumb", "other_photo"),
    ("crew", "jobs:job-letter", "other_letter"),
    ("callcentre", "jobs:customer-history", "other_customer"),
    ("casemanager", "jobs:job-detail", "missing_job"),
    ("casemanager", "enquiries:enquiry-detail", "missing_enquiry"),
    ("callcentre", "complaints:complaint-detail", "other_complaint"),
    ("callcentre", "complaints:complaint-withdraw", "other_complaint"),
    ("casemanager", "complaints:complaint-detail", "missing_complaint"),
]


@pytest.fixture
def foreign(other_council, other_suburb, other_contractor, leak):
    customer = CustomerFactory(council=other_council)
    enquiry = EnquiryFactory(council=other_council, suburb=other_suburb, customer=customer, issue_type=leak)
    other_job = JobFactory(council=other_council, suburb=other_suburb, status=JobStatus.DISPATCHED,
                           contractor=other_contractor)
    undispatched = JobFactory(council=other_council, suburb=other_suburb, status=JobStatus.ALLOCATED)
    other_complaint = ComplaintFactory(council=other_council, customer=customer, job=other_job)
    photo, letter = photo_for(other_job), letter_for(other_job)
    return {
        "other_complaint": [other_complaint.reference], "missing_complaint": ["CMP-2026-999999"],
        "other_photo": [other_job.reference, photo.pk], "other_letter": [other_job.reference, letter.pk],
        "other_enquiry": [enquiry.reference], "other_customer": [customer.pk], "other_job": [other_job.reference],
        "undispatched_job": [undispatched.reference], "missing_job": ["JOB-2026-999999"],
        "missing_enquiry": ["ENQ-2026-999999"],
        # What a leak would show: the records' references, the customer, the addresses.
        "secrets": [enquiry.reference, other_job.reference, undispatched.reference, customer.name, customer.phone,
                    enquiry.street_address, other_job.street_address, undispatched.street_address],
    }


@pytest.mark.parametrize(("role", "name", "key"), OUT_OF_SCOPE)
def test_out_of_scope_objects_answer_404(client_for, user_for_role, contractor, foreign, role, name, key):
    response = client_for(user_for_role(role)).get(reverse(name, args=foreign[key]))
    assert response.status_code == 404
    body = response.content.decode()
    # The house 404 page, and nothing of the record behind it: not even that it exists.
    assert "We couldn't find that" in body
    leaked = [secret for secret in foreign["secrets"] if secret in body]
    assert not leaked, f"{role} on {name} was shown {leaked}"


# POSTs: every object-bearing URL, every role, with a valid CSRF token and a payload that
# would be accepted from the right user. Whoever may not act there changes nothing.

# url name -> roles that may change something there by POST.
ACTORS = {
    "enquiries:enquiry-resolve": {"callcentre", "casemanager"},
    "enquiries:enquiry-link": {"casemanager"},
    "jobs:job-categorise": {"casemanager"},
    "jobs:job-allocate": {"casemanager"},
    "jobs:job-dispatch": {"casemanager"},
    "jobs:job-cancel": {"casemanager"},
    "jobs:job-reopen": {"casemanager"},
    "jobs:job-location": {"casemanager"},
    "jobs:job-note": {"casemanager", "crew"},
    "jobs:job-service": {"casemanager"},
    "jobs:job-merge": {"casemanager"},
    "jobs:job-unlink": {"casemanager"},
    "jobs:job-exclude": {"casemanager"},
    "jobs:job-include": {"casemanager"},
    "jobs:job-unmerge": {"casemanager"},
    "complaints:complaint-understand": {"casemanager"},
    "complaints:complaint-contact": {"casemanager"},
    "complaints:complaint-agree": {"casemanager"},
    "complaints:complaint-escalate": {"casemanager"},
    "complaints:complaint-resolve": {"casemanager"},
    "complaints:complaint-close": {"casemanager"},
    "complaints:complaint-reopen": {"casemanager"},
    "complaints:complaint-withdraw": {"callcentre", "casemanager"},
    "complaints:action-done": {"casemanager"},
    "complaints:complaint-message-retry": {"casemanager"},
    "jobs:job-arrive": {"casemanager", "crew"},
    "jobs:job-assess": {"casemanager", "crew"},
    "jobs:job-start-repair": {"casemanager", "crew"},
    "jobs:job-complete": {"casemanager", "crew"},
    "jobs:job-variation": {"casemanager", "crew"},
    "jobs:job-photos-add": {"casemanager", "crew"},
    "jobs:job-update": {"casemanager", "crew"},
    "jobs:job-site-contact": {"casemanager"},
    "jobs:job-close": {"callcentre", "casemanager"},
    "jobs:job-message-retry": {"casemanager"},
    "feedback:callback-record": {"callcentre", "casemanager"},
    "feedback:callback-reopen": {"callcentre", "casemanager"},
    "feedback:feedback-record": {"callcentre", "casemanager"},
}
# Actions that the test job (dispatched, no enquiry, nothing to merge into) cannot take:
# reopen (it is open), change service (dispatched), unlink (no enquiry), exclude (not
# attended), merge (no second job in the payload).
# The crew's later steps wait for an arrival or assessment; photos and updates need their own fields
# (tested in test_fieldwork.py and test_customer_updates.py).
NOT_AVAILABLE_ON_THE_TEST_JOB = {"jobs:job-reopen", "jobs:job-service", "jobs:job-unlink", "jobs:job-exclude",
                                 "jobs:job-include", "jobs:job-unmerge",
                                 "jobs:job-merge", "jobs:job-assess", "jobs:job-start-repair", "jobs:job-complete",
                                 "jobs:job-variation", "jobs:job-photos-add", "jobs:job-update",
                                 # Stage 4: the test job is not completed (no close, no feedback), and a call-back
                                 # takes its own outcome; the actors' POSTs are tested in test_callbacks.py,
                                 # test_close_call_ticket.py and test_feedback.py.
                                 "jobs:job-close", "feedback:callback-record", "feedback:callback-reopen",
                                 "feedback:feedback-record"}
OBJECT_URLS = sorted(name for name, (key, _expected) in MATRIX.items() if key)


def _csrf_client(user):
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, token


def _payload(ctx) -> dict:
    """Plausible values for every field of every form behind these URLs."""
    job = ctx["job_obj"]
    return {
        "version": job.version, "category": ctx["category"].pk, "priority": ctx["priority"].pk,
        "case_manager": ctx["case_manager"].pk, "contractor": ctx["contractor"].pk, "reason": "other",
        "cancel_reason": "other", "note": "Checked with the customer.", "text": "Valve seized; back at 2.",
        "street_address": "12 Tory Street", "suburb": ctx["suburb"].pk, "latitude": "-41.29", "longitude": "174.78",
        "outcome": "Told the caller the outage is planned.", "job_reference": job.reference,
    }


def _snapshot() -> dict:
    """Every row a POST here could add, change or remove."""
    from django_fsm_log.models import StateLog

    from complaints.models import Complaint, ComplaintAction
    from enquiries.models import Customer, Enquiry
    from jobs.models import Job, JobEvent

    return {
        "complaints": sorted(Complaint.objects.values_list("pk", "status", "version")),
        "complaint_steps": sorted(ComplaintAction.objects.values_list("pk", "done_at")),
        "jobs": sorted(Job.objects.values_list("pk", "status", "version", "updated_at", "street_address",
                                               "category_id", "priority_id", "case_manager_id", "contractor_id")),
        "enquiries": sorted(Enquiry.objects.values_list("pk", "status", "job_id")),
        "customers": Customer.objects.count(),
        "events": JobEvent.objects.count(),
        "state_log": StateLog.objects.count(),
        "outbox": sorted(OutboxMessage.objects.values_list("pk", "status")),
    }


@pytest.fixture
def post_context(objects, main_leak, p2, casemanager_user, contractor, suburb):
    from jobs.models import Job

    return {**objects, "job_obj": Job.objects.get(reference=objects["job"][0]), "category": main_leak,
            "priority": p2, "case_manager": casemanager_user, "contractor": contractor, "suburb": suburb}


# Every (url, role) pair except the roles that act there (their POSTs are tested with each feature).
NON_ACTORS = [(name, role) for name in OBJECT_URLS for role in ROLES if role not in ACTORS.get(name, set())]


@pytest.mark.parametrize(("name", "role"), NON_ACTORS)
def test_posts_from_roles_that_may_not_act_change_nothing(user_for_role, post_context, name, role):
    client, token = _csrf_client(user_for_role(role))
    before = _snapshot()
    response = client.post(_url(name, MATRIX[name][0], post_context),
                           {**_payload(post_context), "csrfmiddlewaretoken": token})
    assert response.status_code in (403, 404, 405), f"{role} POST {name}: {response.status_code}"
    assert _snapshot() == before, f"{role} POST {name} changed the database"


def test_the_csrf_token_in_these_posts_is_a_valid_one(casemanager_user, post_context):
    """The no-change test above would pass vacuously if its CSRF token were refused: check it is accepted."""
    from common.submissions import TOKEN_FIELD, submission_token_new

    client, token = _csrf_client(casemanager_user)
    before = _snapshot()
    response = client.post(_url("jobs:job-note", "job", post_context), {
        **_payload(post_context), "csrfmiddlewaretoken": token,
        TOKEN_FIELD: submission_token_new(user=casemanager_user)})
    assert response.status_code == 302
    assert _snapshot()["events"] == before["events"] + 1
    refused = client.post(_url("jobs:job-note", "job", post_context), {"text": "x", "csrfmiddlewaretoken": "bad"})
    assert refused.status_code == 403


FOREIGN_URLS = [name for name in OBJECT_URLS if MATRIX[name][0] in ("enquiry", "job")]


@pytest.mark.parametrize("role", ["callcentre", "crew", "analyst", "admin"])
@pytest.mark.parametrize("name", FOREIGN_URLS)
def test_posts_on_records_out_of_scope_change_nothing(user_for_role, post_context, foreign, name, role):
    """Another council's enquiry or job, another contractor's job: whatever the role, no change."""
    key = MATRIX[name][0]
    target = foreign["other_enquiry"] if key == "enquiry" else foreign["other_job"]
    client, token = _csrf_client(user_for_role(role))
    before = _snapshot()
    response = client.post(reverse(name, args=target), {**_payload(post_context), "csrfmiddlewaretoken": token})
    assert response.status_code in (403, 404, 405), f"{role} POST {name}: {response.status_code}"
    assert _snapshot() == before, f"{role} POST {name} on a foreign record changed the database"


# The complaint steps take their own payloads; tests/test_complaint_*.py post them as their actors.
@pytest.mark.parametrize("name", sorted(name for name in ACTORS if not name.startswith("complaints:")))
def test_the_payload_is_one_the_actor_can_use(user_for_role, post_context, name):
    """For each URL, some actor's POST with this payload does change something (so the payload is plausible)."""
    changed = False
    from common.submissions import TOKEN_FIELD, submission_token_new

    for role in sorted(ACTORS[name]):
        user = user_for_role(role)
        client, token = _csrf_client(user)
        before = _snapshot()
        client.post(_url(name, MATRIX[name][0], post_context), {
            **_payload(post_context), "csrfmiddlewaretoken": token, TOKEN_FIELD: submission_token_new(user=user)})
        changed = changed or _snapshot() != before
    assert changed != (name in NOT_AVAILABLE_ON_THE_TEST_JOB), f"{name}: changed={changed} with this payload"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_bench_bare_view_is_not_there_unless_benchmarking(db, client_for, user_for_role, settings, role):
    client = client_for(user_for_role(role) if role else None)
    assert client.get("/bench/bare").status_code == 404
    settings.BENCH = True
    response = client.get("/bench/bare")
    assert response.status_code == 200 and response.content == b"ok"
