"""The public status page: reference plus the last 4 phone digits (or the e-mail); wrong pairs
answer exactly like unknown references; attempts are rate-limited and logged; no personal data."""

import logging
import re

import pytest

from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory


@pytest.fixture
def enquiry_on_job(council, suburb, leak, p2, main_leak):
    customer = CustomerFactory(council=council, name="Aroha Ngata", phone="021 555 0142",
                               email="aroha@example.co.nz")
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.IN_REPAIR, priority=p2, category=main_leak,
                     street_address="14 Aro Street")
    enquiry = EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak, job=job,
                             status="linked", street_address="14 Aro Street",
                             description="Water pouring from the meter box")
    return enquiry


@pytest.fixture(autouse=True)
def generous_limits(settings):
    settings.PUBLIC_PAGE_RATE_PER_ADDRESS = "1000/m"
    settings.STATUS_LOOKUPS_PER_ADDRESS = "1000/m"
    settings.STATUS_LOOKUPS_PER_REFERENCE = "1000/m"


def test_status_page_needs_no_login_and_asks_for_the_reference(client):
    response = client.get("/status/")
    assert response.status_code == 200 and "Your enquiry reference" in response.content.decode()


def test_status_page_shows_the_stage_and_timeframe_for_the_right_last_digits(client, enquiry_on_job):
    page = client.post("/status/", {"reference": enquiry_on_job.reference.lower(), "contact": "0142"}).content.decode()
    assert f"{enquiry_on_job.reference}: Manage" in page
    assert 'aria-current="step">Manage' in page
    assert "We expect to have it fixed by" in page


def test_status_page_accepts_the_email_instead(client, enquiry_on_job):
    page = client.post("/status/", {"reference": enquiry_on_job.reference,
                                    "contact": "Aroha@Example.co.nz"}).content.decode()
    assert f"{enquiry_on_job.reference}: Manage" in page


def test_status_page_shows_the_closed_stage(client, enquiry_on_job):
    job = enquiry_on_job.job
    type(job).objects.filter(pk=job.pk).update(status=JobStatus.CLOSED, closed_at=job.notified_at)
    page = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).content.decode()
    assert f"{enquiry_on_job.reference}: Close" in page and "your enquiry was closed on" in page


def test_status_page_wrong_last_digits_answer_exactly_like_an_unknown_reference(client, enquiry_on_job):
    wrong = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "9999"})
    unknown = client.post("/status/", {"reference": "ENQ-2026-999999", "contact": "0142"})
    wrong_email = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "someone@example.org"})
    assert wrong.status_code == unknown.status_code == wrong_email.status_code == 200

    def body(response):
        page = response.content.decode().replace(enquiry_on_job.reference, "").replace("ENQ-2026-999999", "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)  # masked afresh every time

    assert body(wrong) == body(unknown)
    assert "could not find an enquiry with those details" in body(wrong)
    assert "Manage" not in body(wrong).split("<form")[0]


def test_status_page_shows_no_personal_data(client, enquiry_on_job, casemanager_user):
    job = enquiry_on_job.job
    type(job).objects.filter(pk=job.pk).update(case_manager=casemanager_user)
    other = EnquiryFactory(council=enquiry_on_job.council, suburb=enquiry_on_job.suburb, job=job, status="linked",
                           customer=CustomerFactory(council=enquiry_on_job.council, name="Hemi Walker"))
    page = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).content.decode()
    for private in ("Aroha", "Ngata", "021 555 0142", "aroha@example.co.nz", "14 Aro Street", "meter box",
                    "Hemi Walker", other.reference, casemanager_user.get_full_name(), casemanager_user.username,
                    job.reference):
        assert private not in page, private


def test_status_page_brute_force_stops_at_the_rate_limit_and_is_logged(client, enquiry_on_job, settings, caplog):
    settings.STATUS_LOOKUPS_PER_REFERENCE = "5/15m"
    caplog.set_level(logging.INFO, logger="feedback.public")
    answers = [client.post("/status/", {"reference": enquiry_on_job.reference, "contact": f"{n:04d}"}).status_code
               for n in range(5)]
    assert answers == [200] * 5
    # Even the right digits are refused now: guessing cannot outrun the limit.
    response = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"})
    assert response.status_code == 429 and "Manage" not in response.content.decode()
    lines = [r.getMessage() for r in caplog.records if r.name == "feedback.public"]
    assert sum("found=False" in line for line in lines) == 5
    assert any("throttled" in line and enquiry_on_job.reference in line for line in lines)


def test_status_page_limits_one_address_across_references(client, enquiry_on_job, settings):
    settings.STATUS_LOOKUPS_PER_ADDRESS = "3/15m"
    for n in range(3):
        assert client.post("/status/", {"reference": f"ENQ-2026-00000{n}", "contact": "1234"}).status_code == 200
    assert client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).status_code == 429
    # Another address is not held up by this one.
    assert client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"},
                       REMOTE_ADDR="198.51.100.7").status_code == 200
