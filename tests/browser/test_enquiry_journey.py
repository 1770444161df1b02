"""Stage 1 of the journey, as people do it: a call is logged, a job is made from it and sent to a crew."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser

ENQ_REFERENCE = re.compile(r"ENQ-\d{4}-\d{6}")
JOB_REFERENCE = re.compile(r"JOB-\d{4}-\d{6}")


def status_badge(page):
    """The status badge beside the reference in a job's or an enquiry's heading."""
    return page.locator("main h1 + .badge")


def open_log_enquiry_form(page):
    page.get_by_role("main").get_by_role("link", name="Log enquiry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log enquiry")
    lookup = page.get_by_label("Find a customer by phone or name")
    expect(lookup).to_be_focused()  # the call-taker can type straight away
    expect(page.locator("#duplicates")).to_contain_text("Jobs nearby appear here")
    return lookup


def duplicates_refresh(page):
    """Wait for the possible-duplicates panel to be fetched again after the change made inside the block."""
    return page.expect_response(lambda r: "/enquiries/duplicates/" in r.url)


def htmx_settled(page):
    """Wait until no htmx request is in flight (leaving the street field, say, refreshes the duplicates)."""
    page.wait_for_function("() => document.querySelector('.htmx-request') === null")


def submit_enquiry(page):
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/enquiries/new/")) as post:
        page.get_by_role("button", name="Log enquiry").click()
    page.wait_for_load_state("load")
    return post.value


def test_enquiry_to_dispatched_job(
    page_for,
    callcentre_user,
    casemanager_user,
    existing_customer,
    suburb,
    leak,
    p2,
    main_leak,
    contractor,
    cuba_street_job,
):
    # Call-centre: log the call for a customer already on file, mostly from the keyboard.
    call_centre = page_for(callcentre_user)
    open_log_enquiry_form(call_centre)
    call_centre.keyboard.type("Aroha")
    results = call_centre.locator("#customer-results")
    expect(results).to_contain_text("1 match: pick one to reuse their details.")
    call_centre.keyboard.press("Tab")
    match = results.get_by_role("button", name=re.compile("Aroha Ngata"))
    expect(match).to_be_focused()
    call_centre.keyboard.press("Enter")

    expect(call_centre.locator("#customer-fields [role=status]")).to_contain_text("Existing customer Aroha Ngata")
    expect(call_centre.get_by_label("Customer name")).to_have_value("Aroha Ngata")
    expect(call_centre.get_by_label("Phone", exact=True)).to_have_value("021 555 0101")
    expect(results).to_be_empty()
    street = call_centre.get_by_label("Street address")
    expect(street).to_be_focused()  # picking a customer moves on to the address
    with duplicates_refresh(call_centre):
        call_centre.keyboard.type("12 Cuba Street")
    with duplicates_refresh(call_centre):
        call_centre.get_by_label("Suburb").select_option(label="Te Aro")
    with duplicates_refresh(call_centre):
        call_centre.get_by_label("Issue type").select_option(str(leak.pk))
    call_centre.get_by_label("What the customer says").focus()
    call_centre.keyboard.type("Water bubbling out of the berm outside number 12.")

    # The open job two doors down is offered as a possible duplicate; this caller has a new fault.
    duplicates = call_centre.locator("#duplicates")
    expect(duplicates).to_contain_text("1 open job nearby")
    expect(duplicates).to_contain_text(f"Link to job {cuba_street_job.reference}")
    expect(duplicates).to_contain_text("10 Cuba Street, Te Aro")
    expect(call_centre.get_by_label("Don't link: a new fault")).to_be_checked()

    response = submit_enquiry(call_centre)
    assert response.status == 302, f"Log enquiry answered {response.status}"
    confirmation = call_centre.locator(".reference-alert")
    expect(confirmation).to_contain_text(ENQ_REFERENCE)
    expect(confirmation).to_contain_text("Read the reference back to the caller.")
    enquiry_ref = ENQ_REFERENCE.search(confirmation.inner_text()).group()
    expect(call_centre.get_by_role("heading", level=1)).to_have_text(enquiry_ref)
    expect(status_badge(call_centre)).to_have_text("New")
    assert call_centre.url.endswith(f"/enquiries/{enquiry_ref}/")

    # Case manager, in a session of their own: turn the enquiry into a job from the triage queue.
    case_manager = page_for(casemanager_user)
    assert case_manager.url.endswith("/jobs/triage/")
    row = case_manager.get_by_role("row").filter(has_text=enquiry_ref)
    expect(row).to_contain_text("12 Cuba Street, Te Aro")
    case_manager.get_by_label(f"Tick {enquiry_ref}").check()
    case_manager.get_by_role("button", name="Create job", exact=True).click()
    # The open job two doors down may be the same fault: asked first, with "Link to job" one click away.
    expect(case_manager.get_by_role("heading", level=1)).to_have_text("Is this the same fault as an open job?")
    expect(case_manager.get_by_role("button", name=f"Link to job {cuba_street_job.reference}")).to_be_visible()
    case_manager.get_by_role("button", name="Create a new job anyway").click()

    expect(case_manager.locator("#messages")).to_contain_text(re.compile(r"Job JOB-\d{4}-\d{6} created"))
    job_ref = JOB_REFERENCE.search(case_manager.locator("#messages").inner_text()).group()
    assert job_ref != cuba_street_job.reference
    expect(case_manager.get_by_role("heading", level=1)).to_have_text(job_ref)
    expect(status_badge(case_manager)).to_have_text("Logged")
    timeline = case_manager.locator("#timeline")
    expect(timeline).to_contain_text("Job created")
    expect(timeline).to_contain_text(f"Created from {enquiry_ref}")
    expect(timeline).to_contain_text(f"{enquiry_ref} linked: {leak.name} reported by Aroha Ngata")
    expect(case_manager.get_by_role("region", name=re.compile("Enquiries and customers"))).to_contain_text(
        "Aroha Ngata"
    )

    # Categorise: category and priority.
    case_manager.get_by_role("link", name="Categorise", exact=True).click()
    expect(case_manager.get_by_role("heading", level=2, name="Categorise")).to_be_visible()
    case_manager.get_by_label("Category").select_option(label=main_leak.name)
    case_manager.get_by_label("Priority").select_option(str(p2.pk))
    case_manager.get_by_label("Note for the timeline").fill("Confirmed from the caller's photo.")
    case_manager.get_by_role("button", name="Categorise").click()
    expect(case_manager.locator("#messages")).to_contain_text("Job categorised; due dates set.")
    expect(status_badge(case_manager)).to_have_text("Triaged")
    expect(timeline).to_contain_text("Categorise: Logged → Triaged")
    expect(timeline).to_contain_text("Confirmed from the caller's photo.")
    expect(case_manager.locator("main")).to_contain_text("P2 Urgent")
    expect(case_manager.locator("main")).to_contain_text(f"Water supply: {main_leak.name}")

    # Allocate: the case manager takes it on (offered by default).
    case_manager.get_by_role("link", name="Allocate case manager").click()
    expect(case_manager.get_by_label("Case manager")).to_have_value(str(casemanager_user.pk))
    case_manager.get_by_role("button", name="Allocate case manager").click()
    expect(case_manager.locator("#messages")).to_contain_text("Case manager allocated.")
    expect(status_badge(case_manager)).to_have_text("Allocated")
    expect(timeline).to_contain_text("Allocate case manager: Triaged → Allocated")

    # Dispatch to the contractor, with instructions for the crew.
    case_manager.get_by_role("link", name="Dispatch to contractor").click()
    case_manager.get_by_label("Contractor").select_option(label="Citycare")
    case_manager.get_by_label("Instructions for the crew").fill("Bring a 100 mm clamp; traffic management needed.")
    case_manager.get_by_role("button", name="Dispatch to contractor").click()
    expect(case_manager.locator("#messages")).to_contain_text("Job dispatched to the contractor.")
    expect(status_badge(case_manager)).to_have_text("Dispatched")
    expect(timeline).to_contain_text("Dispatch to contractor: Allocated → Dispatched")
    expect(timeline).to_contain_text("Bring a 100 mm clamp; traffic management needed.")
    expect(timeline.locator("li")).to_have_count(5)  # created, enquiry linked, three steps
    expect(case_manager.locator("main")).to_contain_text("Citycare")

    # Back on the call: the enquiry now shows the job it is on.
    call_centre.reload()
    expect(status_badge(call_centre)).to_have_text("Linked to job")
    expect(call_centre.get_by_role("link", name=job_ref)).to_be_visible()


def log_new_customer_enquiry_linked_to(page, job, leak):
    """Log a call from a new customer about the fault an open job already covers, linking the two."""
    open_log_enquiry_form(page)
    page.keyboard.type("Hemi Walker")
    expect(page.locator("#customer-results")).to_contain_text("No customer matches “Hemi Walker”")

    page.get_by_label("Customer name").focus()
    page.keyboard.type("Hemi Walker")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Phone", exact=True)).to_be_focused()
    page.keyboard.type("04 555 0199")
    page.get_by_label("Street address").focus()
    with duplicates_refresh(page):
        page.keyboard.type("3/10 Cuba St")  # the same street, written another way
    with duplicates_refresh(page):
        page.get_by_label("Suburb").select_option(label="Te Aro")
    with duplicates_refresh(page):
        page.get_by_label("Issue type").select_option(str(leak.pk))
    page.get_by_label("What the customer says").fill("Same leak as the neighbours reported; getting worse.")
    # A refresh still in flight would redraw the panel and drop the choice (reported as a defect).
    htmx_settled(page)

    link = page.get_by_label(f"Link to job {job.reference}")
    link.check()
    expect(link).to_be_checked()

    response = submit_enquiry(page)
    assert response.status == 302, f"Log enquiry answered {response.status}"
    expect(page.locator(".reference-alert")).to_contain_text(ENQ_REFERENCE)


def test_new_customer_enquiry_linked_to_the_job_nearby(page_for, callcentre_user, suburb, leak, cuba_street_job):
    page = page_for(callcentre_user)
    log_new_customer_enquiry_linked_to(page, cuba_street_job, leak)

    expect(page.locator(".reference-alert")).to_contain_text(
        re.compile(rf"Enquiry ENQ-\d{{4}}-\d{{6}} logged and linked to {cuba_street_job.reference}\.")
    )
    expect(status_badge(page)).to_have_text("Linked to job")
    expect(page.get_by_role("region", name="What and where")).to_contain_text(cuba_street_job.reference)
    expect(page.get_by_role("region", name="Customer")).to_contain_text("Hemi Walker")
    expect(page.get_by_role("region", name="Customer")).to_contain_text("04 555 0199")

    page.get_by_role("link", name=cuba_street_job.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(cuba_street_job.reference)
    expect(page.locator("#timeline")).to_contain_text("Enquiry linked")
    expect(page.locator("#timeline")).to_contain_text("reported by Hemi Walker")


def test_missing_required_field_keeps_what_was_typed(page_for, callcentre_user, suburb, leak):
    page = page_for(callcentre_user)
    open_log_enquiry_form(page)
    page.get_by_label("Customer name").fill("Mere Tane")
    page.get_by_label("Phone", exact=True).fill("027 555 0123")
    page.get_by_label("Email", exact=True).fill("mere@example.org")
    page.get_by_label("Postal address").fill("4 Aro Street\nWellington 6021")
    page.get_by_label("Preferred contact channel").select_option(label="Email")
    page.get_by_label("Street address").fill("4 Aro Street")
    page.get_by_label("Suburb").select_option(label="Te Aro")
    page.get_by_label("Issue type").select_option(str(leak.pk))
    page.get_by_label("Customer wants a call-back").check()
    page.get_by_label("Best time to call").fill("before 10am")
    # "What the customer says" is left empty.

    response = submit_enquiry(page)
    assert response.status == 400, f"Log enquiry answered {response.status}"
    assert page.url.endswith("/enquiries/new/")

    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Please check the highlighted fields; everything you typed is still here.")
    expect(page.locator("#form-errors")).to_be_focused()  # a screen reader hears it first
    description = page.get_by_label("What the customer says")
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(description).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(description).to_have_accessible_description(re.compile("This field is required"))
    expect(page.locator(".invalid-feedback")).to_have_count(1)

    expect(page.get_by_label("Customer name")).to_have_value("Mere Tane")
    expect(page.get_by_label("Phone", exact=True)).to_have_value("027 555 0123")
    expect(page.get_by_label("Email", exact=True)).to_have_value("mere@example.org")
    expect(page.get_by_label("Postal address")).to_have_value("4 Aro Street\nWellington 6021")
    expect(page.get_by_label("Preferred contact channel")).to_have_value("email")
    expect(page.get_by_label("Street address")).to_have_value("4 Aro Street")
    expect(page.get_by_label("Suburb")).to_have_value(str(suburb.pk))
    expect(page.get_by_label("Issue type")).to_have_value(str(leak.pk))
    expect(page.get_by_label("Customer wants a call-back")).to_be_checked()
    expect(page.get_by_label("Best time to call")).to_be_visible()
    expect(page.get_by_label("Best time to call")).to_have_value("before 10am")
    check_accessibility(page, "the Log enquiry form showing an error")

    # Filling in the one missing field is all it takes.
    description.fill("No water since 6am.")
    response = submit_enquiry(page)
    assert response.status == 302, f"Log enquiry answered {response.status}"
    expect(page.locator(".reference-alert")).to_contain_text(ENQ_REFERENCE)
    expect(page.get_by_role("region", name="Customer")).to_contain_text("Mere Tane")


def test_a_duplicates_refresh_in_flight_keeps_the_link_the_user_ticked(page_for, callcentre_user, suburb, leak,
                                                                        cuba_street_job):
    page = page_for(callcentre_user)
    open_log_enquiry_form(page)
    page.get_by_label("Street address").focus()
    with duplicates_refresh(page):
        page.keyboard.type("20 Cuba Street")
    htmx_settled(page)

    # Hold the next refresh of the panel on the wire, tick a job meanwhile, then let it land.
    held = []
    page.route("**/enquiries/duplicates/**", lambda route: held.append(route))
    page.get_by_label("Street address").press("End")
    page.keyboard.type(" ")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the panel did not ask for a refresh"
    link = page.get_by_label(f"Link to job {cuba_street_job.reference}")
    link.check()
    held[0].continue_()
    page.unroute("**/enquiries/duplicates/**")
    htmx_settled(page)
    page.wait_for_timeout(200)
    expect(link).to_be_checked()
    expect(page.get_by_label("Don't link: a new fault")).not_to_be_checked()
