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


def test_a_strangers_wrong_guesses_do_not_block_the_customers_own_lookup(client, enquiry_on_job, settings):
    settings.STATUS_LOOKUPS_PER_REFERENCE = "5/15m"
    stranger = {"REMOTE_ADDR": "198.51.100.66"}
    answers = [client.post("/status/", {"reference": enquiry_on_job.reference, "contact": f"{n:04d}"},
                           **stranger).status_code for n in range(20)]
    assert answers == [200] * 5 + [429] * 15
    response = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"},
                           REMOTE_ADDR="203.0.113.50")
    assert response.status_code == 200 and f"{enquiry_on_job.reference}: Manage" in response.content.decode()


def test_status_page_back_off_doubles_for_a_client_that_keeps_guessing(client, enquiry_on_job, settings, caplog):
    from django.core.cache import cache

    settings.STATUS_LOOKUPS_PER_REFERENCE = "2/15m"
    caplog.set_level(logging.WARNING, logger="feedback.public")
    reference = enquiry_on_job.reference
    for n in range(2):
        client.post("/status/", {"reference": reference, "contact": f"{n:04d}"})
    assert client.post("/status/", {"reference": reference, "contact": "0142"}).status_code == 429
    cache.delete(f"status-wait:127.0.0.1|{reference}")  # the first wait has passed
    assert client.post("/status/", {"reference": reference, "contact": "9999"}).status_code == 200
    assert client.post("/status/", {"reference": reference, "contact": "0142"}).status_code == 429
    waits = [r.getMessage().rsplit("wait=", 1)[1] for r in caplog.records if "back-off" in r.getMessage()]
    assert waits == ["900s", "1800s"]


def test_status_page_limits_one_address_across_references(client, enquiry_on_job, settings):
    settings.STATUS_LOOKUPS_PER_ADDRESS = "3/15m"
    for n in range(3):
        assert client.post("/status/", {"reference": f"ENQ-2026-00000{n}", "contact": "1234"}).status_code == 200
    assert client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).status_code == 429
    # Another address is not held up by this one.
    assert client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"},
                       REMOTE_ADDR="198.51.100.7").status_code == 200


def test_status_page_shows_the_latest_customer_update_and_its_date(client, enquiry_on_job):
    from datetime import datetime

    from django.utils import timezone

    from jobs.models import CustomerUpdate

    job = enquiry_on_job.job
    wellington = timezone.get_default_timezone()
    # The latest by its time, not by the order it was written; 8 am on 5 March is 4 March in UTC.
    CustomerUpdate.objects.create(job=job, reason="other", issue="Burst main", message="The pipe is <b>fixed</b>.",
                                  at=datetime(2026, 3, 5, 8, 0, tzinfo=wellington))
    CustomerUpdate.objects.create(job=job, reason="other", issue="Burst main", message="A crew is on the way.",
                                  at=datetime(2026, 3, 2, 9, 0, tzinfo=wellington))
    page = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).content.decode()
    assert "Latest update (5 March 2026):</strong> The pipe is &lt;b&gt;fixed&lt;/b&gt;." in page
    assert "A crew is on the way." not in page


def test_status_page_for_an_enquiry_resolved_without_a_job(client, council, suburb, leak):
    customer = CustomerFactory(council=council, phone="021 555 0177")
    enquiry = EnquiryFactory(council=council, suburb=suburb, customer=customer, issue_type=leak, job=None,
                             status="resolved")
    page = client.post("/status/", {"reference": enquiry.reference, "contact": "0177"}).content.decode()
    assert f"{enquiry.reference}: Close" in page and "resolved when you called" in page
    assert 'aria-current="step">Close' in page and "Latest update" not in page


def test_status_page_closed_date_is_in_new_zealand_time(client, enquiry_on_job):
    from datetime import UTC, datetime

    job = enquiry_on_job.job
    # 11:00 UTC on 31 March is already 1 April in Wellington (NZDT, +13).
    type(job).objects.filter(pk=job.pk).update(status=JobStatus.CLOSED,
                                               closed_at=datetime(2026, 3, 31, 11, 0, tzinfo=UTC))
    page = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).content.decode()
    assert "your enquiry was closed on 1 April 2026." in page


def test_status_page_form_and_lookup_cost_no_query_and_one(client, enquiry_on_job, django_assert_num_queries):
    client.get("/status/")  # warm-up: the look-up's SQL is written once a process
    with django_assert_num_queries(0):
        assert client.get("/status/").status_code == 200
    with django_assert_num_queries(1):
        page = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"})
    assert 'aria-current="step">Manage' in page.content.decode()
    with django_assert_num_queries(1):
        client.post("/status/", {"reference": "ENQ-2026-999999", "contact": "0142"})


def test_status_form_is_labelled_and_keeps_the_reference_typed_on_an_error(client):
    response = client.post("/status/", {"reference": 'ENQ-2026-<b>"1"', "contact": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<label for="id_reference" class="form-label requiredField">' in page
    assert '<label for="id_contact" class="form-label requiredField">' in page
    assert 'value="ENQ-2026-&lt;b&gt;&quot;1&quot;"' in page  # what was typed, escaped
    contact = re.search(r'<input [^>]*name="contact"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in contact and 'aria-describedby="id_contact_error"' in contact
    assert '<div id="id_contact_error" class="invalid-feedback">' in page and "This field is required." in page
    reference = re.search(r'<input [^>]*name="reference"[^>]*>', page).group(0)
    assert 'aria-describedby="id_reference_helptext"' in reference and "aria-invalid" not in reference
    assert '<div id="id_reference_helptext" class="form-text">For example ENQ-2026-000123' in page


def test_status_form_never_echoes_the_contact_detail(client, enquiry_on_job):
    page = client.post("/status/", {"reference": enquiry_on_job.reference, "contact": "0142"}).content.decode()
    form = page.split("<form", 1)[1]
    assert f'value="{enquiry_on_job.reference}"' in form and "0142" not in form


def test_status_page_counts_the_address_like_django_ratelimits_ip_key(rf, settings):
    """The address is worked out once a request, and counted under the same cache key as key="ip"."""
    from django_ratelimit.core import get_usage

    from feedback import throttles

    settings.PUBLIC_PAGE_RATE_PER_ADDRESS = "3/m"
    request = rf.get("/status/", REMOTE_ADDR="192.0.2.44")
    assert [throttles.address_limited(request, group="status-address") for _ in range(3)] == [False] * 3
    assert throttles.address_limited(request, group="status-address") is True
    usage = get_usage(rf.get("/status/", REMOTE_ADDR="192.0.2.44"), group="status-address", key="ip", rate="3/m")
    assert usage["count"] == 4 and usage["should_limit"]
    assert throttles.client_address(request) == "192.0.2.44"
