"""Stage 1 on a live call, without a browser: phone numbers, the lookup, coordinates, duplicates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enquiries import services
from enquiries.models import Customer
from enquiries.selectors import customer_search, duplicate_search
from enquiries.text import house_number, phone_normalise
from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

BROOKLYN = (Decimal("-41.304000"), Decimal("174.764000"))


@pytest.mark.parametrize(("typed", "stored"), [
    ("021 555 0101", "021 555 0101"),
    ("+64 21 555 0101", "021 555 0101"),
    ("0064215550101", "021 555 0101"),
    ("(04) 555-0199", "04 555 0199"),
    ("0800 838383", "0800 838 383"),
    ("0508 123 456", "0508 123 456"),
])
def test_phone_normalise_accepts_nz_numbers_in_one_form(typed, stored):
    assert phone_normalise(typed) == stored


@pytest.mark.parametrize("typed", ["call me maybe", "04", "12345", "+61 2 9999 9999", "021 5"])
def test_phone_normalise_refuses_what_is_not_an_nz_number(typed):
    with pytest.raises(ValueError):
        phone_normalise(typed)


def test_customer_save_refuses_a_bad_phone_even_for_a_call_back(council):
    with pytest.raises(ValidationError) as caught:
        services.customer_save(council=council, name="Mere", phone="call me maybe")
    assert "customer_phone" in caught.value.message_dict


def test_log_enquiry_form_refuses_call_me_maybe_as_the_call_back_number(client_for, callcentre_user, council,
                                                                       suburb, leak, submission_token):
    response = client_for(callcentre_user).post("/enquiries/new/", {
        "submission_token": submission_token(callcentre_user),
        "customer_name": "Mere Tane", "customer_phone": "call me maybe", "preferred_channel": "email",
        "customer_email": "mere@example.org", "council": council.pk, "street_address": "12 Cuba Street",
        "suburb": suburb.pk, "issue_type": leak.pk, "description": "Leak", "channel": "phone",
        "callback_requested": "on",
    })
    assert response.status_code == 400
    assert "is not a phone number" in response.content.decode()
    assert not Customer.objects.exists()


def test_log_enquiry_form_stores_the_phone_normalised(client_for, callcentre_user, council, suburb, leak,
                                                     submission_token):
    response = client_for(callcentre_user).post("/enquiries/new/", {
        "submission_token": submission_token(callcentre_user),
        "customer_name": "Mere Tane", "customer_phone": "+64 4 555 0199", "preferred_channel": "phone",
        "council": council.pk, "street_address": "12 Cuba Street", "suburb": suburb.pk, "issue_type": leak.pk,
        "description": "Leak", "channel": "phone",
    })
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.phone, customer.phone_digits) == ("04 555 0199", "045550199")


def test_the_migration_normalises_stored_phone_numbers(council):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("enquiries.migrations.0010_live_call")
    kept = CustomerFactory(council=council, phone="not a number")
    messy = CustomerFactory(council=council, phone="+64 21 555 0101", phone_digits="0215550101")
    migration.normalise_phone_numbers(apps, None)
    messy.refresh_from_db()
    kept.refresh_from_db()
    assert messy.phone == "021 555 0101" and kept.phone == "not a number"


def test_customer_search_finds_by_two_digits_as_the_help_text_says(callcentre_user, council):
    wellington = CustomerFactory(council=council, name="Hemi Walker", phone="04 555 0199")
    CustomerFactory(council=council, name="Aroha Ngata", phone="021 555 0101")
    assert customer_search(user=callcentre_user, council_id=council.pk, query="04") == [wellington]
    assert customer_search(user=callcentre_user, council_id=council.pk, query="0") == []


def test_customer_search_page_and_help_text_agree_on_two_characters(client_for, callcentre_user, council):
    CustomerFactory(council=council, name="Hemi Walker", phone="04 555 0199")
    client = client_for(callcentre_user)
    assert "At least 2 characters" in client.get("/enquiries/new/").content.decode()
    body = client.get("/enquiries/customers/search/", {"customer_query": "04", "council": council.pk}).content.decode()
    assert "Hemi Walker" in body and "No customer matches" not in body


def test_out_of_range_coordinates_get_their_own_message_only(client_for, callcentre_user, council, suburb, leak,
                                                            submission_token):
    response = client_for(callcentre_user).post("/enquiries/new/", {
        "submission_token": submission_token(callcentre_user),
        "customer_name": "Aroha Ngata", "customer_phone": "021 555 0101", "preferred_channel": "phone",
        "council": council.pk, "street_address": "12 Cuba Street", "suburb": suburb.pk, "issue_type": leak.pk,
        "description": "Leak", "channel": "phone", "latitude": "-95", "longitude": "174.7",
    })
    body = response.content.decode()
    assert response.status_code == 400
    assert "greater than or equal to -47.5" in body
    assert "Give both latitude and longitude, or neither" not in body


def test_house_number_reads_units_and_letters():
    assert [house_number(a) for a in ("22 Brooklyn Road", "3/15A Cuba St", "Flat 2, 10 Cuba St", "Cuba St")] == [
        22, 15, 10, None]


def _job(council, suburb, number, metres_east, hours_ago, **extra):
    lng = BROOKLYN[1] + Decimal(f"{metres_east / (111_320 * 0.7547):.6f}")
    return JobFactory(council=council, suburb=suburb, street_address=f"{number} Brooklyn Road",
                      latitude=BROOKLYN[0], longitude=lng, notified_at=timezone.now() - timedelta(hours=hours_ago),
                      **extra)


def test_duplicates_on_the_same_street_rank_by_house_number_then_distance_then_recency(callcentre_user, council,
                                                                                        suburb):
    newer_further = _job(council, suburb, 62, 150, 1)
    older_near = _job(council, suburb, 20, -12, 30)
    across = _job(council, suburb, 23, 5, 2)
    found = duplicate_search(user=callcentre_user, council_id=council.pk, service="water_supply",
                             street_address="22 Brooklyn Road", latitude=BROOKLYN[0], longitude=BROOKLYN[1])
    assert [c.job for c in found.candidates] == [across, older_near, newer_further]
    assert [c.reason.split(" · ")[0] for c in found.candidates] == ["across the road", "next door", "20 doors away"]
    assert found.candidates[1].reason == "next door · 12 m"


def test_duplicates_without_a_point_still_rank_by_house_number(callcentre_user, council, suburb):
    far = JobFactory(council=council, suburb=suburb, street_address="62 Brooklyn Road")
    near = JobFactory(council=council, suburb=suburb, street_address="18 Brooklyn Road",
                      notified_at=timezone.now() - timedelta(days=3))
    found = duplicate_search(user=callcentre_user, council_id=council.pk, service="water_supply",
                             street_address="22 Brooklyn Road")
    assert [c.job for c in found.candidates] == [near, far]
    assert found.candidates[0].reason == "2 doors away"


def test_duplicates_carry_the_fault_and_first_callers_words_and_put_fixed_jobs_apart(
    callcentre_user, council, suburb, leak, django_assert_max_num_queries
):
    open_job = _job(council, suburb, 20, -12, 3)
    fixed = _job(council, suburb, 24, 12, 60, status=JobStatus.COMPLETED, completed_at=timezone.now())
    closed = _job(council, suburb, 26, 24, 80, status=JobStatus.CLOSED, completed_at=timezone.now())
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=open_job, description="Second caller",
                   received_at=timezone.now() - timedelta(hours=1))
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=open_job, description="First caller",
                   received_at=timezone.now() - timedelta(hours=3))
    with django_assert_max_num_queries(3):
        found = duplicate_search(user=callcentre_user, council_id=council.pk, service="water_supply",
                                 street_address="22 Brooklyn Road", latitude=BROOKLYN[0], longitude=BROOKLYN[1])
    assert [c.job for c in found.candidates] == [open_job]
    assert found.candidates[0].first_enquiry.description == "First caller"
    assert found.candidates[0].first_enquiry.issue_type.name == "Leak"
    assert [c.job for c in found.recently_fixed] == [fixed, closed]


def test_duplicates_panel_shows_reason_fault_words_and_recently_fixed(client_for, callcentre_user, council, suburb,
                                                                      leak):
    open_job = _job(council, suburb, 20, -12, 3)
    fixed = _job(council, suburb, 24, 12, 60, status=JobStatus.COMPLETED, completed_at=timezone.now())
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=open_job, description="Gushing from the berm")
    body = client_for(callcentre_user).get("/enquiries/duplicates/", {
        "council": council.pk, "street_address": "22 Brooklyn Road", "latitude": str(BROOKLYN[0]),
        "longitude": str(BROOKLYN[1]),
    }).content.decode()
    assert "next door · 12 m" in body and "Gushing from the berm" in body and "Leak" in body
    recently_fixed = body[body.index("Recently fixed here"):]
    assert fixed.reference in recently_fixed and open_job.reference not in recently_fixed
    assert f'value="{fixed.reference}"' not in body  # nothing to link to: it is fixed


def test_demo_addresses_have_their_own_coordinates():
    from accounts.demo.places import house_position
    from enquiries.selectors import distance_m

    base = (-41.304, 174.764)
    positions = {n: house_position(street="Brooklyn Road", latitude=base[0], longitude=base[1], number=n)
                 for n in (20, 22, 24, 62)}
    assert len(set(positions.values())) == 4
    assert 10 < distance_m(*positions[20], *positions[24]) < 30
    assert distance_m(*positions[22], *positions[62]) > 200


@pytest.mark.parametrize("path", ["/no-such-page/", "/jobs/JOB-2026-999999/"])
def test_the_project_404_page_shows_with_debug_on(client_for, casemanager_user, settings, path):
    settings.DEBUG = True
    response = client_for(casemanager_user).get(path)
    assert response.status_code == 404
    body = response.content.decode()
    assert "We couldn't find that" in body or "We couldn&#x27;t find that" in body
    assert "Using the URLconf" not in body and "technical" not in body.lower()


def test_a_403_is_logged_as_one_line(client_for, crew_user, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(crew_user).get("/jobs/triage/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None for r in records)
    assert all("Traceback" not in caplog.handler.format(r) for r in records)


def test_the_lockout_page_says_how_long_it_lasts(client, callcentre_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/accounts/login/", {"username": callcentre_user.username, "password": "wrong"},
                               REMOTE_ADDR="203.0.113.9")
    body = response.content.decode()
    assert response.status_code in (403, 429)
    assert "locked for <strong>15 minutes</strong>" in body


def test_every_page_names_a_favicon_that_exists(client_for, casemanager_user, admin_user):
    from django.contrib.staticfiles import finders

    for user, path in ((casemanager_user, "/jobs/triage/"), (admin_user, "/admin/"), (None, "/accounts/login/")):
        body = client_for(user).get(path).content.decode()
        assert '<link rel="icon" href="/static/img/favicon.svg"' in body, path
    assert finders.find("img/favicon.svg")


def test_make_demo_takes_a_port():
    import shutil
    import subprocess
    from pathlib import Path

    if not shutil.which("make"):
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[1]
    dry_run = subprocess.run(["make", "-n", "-W", "pyproject.toml", "demo", "PORT=8001"], cwd=root,
                             capture_output=True, text=True, check=True).stdout
    assert "runserver 127.0.0.1:8001" in dry_run
