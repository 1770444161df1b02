"""Each role's home after a real log-in, and the busiest screens, checked with axe-core.

A serious or critical axe violation fails the test with the rule, the elements and how to fix them.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, check_accessibility, login

pytestmark = pytest.mark.browser

# role fixture, where the log-in lands, the page's heading, the main navigation (exactly, in order)
ROLE_HOMES = [
    pytest.param(
        "callcentre_user",
        "/enquiries/home/",
        "Call-centre: Wellington City Council",
        ["Log enquiry", "Enquiries", "Complaints", "Call-backs"],
        id="call-centre",
    ),
    pytest.param("casemanager_user", "/jobs/triage/", "Triage",
                 ["Enquiries", "Triage", "Complaints", "Call-backs", "Reports"],
                 id="case-manager"),
    pytest.param("crew_user", "/jobs/crew/", "Jobs for Citycare", ["Our jobs"], id="crew"),
    pytest.param("analyst_user", "/reporting/", "Dashboard", ["Enquiries", "Dashboard", "Reports"], id="analyst"),
    pytest.param("admin_user", "/accounts/admin-home/", "Administration", ["Admin"], id="admin"),
]


def main_nav_labels(page) -> list[str]:
    return [label.strip() for label in page.locator("#main-nav ul.me-auto .nav-link").all_inner_texts()]


@pytest.fixture
def busy_day(dispatched_job, council, suburb, leak, callcentre_user):
    """Something on every home page: a dispatched job with its enquiry, and a new enquiry to triage."""
    from tests.factories import EnquiryFactory

    EnquiryFactory(
        council=council,
        suburb=suburb,
        issue_type=leak,
        street_address="3 Willis Street",
        logged_by=callcentre_user,
        description="Low pressure at the kitchen tap.",
    )
    return dispatched_job


@pytest.mark.parametrize(("role_user", "home_path", "heading", "nav"), ROLE_HOMES)
def test_role_logs_in_to_their_home_page(page, request, busy_day, role_user, home_path, heading, nav):
    user = request.getfixturevalue(role_user)

    login(page, user)

    assert page.url.endswith(home_path), f"{user.username} landed on {page.url}, expected {home_path}"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert main_nav_labels(page) == nav
    expect(page.get_by_role("button", name=re.compile(re.escape(str(user))))).to_be_visible()
    check_accessibility(page, f"the {role_user.removesuffix('_user')} home page")


def test_skip_link_takes_keyboard_users_to_the_content(page_for, callcentre_user):
    page = page_for(callcentre_user)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # hidden until focused, then shown
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("main").get_by_role("link", name="Log enquiry")).to_be_focused()


def test_login_page_is_accessible(page, callcentre_user):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert main_nav_labels(page) == []
    check_accessibility(page, "the login page")

    # A wrong password: the error is announced and the page stays accessible.
    page.locator("#id_username").fill(callcentre_user.username)
    page.locator("#id_password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("form .alert, form .invalid-feedback, .alert-danger").first).to_be_visible()
    check_accessibility(page, "the login page after a failed log-in")


def test_log_enquiry_form_is_accessible_as_it_fills_in(
    page_for, callcentre_user, suburb, leak, cuba_street_job, existing_customer
):
    page = page_for(callcentre_user)
    page.goto("/enquiries/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log enquiry")
    expect(page.locator("#duplicates")).to_contain_text("Jobs nearby appear here")
    check_accessibility(page, "the empty Log enquiry form")

    # With customer matches listed and a duplicate offered.
    page.locator("#customer-query").press_sequentially("Aroha")
    expect(page.locator("#customer-results")).to_contain_text("Aroha Ngata")
    page.locator("#id_street_address").press_sequentially("14 Cuba Street")
    expect(page.locator("#duplicates")).to_contain_text(f"Link to job {cuba_street_job.reference}")
    check_accessibility(page, "the Log enquiry form with customer matches and a possible duplicate")


def test_enquiry_queue_is_accessible(page_for, casemanager_user, busy_day):
    page = page_for(casemanager_user)
    page.goto("/enquiries/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enquiries")
    expect(page.get_by_role("table")).to_contain_text("3 Willis Street")
    check_accessibility(page, "the enquiry queue")


def test_job_page_is_accessible(page_for, casemanager_user, busy_day):
    page = page_for(casemanager_user)
    page.goto(f"/jobs/{busy_day.reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(busy_day.reference)
    expect(page.locator("#timeline")).to_contain_text("Crew to bring a 100 mm clamp.")
    check_accessibility(page, "a job page")


def test_job_action_form_is_accessible(page_for, casemanager_user, busy_day):
    page = page_for(casemanager_user)
    page.goto(f"/jobs/{busy_day.reference}/categorise/")
    # Categorised already: the step taken again says so.
    expect(page.get_by_role("heading", level=2, name="Change category or priority")).to_be_visible()
    check_accessibility(page, "the Categorise form")


def test_crew_home_on_a_phone(page_for, crew_user, dispatched_job):
    page = page_for(crew_user, viewport=PHONE)
    assert page.url.endswith("/jobs/crew/")
    expect(page.get_by_role("link", name=dispatched_job.reference)).to_be_visible()
    # The navigation folds into a menu button on a phone; it opens and shows the crew's link.
    nav_link = page.get_by_role("link", name="Our jobs")
    expect(nav_link).to_be_hidden()
    page.get_by_role("button", name="Show menu").click()
    expect(nav_link).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "the crew home scrolls sideways on a phone"
    )
    check_accessibility(page, "the crew home at 390x844")


def test_job_page_on_a_phone(page_for, crew_user, dispatched_job):
    page = page_for(crew_user, viewport=PHONE)
    page.get_by_role("link", name=dispatched_job.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(dispatched_job.reference)
    expect(page.locator("#timeline")).to_contain_text("Crew to bring a 100 mm clamp.")
    expect(page.locator("#timeline")).not_to_contain_text("Utility only")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "the job page scrolls sideways on a phone"
    )
    check_accessibility(page, "a job page at 390x844")
