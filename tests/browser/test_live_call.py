"""Stage 1 on a live call, keyboard only: the key presses are counted, the right duplicate comes first.

The call: a caller already on file rings from their mobile about a leak at 22 Brooklyn Road;
there are open jobs at 20 (two doors along) and 62 Brooklyn Road (newer, further along) and
one fixed last week at 24. The operator finds the caller by phone, types the address,
links the enquiry to the job next door, types the issue and the caller's words, ticks
"call-back" and logs it.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, check_accessibility

pytestmark = pytest.mark.browser

NAVIGATION_KEYS = {"Tab", "Shift+Tab", "Enter", "Space", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight"}
MAX_NAVIGATION_KEYS = 12
BROOKLYN = (Decimal("-41.304000"), Decimal("174.764000"))


class CountedKeyboard:
    """Real key presses through Playwright, counted as the issue counts them.

    Navigation: Tab, Enter, arrows and Space. Typing: each character typed, including the
    letters typed into a select to pick an option.
    """

    def __init__(self, page):
        self.page = page
        self.navigation: list[str] = []
        self.typed = 0

    def press(self, key: str):
        assert key in NAVIGATION_KEYS, f"{key} is not a navigation key"
        self.page.keyboard.press(key)
        self.navigation.append(key)

    def type(self, text: str):
        for character in text:
            self.page.keyboard.press(character if character != " " else "Space")
        self.typed += len(text)


def _along(metres: float):
    return BROOKLYN[0], BROOKLYN[1] + Decimal(f"{metres / (111_320 * 0.7547):.6f}")


@pytest.fixture
def brooklyn(council, casemanager_user, callcentre_user, leak):
    """Open jobs at 20 and 62 Brooklyn Road, and one fixed at 24, each with its first caller's words."""
    from django.utils import timezone

    from enquiries.enums import EnquiryStatus
    from jobs.enums import JobStatus
    from tests.factories import EnquiryFactory, JobFactory, SuburbFactory

    suburb = SuburbFactory(council=council, name="Brooklyn")
    now = timezone.now()

    def job(number, metres, hours_ago, words, **extra):
        lat, lng = _along(metres)
        made = JobFactory(council=council, suburb=suburb, service="water_supply", latitude=lat, longitude=lng,
                          street_address=f"{number} Brooklyn Road", notified_at=now - dt.timedelta(hours=hours_ago),
                          created_by=casemanager_user, **extra)
        EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=made, status=EnquiryStatus.LINKED,
                       street_address=made.street_address, latitude=lat, longitude=lng, description=words,
                       received_at=made.notified_at, logged_by=callcentre_user)
        return made

    return {
        "suburb": suburb,
        "near": job(20, -12, 5, "Water bubbling up in the berm by the letterbox."),
        "far": job(62, 180, 1, "Meter box full of water."),
        "fixed": job(24, 12, 150, "Leak at the toby.", status=JobStatus.COMPLETED,
                     completed_at=now - dt.timedelta(days=2)),
    }


@pytest.fixture
def caller(council):
    from tests.factories import CustomerFactory

    return CustomerFactory(council=council, name="Aroha Ngata", phone="021 555 0101", email="",
                           postal_address="")


def test_the_live_call_takes_at_most_12_navigation_keys(page_for, callcentre_user, caller, brooklyn, leak):
    from enquiries.models import Enquiry
    from tests.factories import IssueTypeFactory

    IssueTypeFactory(service="water_supply", code="low_pressure", name="Low pressure")
    IssueTypeFactory(service="wastewater", code="overflow", name="Wastewater overflow")
    page = page_for(callcentre_user)
    page.goto("/enquiries/new/")
    keys = CountedKeyboard(page)
    expect(page.get_by_label("Find a customer by phone or name")).to_be_focused()

    # Found by phone; Enter picks the highlighted match and moves on to the address.
    keys.type("021 555 01")
    match = page.locator("#customer-results .customer-match").first
    expect(match).to_contain_text("Aroha Ngata")
    expect(match).to_have_class(re.compile(r"\bactive\b"))
    keys.press("Enter")
    expect(page.get_by_label("Customer name")).to_have_value("Aroha Ngata")
    expect(page.get_by_label("Street address")).to_be_focused()

    keys.type("22 Brooklyn Road")
    keys.press("Tab")
    expect(page.get_by_label("Suburb")).to_be_focused()
    keys.type("Brooklyn")
    expect(page.get_by_label("Suburb")).to_have_value(str(brooklyn["suburb"].pk))

    # The job two doors along comes first, saying why; the newer one further along second.
    cards = page.locator("#duplicates .candidate")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text(f"Link to job {brooklyn['near'].reference}")
    expect(cards.nth(0)).to_contain_text("next door")
    expect(cards.nth(0)).to_contain_text("Leak")
    expect(cards.nth(0)).to_contain_text("Water bubbling up in the berm by the letterbox.")
    expect(cards.nth(1)).to_contain_text(f"Link to job {brooklyn['far'].reference}")
    expect(cards.nth(1)).to_contain_text("20 doors away")
    expect(page.locator("#duplicates .recently-fixed")).to_contain_text(brooklyn["fixed"].reference)

    # Next in tab order: the duplicates. An arrow links the enquiry to the first.
    keys.press("Tab")
    expect(page.get_by_label("Don't link: a new fault")).to_be_focused()
    keys.press("ArrowDown")
    expect(page.get_by_label(f"Link to job {brooklyn['near'].reference}")).to_be_checked()

    keys.press("Tab")
    expect(page.get_by_label("Issue type")).to_be_focused()
    keys.type("Leak")
    expect(page.get_by_label("Issue type")).to_have_value(str(leak.pk))
    keys.press("Tab")
    expect(page.get_by_label("What the customer says")).to_be_focused()
    keys.type("Same leak as next door, now in my drive.")
    keys.press("Tab")
    expect(page.get_by_label("Customer wants a call-back")).to_be_focused()
    keys.press("Space")
    keys.press("Tab")
    expect(page.get_by_label("Best time to call")).to_be_focused()
    keys.type("after 3pm")
    keys.press("Tab")  # "More details", folded
    keys.press("Tab")
    submit = page.get_by_role("button", name="Log enquiry")
    expect(submit).to_be_focused()
    expect(submit).to_be_in_viewport()
    page.wait_for_function("() => document.querySelector('.htmx-request') === null")
    with page.expect_navigation():
        keys.press("Enter")

    assert len(keys.navigation) <= MAX_NAVIGATION_KEYS, (
        f"{len(keys.navigation)} navigation keys ({', '.join(keys.navigation)}) and {keys.typed} typed"
    )
    enquiry = Enquiry.objects.get(customer=caller, street_address="22 Brooklyn Road")
    assert enquiry.job == brooklyn["near"] and enquiry.callback_requested and enquiry.issue_type == leak
    assert enquiry.callback_best_time == "after 3pm"

    # Focus lands on the confirmation with the reference; "Log next enquiry" is the first Tab.
    confirmation = page.locator(".reference-alert")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_contain_text(enquiry.reference)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Log next enquiry")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Find a customer by phone or name")).to_be_focused()


def test_enter_in_the_lookup_picks_the_highlighted_match_and_never_submits(page_for, callcentre_user, council,
                                                                           caller, brooklyn):
    from tests.factories import CustomerFactory

    CustomerFactory(council=council, name="Aroha Smith", phone="04 555 0199")
    page = page_for(callcentre_user)
    page.goto("/enquiries/new/")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    lookup = page.get_by_label("Find a customer by phone or name")
    lookup.press_sequentially("Aroha")
    results = page.locator("#customer-results .customer-match")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    lookup.press("ArrowDown")  # the second match is highlighted instead
    expect(results.nth(1)).to_have_class(re.compile(r"\bactive\b"))
    expect(lookup).to_have_attribute("aria-activedescendant", results.nth(1).get_attribute("id"))
    lookup.press("Enter")
    expect(page.get_by_label("Customer name")).to_have_value("Aroha Smith")
    expect(page.get_by_label("Phone", exact=True)).to_have_value("04 555 0199")
    expect(page.get_by_role("button", name="Use a new customer instead")).to_be_visible()
    check_accessibility(page, "the Log enquiry form with a customer picked")  # the button's contrast included

    # Enter in a single-line field (the street, here) posts nothing and loses nothing.
    street = page.get_by_label("Street address")
    street.press_sequentially("22 Brooklyn Road")
    street.press("Enter")
    page.wait_for_timeout(300)
    assert posts == []
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(street).to_have_value("22 Brooklyn Road")
    expect(lookup).to_have_value("Aroha")


def test_a_superseded_duplicate_lookup_is_aborted_quietly(page_for, callcentre_user, brooklyn):
    page = page_for(callcentre_user)
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto("/enquiries/new/")
    # Hold the lookups on the wire, so the second keystroke burst's lookup replaces (aborts) the first.
    held = []
    page.route("**/enquiries/duplicates/**", lambda route: held.append(route))
    street = page.get_by_label("Street address")
    for burst, in_flight in (("22 Brooklyn", 1), (" Road", 2)):
        street.press_sequentially(burst)
        for _ in range(50):
            if len(held) >= in_flight:
                break
            page.wait_for_timeout(100)
        assert len(held) >= in_flight, "the panel did not ask for a refresh"
    page.unroute("**/enquiries/duplicates/**")
    for route in held:
        try:
            route.continue_()
        except Exception:  # noqa: BLE001 - the aborted one has nowhere to go
            pass
    page.wait_for_function("() => document.querySelector('.htmx-request') === null")
    expect(page.locator("#duplicates .candidate").first).to_contain_text(brooklyn["near"].reference)
    assert console_errors == []


def test_the_log_enquiry_form_fits_and_folds(page_for, callcentre_user, brooklyn):
    page = page_for(callcentre_user)
    page.goto("/enquiries/new/")
    expect(page.get_by_label("Latitude")).to_be_hidden()  # folded under "More details"
    expect(page.get_by_label("Received at")).to_be_hidden()
    expect(page.get_by_role("button", name="Log enquiry")).to_be_in_viewport()
    page.get_by_text("More details").click()
    expect(page.get_by_label("Latitude")).to_be_visible()
    reason = page.get_by_label("Why earlier than now")
    expect(reason).to_be_hidden()
    earlier = page.evaluate("() => { const f = document.getElementById('id_received_at');"
                            " const d = new Date(Date.now() - 3 * 3600e3 - new Date().getTimezoneOffset() * 60e3);"
                            " return d.toISOString().slice(0, 16); }")
    page.get_by_label("Received at").fill(earlier)
    expect(reason).to_be_visible()
    check_accessibility(page, "the Log enquiry form with More details open")


def test_long_unbroken_text_wraps_instead_of_widening_pages(page_for, new_page, casemanager_user, callcentre_user,
                                                           crew_user, council, suburb, leak, contractor, p2,
                                                           main_leak):
    from enquiries.enums import EnquiryStatus
    from jobs.enums import JobEventKind, JobStatus
    from jobs.models import JobEvent
    from tests.factories import EnquiryFactory, JobFactory

    street = "1" + "A" * 199  # a 200-character street with no space in it
    job = JobFactory(council=council, suburb=suburb, street_address=street, status=JobStatus.DISPATCHED,
                     priority=p2, category=main_leak, case_manager=casemanager_user, contractor=contractor)
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address=street, job=job,
                             status=EnquiryStatus.LINKED, description="W" * 10_000, logged_by=callcentre_user)
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, street_address=street,
                   description="D" * 5_000, logged_by=callcentre_user)
    JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=casemanager_user, text="N" * 10_000)

    pages = {
        casemanager_user: [f"/jobs/{job.reference}/", f"/enquiries/{enquiry.reference}/", "/enquiries/",
                           "/jobs/triage/?tab=new", "/jobs/triage/?tab=mine"],
        callcentre_user: ["/enquiries/home/", f"/enquiries/{enquiry.reference}/"],
        crew_user: ["/jobs/crew/", f"/jobs/{job.reference}/"],
    }
    for user, paths in pages.items():
        for viewport in (None, PHONE):
            page = page_for(user, viewport=viewport)
            for path in paths:
                page.goto(path)
                width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                assert width[0] <= width[1], f"{path} is {width[0]} px wide in a {width[1]} px window"
            page.context.close()


def test_the_crew_sees_a_map_link_instructions_first_and_a_short_stage_line(page_for, crew_user, council, suburb,
                                                                           casemanager_user, contractor, p2,
                                                                           main_leak):
    from jobs import services
    from jobs.enums import JobEventKind, JobStatus
    from jobs.models import JobEvent
    from tests.factories import JobFactory

    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                     case_manager=casemanager_user, created_by=casemanager_user)
    for n in range(6):  # a timeline long enough to push anything in it off the first screen
        JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=casemanager_user, text=f"Note {n}: " + "x " * 60)
    services.job_dispatch(job=job, contractor=contractor, by=casemanager_user,
                          note="Bring a 100 mm clamp; traffic management needed.")
    page = page_for(crew_user, viewport=PHONE)
    page.goto(f"/jobs/{job.reference}/")
    address = page.locator("a.job-address")
    expect(address).to_have_attribute("href", re.compile(r"^https://www\.google\.com/maps/search/\?api=1&query="))
    instructions = page.get_by_role("region", name="Dispatch instructions")
    expect(instructions).to_contain_text("Bring a 100 mm clamp")
    timeline = page.locator("#timeline")
    assert instructions.bounding_box()["y"] < timeline.bounding_box()["y"]
    assert instructions.bounding_box()["y"] < 844, "the instructions are below the first screen"
    stages = page.locator(".progress-stages").bounding_box()
    assert stages["height"] <= 48, f"the stage line is {stages['height']} px tall"


def test_tick_all_ticks_every_new_enquiry_on_the_page(page_for, casemanager_user, council, suburb, leak):
    from tests.factories import EnquiryFactory

    EnquiryFactory.create_batch(3, council=council, suburb=suburb, issue_type=leak)
    page = page_for(casemanager_user)
    page.goto("/jobs/triage/?tab=new")
    page.get_by_label("Tick all on this page").check()
    boxes = page.locator('input[name="enquiries"]')
    expect(boxes).to_have_count(3)
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
