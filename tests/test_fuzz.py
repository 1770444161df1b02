"""Fuzz: every URL and every form, as every role, with hostile values: never a 5xx.

The URLs are walked from the URL configuration itself (so a new page is fuzzed without
anyone remembering to add it), resolved with real records from a small data set. Each
page is fetched once to read its forms' field names; then every query parameter and
every form field is sent each value of the corpus, by GET and by POST with a valid CSRF
token, and the record's reference in the path is replaced by each value too.
"""

import re
import time
from urllib.parse import quote

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from enquiries.enums import EnquiryStatus
from jobs.enums import JobEventKind, JobStatus
from jobs.models import JobEvent
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

CORPUS = [
    "\x00",
    "x" * 10_000,
    "ab\x00cd",
    "\u202eRTL override\u202c مرحبا 💧👩‍🔧",
    "'; drop table enquiries_enquiry; --",
    "../../../../etc/passwd",
    "1e400",
    "-1",
    "-99999999999999999999999",
    "0000-00-00T00:00",
    "<script>alert(1)</script>",
    "",
]
# Query parameters the views read, beyond the fields their forms show.
QUERY_NAMES = ["q", "council", "service", "issue_type", "status", "callback_requested", "customer_query",
               "street_address", "latitude", "longitude", "link_job", "after", "before", "selected", "tab", "sort",
               "page", "show", "next"]
FIELD_NAME = re.compile(r'\bname="([^"]+)"')
SKIP_FIELDS = {"csrfmiddlewaretoken"}
ROLES = [None, "callcentre", "casemanager", "crew", "analyst", "admin"]
# The path converter answers before any role matters: one role that sees every record is enough.
PATH_FUZZ_ROLES = {"casemanager"}
# CPU seconds (the test client runs the app in this process). Measured on 2026-12-02 in a fresh
# CI run: within 120 on PostgreSQL, 129 on SQLite (5,258 requests: the dashboard's refresh and
# cold snapshots compute a year's figures by the Python path there). Wall-clock time on a shared
# machine says little, so the guard is on CPU time and only catches a walk that exploded; speed
# itself is measured by bench/.
CPU_BUDGET_S = 300


def _named_patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:index", pattern
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


@pytest.fixture
def data_set(council, suburb, contractor, casemanager_user, crew_user, callcentre_user, p2, main_leak, leak):
    customer = CustomerFactory(council=council, email="aroha@example.org", postal_address="PO Box 11")
    enquiry = EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak)
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, contractor=contractor)
    EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak, job=job,
                   status=EnquiryStatus.LINKED)
    JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=crew_user, text="Valve seized.")
    return {"customer": customer, "enquiry": enquiry, "job": job, "user": callcentre_user}


def _kwargs_for(name: str, pattern: URLPattern, data) -> dict:
    kwargs = {}
    for key in pattern.pattern.converters:
        if key == "reference":
            kwargs[key] = data["job"].reference if name.startswith(("jobs:", "feedback:")) \
                else data["enquiry"].reference
        elif key in ("pk", "customer_id"):
            kwargs[key] = data["customer"].pk
        elif key in ("photo_id", "letter_id", "message_id"):
            kwargs[key] = 999_999  # none such: the view answers 404 whatever else is sent
        elif key == "code":  # a feedback letter's short code
            kwargs[key] = "ABCDEFGHJK"
        elif key == "uidb64":
            kwargs[key] = urlsafe_base64_encode(force_bytes(data["user"].pk))
        elif key == "token":
            kwargs[key] = default_token_generator.make_token(data["user"])
        else:
            raise AssertionError(f"the fuzz test does not know how to fill <{key}> in {name}: teach it")
    return kwargs


def _client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, token


def test_every_url_and_form_answers_hostile_input_without_a_5xx(user_for_role, data_set, settings):
    # Throttles would answer 429 long before the corpus is through: fuzz the views, not the throttle.
    settings.LOGIN_FAILURES_PER_ADDRESS = "100000/m"
    settings.PASSWORD_RESETS_PER_ADDRESS = "100000/m"
    settings.PASSWORD_RESETS_PER_EMAIL = "100000/m"
    started, cpu_started = time.monotonic(), time.process_time()
    failures, requests = [], 0
    patterns = list(_named_patterns())
    assert len(patterns) > 25, "the URL walk found too few pages"
    for role in ROLES:
        user = user_for_role(role) if role else None
        for name, pattern in patterns:
            if name == "logout":
                continue  # logging out mid-walk would make the rest anonymous
            kwargs = _kwargs_for(name, pattern, data_set) if name != "admin:index" else {}
            url = reverse(name, kwargs=kwargs)
            client, token = _client(user)
            first = client.get(url)
            requests += 1
            if first.status_code >= 500:
                failures.append(f"{role} GET {url}: {first.status_code}")
            body = b"" if first.streaming else first.content  # a streamed CSV has no form to read
            fields = sorted(set(FIELD_NAME.findall(body.decode(errors="replace"))) - SKIP_FIELDS)
            reached = first.status_code < 300 or first.status_code == 405
            # Stopped at the door (login, 403, 404): the view never reads the input, two values do.
            values = CORPUS if reached else CORPUS[:2]
            for value in values:
                query = {name_: value for name_ in QUERY_NAMES + fields}
                form = {**query, "csrfmiddlewaretoken": token}
                for method, response in (("GET", client.get(url, query)), ("POST", client.post(url, form))):
                    requests += 1
                    if response.status_code >= 500:
                        failures.append(f"{role} {method} {url} with {value[:30]!r}: {response.status_code}")
                if "reference" in kwargs and role in PATH_FUZZ_ROLES:
                    hostile = url.replace(kwargs["reference"], quote(value or "-", safe=""))
                    response = client.get(hostile)
                    requests += 1
                    if response.status_code >= 500:
                        failures.append(f"{role} GET {hostile[:80]}: {response.status_code}")
                if client.session.get("_auth_user_id") is None and user is not None:
                    client, token = _client(user)  # a POST logged us out (the idle limit, say): carry on as before
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
    assert not failures, f"{len(failures)} 5xx answers of {requests} requests:\n" + "\n".join(failures[:40])
    print(f"fuzz: {requests} requests in {elapsed:.1f} s ({cpu:.1f} s CPU)")
    assert cpu < CPU_BUDGET_S, f"the fuzz walk took {cpu:.0f} s CPU, {elapsed:.0f} s for {requests} requests"
