"""Stages 2 and 3, as people do them: the crew on a phone arrives, assesses with a photo, starts the
repair and records a variation; the case manager sees the updates owed and updates every customer;
the crew completes the job. axe-core checks each new page."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, check_accessibility

pytestmark = pytest.mark.browser


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def field_reference_data():
    """Transactional tests flush what the migrations made: the fault types and resolution codes needed here."""
    from jobs.models import FaultType, ResolutionCode

    FaultType.objects.get_or_create(service="water_supply", code="burst_main", defaults={"name": "Burst main"})
    FaultType.objects.get_or_create(service="water_supply", code="service_pipe_leak",
                                    defaults={"name": "Leak on service pipe"})
    ResolutionCode.objects.get_or_create(code="repaired", defaults={"name": "Repaired"})


def test_crew_works_the_job_on_a_phone_and_the_case_manager_updates_every_customer(
    page_for, crew_user, casemanager_user, dispatched_job, existing_customer, field_reference_data, tmp_path,
):
    from tests.factories import image_bytes

    job = dispatched_job
    crew = page_for(crew_user, viewport=PHONE)

    # The queue: the dispatched job, its due time, a search.
    expect(crew.get_by_role("heading", level=1)).to_have_text("Jobs for Citycare")
    row = crew.locator(".crew-list li", has_text=job.reference)
    expect(row).to_contain_text("24 Tory Street")
    check_accessibility(crew, "crew queue at phone size")
    crew.get_by_label("Find a job by reference or street").fill("tory")
    crew.get_by_role("button", name="Find").click()
    expect(crew.locator(".crew-list li")).to_have_count(1)
    crew.get_by_role("link", name=job.reference).click()

    # The job card: where, what was reported, no customer phone number (no site contact).
    main = crew.get_by_role("main")
    expect(main).to_contain_text("Water running down the gutter since this morning.")
    expect(main).to_contain_text("1 caller")
    expect(main).not_to_contain_text(existing_customer.phone)
    check_accessibility(crew, "crew job card")
    assert crew.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling

    # Record arrival: the time defaults to now.
    crew.get_by_role("link", name="Record arrival").click()
    check_accessibility(crew, "record arrival form")
    crew.get_by_role("button", name="Record arrival").click()
    expect(crew.locator("#messages")).to_contain_text("Arrival recorded")

    # Record assessment with a photo from the camera.
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(image_bytes(size=(800, 600)))
    crew.get_by_role("link", name="Record assessment").click()
    crew.get_by_label("What was found").select_option(label="Burst main")
    crew.get_by_label("Complexity").select_option(label="Medium")
    crew.get_by_label("Expected completion").fill(_local(timezone.now() + dt.timedelta(hours=6)))
    crew.get_by_label("Notes").fill("150 mm main split along 1 m")
    crew.get_by_label("Photos").set_input_files(str(photo))
    check_accessibility(crew, "record assessment form")
    crew.get_by_role("button", name="Record assessment").click()
    expect(crew.locator("#messages")).to_contain_text("Assessment recorded")
    expect(crew.locator(".photo-grid img")).to_have_count(1)
    crew.locator(".photo-grid img").scroll_into_view_if_needed()
    # The thumbnail loads through the scoped view (a broken image has no natural width).
    crew.wait_for_function("() => { const i = document.querySelector('.photo-grid img');"
                           " return i.complete && i.naturalWidth > 0; }")

    # Start repair, then a variation.
    crew.get_by_role("link", name="Start repair").click()
    crew.get_by_role("button", name="Start repair").click()
    expect(crew.locator("#messages")).to_contain_text("Repair started")
    crew.get_by_role("link", name="Record variation").click()
    crew.get_by_label("What changed").select_option(label="Scope and timeframe")
    crew.get_by_label("Why (staff only)").fill("Gas main close by: hand-dig only")
    crew.get_by_label("For customers: the change in plain words").fill("A second break under the kerb")
    crew.get_by_label("New expected completion").fill(_local(timezone.now() + dt.timedelta(hours=20)))
    check_accessibility(crew, "record variation form")
    crew.get_by_role("button", name="Record variation").click()
    expect(crew.locator("#messages")).to_contain_text("Variation recorded")
    expect(crew.locator("#timeline")).to_contain_text("Gas main close by")

    # The case manager sees the updates owed, and updates every customer at once.
    manager = page_for(casemanager_user)
    manager.goto("/jobs/triage/?tab=updates")
    expect(manager.get_by_role("link", name="Updates owed")).to_contain_text("1")
    check_accessibility(manager, "updates owed tab")
    manager.get_by_role("link", name=job.reference).click()
    expect(manager.get_by_role("main")).to_contain_text("Customer updates owed: 1")
    check_accessibility(manager, "job page with field work")
    manager.get_by_role("main").get_by_role("link", name="Log customer update").first.click()
    expect(manager.get_by_label("To")).to_have_value("all")
    expect(manager.get_by_label("Message")).to_contain_text("A second break under the kerb")
    expect(manager.get_by_label("Message")).not_to_contain_text("Gas main")  # staff words stay with staff
    check_accessibility(manager, "log customer update form")
    manager.get_by_label("Questions answered").fill("Water back on by this evening.")
    manager.get_by_role("button", name="Log customer update").click()
    expect(manager.locator("#messages")).to_contain_text("Customer update logged")
    expect(manager.get_by_role("main")).not_to_contain_text("Customer updates owed")
    expect(manager.locator("#timeline")).to_contain_text("Update to every customer (1: 1 by phone)")

    # The crew completes the job.
    crew.reload()
    crew.get_by_role("link", name="Complete job").click()
    crew.get_by_label("How it was resolved").select_option(label="Repaired")
    crew.get_by_label("Notes").fill("Clamp fitted, site reinstated")
    check_accessibility(crew, "complete job form")
    crew.get_by_role("button", name="Complete job").click()
    expect(crew.locator("#messages")).to_contain_text("Job completed")
    expect(crew.locator("main h1 + .badge")).to_have_text("Completed")
