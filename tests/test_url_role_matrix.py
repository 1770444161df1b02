"""Every URL for every role: anonymous users are sent to log in, wrong roles get 403/404."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

ROLES = ["callcentre", "casemanager", "crew", "analyst", "admin"]

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
    "jobs:job-note": ("job", {"callcentre": 405, "casemanager": 405, "crew": 405, "analyst": 405}),
    "reporting:dashboard": (None, {"analyst": 200}),
}

# Reachable without logging in, on purpose.
PUBLIC = {"login", "logout", "healthz", "password_reset", "password_reset_done", "password_reset_confirm",
          "password_reset_complete", "bench-bare"}


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
def objects(council, suburb, contractor, casemanager_user, p2, main_leak, leak):
    customer = CustomerFactory(council=council)
    enquiry = EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak)
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor)
    return {"customer": [customer.pk], "enquiry": [enquiry.reference], "job": [job.reference]}


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
    ("casemanager", "jobs:job-detail", "missing_job"),
    ("casemanager", "enquiries:enquiry-detail", "missing_enquiry"),
]


@pytest.fixture
def foreign(other_council, other_suburb, other_contractor, leak):
    customer = CustomerFactory(council=other_council)
    enquiry = EnquiryFactory(council=other_council, suburb=other_suburb, customer=customer, issue_type=leak)
    other_job = JobFactory(council=other_council, suburb=other_suburb, status=JobStatus.DISPATCHED,
                           contractor=other_contractor)
    undispatched = JobFactory(council=other_council, suburb=other_suburb, status=JobStatus.ALLOCATED)
    return {
        "other_enquiry": [enquiry.reference], "other_customer": [customer.pk], "other_job": [other_job.reference],
        "undispatched_job": [undispatched.reference], "missing_job": ["JOB-2026-999999"],
        "missing_enquiry": ["ENQ-2026-999999"],
    }


@pytest.mark.parametrize(("role", "name", "key"), OUT_OF_SCOPE)
def test_out_of_scope_objects_answer_404(client_for, user_for_role, contractor, foreign, role, name, key):
    response = client_for(user_for_role(role)).get(reverse(name, args=foreign[key]))
    assert response.status_code == 404
    assert b"We couldn&#x27;t find that" in response.content or b"find that" in response.content


@pytest.mark.parametrize("role", [None, *ROLES])
def test_bench_bare_view_is_not_there_unless_benchmarking(db, client_for, user_for_role, settings, role):
    client = client_for(user_for_role(role) if role else None)
    assert client.get("/bench/bare").status_code == 404
    settings.BENCH = True
    response = client.get("/bench/bare")
    assert response.status_code == 200 and response.content == b"ok"
