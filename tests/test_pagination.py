"""Every list pages through one shared partial, templates/_pagination.html."""

from datetime import timedelta

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone

from jobs.enums import JobStatus
from tests.factories import EnquiryFactory, JobFactory


def _templates(response) -> list[str]:
    return [t.name for t in response.templates]


@pytest.fixture
def many_new_enquiries(council, suburb, leak):
    now = timezone.now()
    return [EnquiryFactory(council=council, suburb=suburb, issue_type=leak, received_at=now - timedelta(minutes=n))
            for n in range(55)]


def test_the_enquiry_queue_pages_newer_and_older_through_the_shared_partial(client_for, casemanager_user,
                                                                           many_new_enquiries):
    client = client_for(casemanager_user)
    first = client.get("/enquiries/")
    assert "_pagination.html" in _templates(first)
    body = first.content.decode()
    assert '<nav aria-label="Pages of enquiries">' in body and ">Newest</a>" in body and ">Older</a>" in body
    older = client.get("/enquiries/", {"after": first.context["page"].next_cursor})
    assert many_new_enquiries[-1].reference in older.content.decode()
    assert 'href="?before=' in older.content.decode()  # and back towards the newest


def test_the_triage_queues_page_through_the_shared_partial(client_for, casemanager_user, council, suburb,
                                                           many_new_enquiries):
    client = client_for(casemanager_user)
    new_tab = client.get("/jobs/triage/")
    assert "_pagination.html" in _templates(new_tab)
    assert ">Later</a>" in new_tab.content.decode()
    for n in range(55):
        JobFactory(council=council, suburb=suburb, status=JobStatus.LOGGED,
                   notified_at=timezone.now() - timedelta(hours=n))
    jobs_tab = client.get("/jobs/triage/", {"tab": "triage"})
    assert "_pagination.html" in _templates(jobs_tab)
    assert "Page 1 of 2" in jobs_tab.content.decode()
    second = client.get("/jobs/triage/", {"tab": "triage", "page": 2})
    assert "Page 2 of 2" in second.content.decode() and 'href="?tab=triage&amp;page=1"' in second.content.decode()


def test_the_crew_queue_pages_through_the_shared_partial(client_for, crew_user, contractor, council, suburb):
    for _ in range(35):
        JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, contractor=contractor)
    response = client_for(crew_user).get("/jobs/crew/")
    assert "_pagination.html" in _templates(response)
    assert "Page 1 of 2" in response.content.decode()


def test_there_is_no_second_pagination_partial():
    with pytest.raises(TemplateDoesNotExist):
        get_template("jobs/_page_links.html")
