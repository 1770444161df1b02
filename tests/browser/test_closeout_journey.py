"""Stage 4 as people do it: the crew completes, the call-centre rings back (no answer, then
satisfied) and closes the call ticket; the customer, with no login, gives feedback through the
link on a phone and checks the status page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, check_accessibility

pytestmark = pytest.mark.browser


@pytest.fixture
def job_in_repair(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak, settings):
    from jobs import services
    from jobs.customer_updates import customer_update_log
    from tests.factories import CustomerFactory, EnquiryFactory, assessment_kwargs

    settings.PUBLIC_PAGE_RATE_PER_ADDRESS = "1000/m"
    customer = CustomerFactory(council=council, name="Aroha Ngata", phone="021 555 0142",
                               email="aroha@example.co.nz", preferred_channel="email")
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=customer,
                             street_address="14 Aro Street", description="Water pouring from the meter box",
                             callback_requested=True, callback_best_time="any time",
                             received_at=timezone.now() - timedelta(hours=4))
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
    job = services.job_record_arrival(job=job, by=crew_user)
    job = services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(notes="Cracked meter coupling"))
    # Every customer is owed an update after the assessment (stage 2): give it, as the case manager would.
    customer_update_log(job=job, by=casemanager_user, issue="Cracked meter coupling",
                        message="A crew is repairing the meter coupling now.")
    job.refresh_from_db()
    job = services.job_start_repair(job=job, by=crew_user)
    enquiry.refresh_from_db()
    return job, enquiry


def record_callback(page, outcome: str):
    from feedback.models import CallBack

    # Due now, whatever day of the week the test runs on.
    CallBack.objects.filter(status="scheduled").update(due_at=timezone.now() - timedelta(minutes=1))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Call-backs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call-backs due")
    check_accessibility(page, "the call-back queue")
    page.get_by_role("link", name=re.compile("Record call-back")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record call-back")
    expect(page.get_by_role("main")).to_contain_text("Cracked meter coupling")
    page.get_by_label(outcome).check()
    page.get_by_role("button", name="Record call-back").click()
    page.wait_for_load_state("load")


def test_crew_completes_call_centre_rings_back_and_closes_customer_gives_feedback(
        page_for, new_page, browser, live_server, job_in_repair, crew_user, callcentre_user):
    from common.models import OutboxMessage
    from jobs import services

    job, enquiry = job_in_repair
    # The crew completes the job (its phone screen comes with the field-work issue).
    services.job_complete(job=job, by=crew_user, note="Coupling replaced, meter reading normal")

    call_centre = page_for(callcentre_user)
    record_callback(call_centre, "No answer")
    expect(call_centre.locator(".alert-success")).to_contain_text("No answer recorded; next attempt due")
    record_callback(call_centre, "Reached: satisfied")
    expect(call_centre.locator(".alert-success")).to_contain_text("Call-back recorded: reached: satisfied")
    expect(call_centre.get_by_role("main")).to_contain_text("No call-backs are due now.")

    call_centre.goto(f"/jobs/{job.reference}/")
    timeline = call_centre.locator("#timeline")
    expect(timeline).to_contain_text("Call-back attempt 1")
    expect(timeline).to_contain_text("Call-back attempt 2")
    call_centre.get_by_role("group", name="Actions").get_by_role("link", name="Close call ticket").click()
    check_accessibility(call_centre, "the Close call ticket page")
    call_centre.get_by_label("Note for the timeline").fill("Customer happy with the repair")
    call_centre.get_by_role("button", name="Close call ticket").click()
    expect(call_centre.locator("main h1 + .badge")).to_have_text("Closed")

    # The customer: a fresh browser, no login, a phone, the link from their e-mail.
    body = OutboxMessage.objects.get(key__startswith="feedback-request:").body
    link = re.search(r"https?://\S+/feedback/\S+/", body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    customer = new_page(viewport=PHONE)
    customer.goto(path)
    expect(customer.get_by_role("heading", level=1)).to_have_text("How did we do?")
    main = customer.get_by_role("main")
    expect(main).to_contain_text(job.reference)
    for private in ("Aroha", "021 555 0142", "aroha@example.co.nz", "14 Aro Street", "meter box"):
        assert private not in customer.content()
    check_accessibility(customer, "the public feedback page (phone)")
    assert customer.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    # Submitted without JavaScript, from the keyboard.
    no_js = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    try:
        form = no_js.new_page()
        form.goto(path)
        form.get_by_role("radio", name="1").first.focus()
        for _ in range(3):
            form.keyboard.press("ArrowRight")  # a radio group moves with the arrow keys: 4
        form.get_by_role("group", name=re.compile("how quickly")).get_by_role("radio", name="5").check()
        form.get_by_role("group", name=re.compile("kept you informed")).get_by_role("radio", name="4").check()
        form.get_by_role("group", name=re.compile("fixed")).get_by_role("radio", name="Yes").check()
        form.get_by_label(re.compile("Anything else")).fill("Friendly crew")
        form.get_by_role("button", name="Send feedback").focus()
        form.keyboard.press("Enter")
        form.wait_for_load_state("load")
        expect(form.get_by_role("heading", level=1)).to_have_text("Thank you")
    finally:
        no_js.close()
    from feedback.models import Feedback
    feedback = Feedback.objects.get()
    assert (feedback.overall, feedback.timeliness, feedback.communication, feedback.fixed) == (4, 5, 4, "yes")

    # The status page shows the closed stage.
    customer.goto("/status/")
    check_accessibility(customer, "the public status page (phone)")
    customer.get_by_label("Your enquiry reference").fill(enquiry.reference)
    customer.get_by_label(re.compile("last 4 digits")).fill("0142")
    customer.get_by_role("button", name="Check").click()
    expect(customer.get_by_role("heading", level=2)).to_have_text(f"{enquiry.reference}: Close")
    expect(customer.locator('[aria-current="step"]')).to_contain_text("Close")
    check_accessibility(customer, "the status answer (phone)")

    # The staff see the feedback on the job.
    call_centre.reload()
    expect(call_centre.locator("#timeline")).to_contain_text("Overall 4/5, timeliness 5/5, communication 4/5")
