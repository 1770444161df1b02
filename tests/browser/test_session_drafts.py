"""Nothing typed is lost: a form sent after the session ended comes back, after logging in, with
what was typed; and on the live-call lookup, what is typed right after Enter lands in the
address, never back in the lookup."""

import re
import time

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from tests.browser.test_enquiry_journey import open_log_enquiry_form

pytestmark = pytest.mark.browser


def _session_ends():
    """The server forgets every session, as an idle timeout or a restart would."""
    Session.objects.all().delete()


def _log_in_again(page, user):
    """On the login page the server sent the user to: log in through the form."""
    from tests.factories import PASSWORD

    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_log_enquiry_sent_after_the_session_ended_comes_back_filled_after_login(
        page_for, callcentre_user, suburb, leak):
    page = page_for(callcentre_user)
    open_log_enquiry_form(page)
    page.get_by_label("Customer name").fill("Mere Tane")
    page.get_by_label("Phone", exact=True).fill("027 555 0123")
    page.get_by_label("Street address").fill("4 Aro Street")
    page.get_by_label("What the customer says").fill("No water since 6am, baby in the house.")
    _session_ends()
    page.get_by_role("button", name="Log enquiry").click()
    _log_in_again(page, callcentre_user)
    page.wait_for_url(re.compile(r"/enquiries/new/$"))  # back on the form, the marker gone from the address
    expect(page.locator(".draft-restored")).to_contain_text("What you typed is back")
    expect(page.get_by_label("Customer name")).to_have_value("Mere Tane")
    expect(page.get_by_label("Phone", exact=True)).to_have_value("027 555 0123")
    expect(page.get_by_label("Street address")).to_have_value("4 Aro Street")
    expect(page.get_by_label("What the customer says")).to_have_value("No water since 6am, baby in the house.")
    # Kept only for the way back: another visit starts empty, and nothing stays in the tab.
    assert page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('draft:')).length") == 0
    page.goto("/enquiries/new/")
    expect(page.get_by_label("What the customer says")).to_have_value("")


def test_a_note_posted_after_the_session_ended_is_back_on_the_job_page(page_for, casemanager_user, dispatched_job):
    page = page_for(casemanager_user)
    page.goto(f"/jobs/{dispatched_job.reference}/")
    note = page.get_by_label("Note", exact=False).last
    words = "Neighbour at no. 12 has the key to the meter box."
    note.fill(words)
    _session_ends()
    page.get_by_role("button", name="Add note").click()
    _log_in_again(page, casemanager_user)
    page.wait_for_url(re.compile(rf"/jobs/{dispatched_job.reference}/$"))
    expect(page.locator(".draft-restored")).to_be_visible()
    expect(page.get_by_label("Note", exact=False).last).to_have_value(words)


def test_typing_right_after_enter_on_the_lookup_lands_in_the_address(page_for, callcentre_user, existing_customer,
                                                                       suburb, leak):
    page = page_for(callcentre_user)
    lookup = open_log_enquiry_form(page)

    def slow_pick(route):
        time.sleep(0.8)  # the customer's details take a moment to arrive
        route.continue_()

    page.route(re.compile(r"/enquiries/customers/\d+/pick/"), slow_pick)
    page.keyboard.type("Aroha")
    expect(page.locator("#customer-results")).to_contain_text("1 match")
    page.keyboard.press("Enter")
    page.keyboard.type("12 Cuba Street")
    expect(page.get_by_label("Customer name")).to_have_value("Aroha Ngata")
    expect(page.get_by_label("Street address")).to_have_value("12 Cuba Street")
    expect(lookup).to_have_value("Aroha")


def test_the_sms_counter_counts_texts_as_the_case_manager_types(page_for, casemanager_user, dispatched_job):
    page = page_for(casemanager_user)
    page.goto(f"/jobs/{dispatched_job.reference}/update/")
    message = page.get_by_label("Message")
    counter = page.locator(".sms-counter")
    message.fill("Kia ora, the water is back on.")
    expect(counter).to_contain_text("1 text.")
    message.fill("Kia ora, the crew from Tūhoe Street will be back at 7 am.")
    expect(counter).to_contain_text("a character such as a macron")
    message.fill("The repair is going well. " * 30)
    expect(counter).to_contain_text("Longer than 3 texts")
    assert message.get_attribute("aria-describedby").endswith("-sms")
