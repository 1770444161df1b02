"""The complaints queue and page cost the same number of queries at 1 row as at 50."""

import datetime as dt

import pytest
from django.utils import timezone

from complaints import services
from complaints.enums import ComplaintStatus, EscalationLevel
from jobs.enums import JobStatus
from tests.factories import ComplaintCategoryFactory, ComplaintCauseFactory, ComplaintFactory, JobFactory
from tests.test_query_counts import _queries


@pytest.fixture
def populate(council, suburb, casemanager_user, other_casemanager_user):
    category = ComplaintCategoryFactory()
    cause = ComplaintCauseFactory()

    def make(n):
        now = timezone.now()
        for i in range(n):
            job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED)
            ComplaintFactory(council=council, category=category, job=job, received_at=now - dt.timedelta(hours=i))
            ComplaintFactory(council=council, category=category, status=ComplaintStatus.UNDERSTOOD, cause=cause,
                             owner=casemanager_user if i % 2 else other_casemanager_user,
                             level=EscalationLevel.MANAGER, acknowledged_at=now,
                             received_at=now - dt.timedelta(days=3, hours=i),
                             resolve_due_at=now + dt.timedelta(hours=i + 1))

    return make


PAGES = [
    ("casemanager", {}),
    ("casemanager", {"tab": "mine"}),
    ("casemanager", {"tab": "escalated", "service": "water_supply", "level": "manager"}),
    ("casemanager", {"tab": "due_soon"}),
    ("casemanager", {"tab": "overdue"}),
    ("casemanager", {"tab": "all", "status": "understood"}),
    ("callcentre", {"tab": "all"}),
]


@pytest.mark.parametrize(("role", "params"), PAGES, ids=[f"{r}:{p}" for r, p in PAGES])
def test_complaints_queue_uses_as_many_queries_for_fifty_rows_as_for_one(client_for, user_for_role, populate, role,
                                                                         params):
    client = client_for(user_for_role(role))
    populate(1)
    one = _queries(client, "/complaints/", **params)
    populate(49)
    fifty = _queries(client, "/complaints/", **params)
    assert one == fifty, f"{one} queries with 1 row, {fifty} with 50"


def test_complaint_page_queries_do_not_grow_with_steps_contacts_and_timeline(client_for, casemanager_user,
                                                                             other_casemanager_user, council,
                                                                             outbox_calls):
    cause = ComplaintCauseFactory()
    complaint = ComplaintFactory(council=council, status=ComplaintStatus.UNDERSTOOD, cause=cause,
                                 acknowledged_at=timezone.now())
    client = client_for(casemanager_user)
    url = f"/complaints/{complaint.reference}/"
    complaint = services.complaint_record_contact(complaint=complaint, channel="phone", contacted_at=timezone.now(),
                                                  summary="First call", by=casemanager_user)
    complaint = services.complaint_agree_next_step(complaint=complaint, text="Step 0", owner=other_casemanager_user,
                                                   due_on=timezone.localdate(), by=casemanager_user)
    few = _queries(client, url)
    for n in range(1, 15):
        complaint = services.complaint_record_contact(complaint=complaint, channel="email",
                                                      contacted_at=timezone.now(), summary=f"Call {n}",
                                                      by=casemanager_user)
        complaint = services.complaint_agree_next_step(complaint=complaint, text=f"Step {n}",
                                                       owner=other_casemanager_user, due_on=timezone.localdate(),
                                                       by=casemanager_user)
        step = complaint.actions.order_by("-id").first()
        services.complaint_action_set_done(action=step, done=True, by=casemanager_user)
    services.complaint_escalate(complaint=complaint, level="executive", owner=other_casemanager_user,
                                reason="Media", by=casemanager_user)
    many = _queries(client, url)
    assert few == many
    assert many <= 14


def test_job_page_queries_do_not_grow_with_its_complaints(client_for, casemanager_user, council, suburb):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED)
    category = ComplaintCategoryFactory()
    ComplaintFactory(council=council, category=category, job=job)
    client = client_for(casemanager_user)
    _queries(client, f"/jobs/{job.reference}/")  # content types cached, as in a running server
    one = _queries(client, f"/jobs/{job.reference}/")
    for _ in range(10):
        ComplaintFactory(council=council, category=category, job=job, level=EscalationLevel.TEAM_LEADER)
    assert _queries(client, f"/jobs/{job.reference}/") == one
