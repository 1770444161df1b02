"""Stage 3 as people do it: a complaint is logged from the job page and run to resolution beside the job."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser

CMP_REFERENCE = re.compile(r"CMP-\d{4}-\d{6}")


@pytest.fixture
def complaint_reference_data(db):
    from tests.factories import ComplaintCategoryFactory, ComplaintCauseFactory, ComplaintServiceLevelFactory

    ComplaintServiceLevelFactory()
    return {
        "category": ComplaintCategoryFactory(service="water_supply", name="Our response to a water supply issue",
                                             dia_measure="water_response"),
        "cause": ComplaintCauseFactory(name="Delay in our response"),
    }


def status_badge(page):
    return page.locator("main h1 + .badge")


def take_step(page, link, button=None):
    page.get_by_role("group", name="Actions").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=2, name=button or link)).to_be_visible()


def test_complaint_from_the_job_page_to_resolution(page_for, callcentre_user, casemanager_user,
                                                   other_casemanager_user, dispatched_job, complaint_reference_data,
                                                   outbox_calls):
    job = dispatched_job
    category, cause = complaint_reference_data["category"], complaint_reference_data["cause"]

    # Call-centre: the customer rings back, unhappy; log the complaint from the job page.
    call_centre = page_for(callcentre_user)
    call_centre.goto(f"/jobs/{job.reference}/")
    call_centre.get_by_role("link", name="Log complaint").click()
    expect(call_centre.get_by_role("heading", level=1)).to_have_text("Log complaint")
    expect(call_centre.locator("main")).to_contain_text(f"About job {job.reference}")
    expect(call_centre.locator("main")).to_contain_text("Customer: Aroha Ngata")
    check_accessibility(call_centre, "the Log complaint form")
    call_centre.get_by_label("Category").select_option(label=category.name)
    call_centre.get_by_label("What the customer says").fill("Two days and the leak is still running; nobody rang.")
    call_centre.get_by_role("button", name="Log complaint").click()
    confirmation = call_centre.locator(".reference-alert")
    expect(confirmation).to_contain_text(CMP_REFERENCE)
    reference = CMP_REFERENCE.search(confirmation.inner_text()).group()
    expect(call_centre.get_by_role("heading", level=1)).to_have_text(reference)
    expect(status_badge(call_centre)).to_have_text("Received")
    call_centre.goto(f"/jobs/{job.reference}/")
    expect(call_centre.get_by_role("link", name=f"Complaint {reference}: Received")).to_be_visible()
    expect(call_centre.locator("#timeline")).to_contain_text(f"Complaint {reference}: Complaint logged")

    # Case manager: the queue shows it as new.
    case_manager = page_for(casemanager_user)
    case_manager.get_by_role("navigation", name="Main").get_by_role("link", name="Complaints").click()
    expect(case_manager.get_by_role("link", name=re.compile(r"^New \d+"))).to_have_attribute("aria-current", "page")
    check_accessibility(case_manager, "the complaints queue")
    case_manager.get_by_role("link", name=reference).click()
    check_accessibility(case_manager, "a complaint page")

    take_step(case_manager, "Record cause")
    check_accessibility(case_manager, "the Record cause form")
    case_manager.get_by_label("Cause").select_option(label=cause.name)
    case_manager.get_by_label("What the complaint is really about").fill("No update after the crew's first visit.")
    case_manager.get_by_role("button", name="Record cause").click()
    expect(case_manager.locator("#messages")).to_contain_text("Cause recorded")
    expect(status_badge(case_manager)).to_have_text("Understood")

    take_step(case_manager, "Escalate")
    case_manager.get_by_label("Escalate to").select_option(label="Manager")
    case_manager.get_by_label("Owner").select_option(str(other_casemanager_user.pk))
    case_manager.get_by_label("Why").fill("Second complaint about this leak.")
    case_manager.get_by_role("button", name="Escalate").click()
    expect(case_manager.locator("#messages")).to_contain_text("Complaint escalated")
    expect(case_manager.locator("main")).to_contain_text("Escalated: Manager")
    assert [call["recipient"] for call in outbox_calls] == [other_casemanager_user.email]

    take_step(case_manager, "Log discussion")
    case_manager.get_by_label("How we contacted them").select_option(label="Phone")
    case_manager.get_by_label("What was discussed").fill("Apologised; promised a crew visit and a call-back.")
    case_manager.get_by_role("button", name="Log discussion").click()
    expect(status_badge(case_manager)).to_have_text("Discussed")

    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    for text, owner in (("Crew to fix the leak", casemanager_user), ("Ring the customer when fixed", callcentre_user)):
        take_step(case_manager, "Agree next step")
        check_accessibility(case_manager, "the Agree next step form")
        case_manager.get_by_label("Next step").fill(text)
        case_manager.get_by_label("Owner").select_option(str(owner.pk))
        case_manager.get_by_label("Due").fill(due)
        case_manager.get_by_role("button", name="Agree next step").click()
        expect(case_manager.locator("#messages")).to_contain_text("Next step agreed.")
    expect(status_badge(case_manager)).to_have_text("Next steps agreed")
    expect(case_manager.locator("#steps-heading")).to_have_text("Next steps (2 not done)")
    expect(case_manager.get_by_role("group", name="Actions").get_by_role("link", name="Resolve")).to_have_count(0)

    for text in ("Crew to fix the leak", "Ring the customer when fixed"):
        case_manager.get_by_role("button", name=f"Mark done: {text}").click()
        expect(case_manager.locator("#messages")).to_contain_text("Next step marked done.")
    expect(case_manager.locator("#steps-heading")).to_have_text("Next steps (0 not done)")

    take_step(case_manager, "Resolve")
    case_manager.get_by_label("Outcome").fill("Leak fixed; customer rung and happy.")
    case_manager.get_by_label("Yes, they accept it").check()
    case_manager.get_by_role("button", name="Resolve").click()
    expect(status_badge(case_manager)).to_have_text("Resolved")
    check_accessibility(case_manager, "a resolved complaint page")

    # Every step is on the job's timeline, and the badge says where the complaint stands.
    case_manager.goto(f"/jobs/{job.reference}/")
    badge = case_manager.get_by_role("link", name=f"Complaint {reference}: Resolved · escalated to manager")
    expect(badge).to_be_visible()
    timeline = case_manager.locator("#timeline")
    for title in ("Complaint logged", "Record cause", "Escalate", "Log discussion", "Agree next step",
                  "Next step done", "Resolve"):
        expect(timeline).to_contain_text(f"Complaint {reference}: {title}")
    expect(timeline.locator("li.complaint")).to_have_count(9)  # logged, cause, escalate, discussion, 2 + 2, resolve
    check_accessibility(case_manager, "a job page with a complaint")
