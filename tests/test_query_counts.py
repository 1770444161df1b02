"""Lists and pages cost the same number of queries at 1 row as at 50: no query per row."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs import services
from jobs.enums import JobStatus
from tests.factories import EnquiryFactory, JobFactory


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.fixture
def populate(council, suburb, leak, p2, main_leak, contractor, casemanager_user):
    def make(n):
        now = timezone.now()
        for i in range(n):
            job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2,
                             category=main_leak, contractor=contractor, case_manager=casemanager_user,
                             notified_at=now - timedelta(hours=i + 1))
            EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked",
                           received_at=now - timedelta(hours=i + 1))
            EnquiryFactory(council=council, suburb=suburb, issue_type=leak, received_at=now - timedelta(minutes=i),
                           callback_requested=True)
            JobFactory(council=council, suburb=suburb, status=JobStatus.LOGGED, notified_at=now - timedelta(hours=i))

    return make


PAGES = [
    ("casemanager", "/enquiries/", {}),
    ("casemanager", "/enquiries/", {"status": "new", "service": "water_supply", "q": "Cuba"}),
    ("callcentre", "/enquiries/", {"callback_requested": "true"}),
    ("callcentre", "/enquiries/home/", {}),
    ("casemanager", "/jobs/triage/", {}),
    ("casemanager", "/jobs/triage/", {"tab": "triage"}),
    ("casemanager", "/jobs/triage/", {"tab": "mine", "sort": "-due"}),
    ("casemanager", "/jobs/triage/", {"tab": "at_risk"}),
    ("crew", "/jobs/crew/", {}),
    ("analyst", "/reporting/", {}),
]


@pytest.mark.parametrize(("role", "url", "params"), PAGES, ids=[f"{r}:{u}{p}" for r, u, p in PAGES])
def test_list_pages_use_as_many_queries_for_fifty_rows_as_for_one(client_for, user_for_role, populate, role, url,
                                                                  params, settings):
    # The dashboard would show the snapshot stored by the first request: compute it both times.
    settings.REPORTING_SNAPSHOT_MINUTES = 0
    client = client_for(user_for_role(role))
    populate(1)
    one = _queries(client, url, **params)
    populate(49)
    fifty = _queries(client, url, **params)
    assert one == fifty, f"{url}: {one} queries with 1 row, {fifty} with 50"


def test_job_page_queries_do_not_grow_with_enquiries_or_timeline_events(client_for, casemanager_user, council,
                                                                        suburb, leak, p2, main_leak):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    client = client_for(casemanager_user)
    url = f"/jobs/{job.reference}/"
    client.get(url)  # per-process caches (content types) are filled by a process's first request
    few = _queries(client, url)
    for n in range(20):
        services.job_add_note(job=job, text=f"Note {n}", by=casemanager_user)
        other = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
        job = services.enquiry_link_to_job(enquiry=other, job=job, by=casemanager_user)
        job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    many = _queries(client, url)
    assert few == many
    assert many <= 12


def test_enquiry_page_queries_do_not_grow_with_its_history(client_for, casemanager_user, council, suburb, leak):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    client = client_for(casemanager_user)
    before = _queries(client, f"/enquiries/{enquiry.reference}/")
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    services.job_cancel(job=job, reason="no_fault", by=casemanager_user)
    services.job_reopen(job=job, reason="Back again", by=casemanager_user)
    assert _queries(client, f"/enquiries/{enquiry.reference}/") == before
