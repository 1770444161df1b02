"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live server.

One browser per session, a fresh context (cookies, storage, viewport) per test or per user
within a test. Accessibility is checked with axe-core from node_modules (``npm ci``).

Every test here must be marked ``@pytest.mark.browser``: tests/conftest.py skips those
when chromium or playwright is missing (and fails them instead when CI=true).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop in this thread; Django's ORM would
# otherwise refuse to run from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-results" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = ("serious", "critical")


# Browser, contexts, pages -------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(live_server):
    # Asking for live_server here makes the browser close first: its keep-alive connections
    # end, the server's request threads close their database connections, and the test
    # database can then be dropped.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, so page fixtures can save a screenshot on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def new_page(browser, live_server, request):
    """Open a page in a new browser context (a separate user session): new_page(viewport=PHONE).

    Any JavaScript error in a page, or any 5xx answer (htmx partials included), fails the test.
    """
    contexts = []
    problems: list[str] = []

    def record_server_error(response):
        if response.status >= 500:
            problems.append(f"HTTP {response.status} from {response.request.method} {response.url}")

    def record_policy_violation(message):
        # The Content-Security-Policy refused something (an inline script or style, eval):
        # the page would work differently in a real browser than the author meant.
        # Code the test itself evaluates through DevTools (axe-core adds <style> elements on
        # some pages) has no source URL; the site's own scripts, styles and pages always do.
        if message.type == "error" and "Content Security Policy" in message.text \
                and (message.location or {}).get("url"):
            problems.append(f"CSP violation on {message.location['url']}: {message.text}")

    def make(*, viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="en-NZ",
            timezone_id="Pacific/Auckland",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("response", record_server_error)
        page.on("console", record_policy_violation)
        return page

    yield make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for number, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for page_number, page in enumerate(context.pages):
                name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{number}-{page_number}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a screenshot must never hide the real failure
                    pass
        context.close()
    if problems:
        pytest.fail("The browser saw errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, user, *, password: str | None = None):
    """Log in through the real login form; returns with the role's home page loaded."""
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(password or PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state("load")
    return page


@pytest.fixture
def page_for(new_page):
    """A logged-in page for a user in a context of their own: page_for(user, viewport=PHONE)."""

    def make(user, *, viewport: dict | None = None):
        return login(new_page(viewport=viewport), user)

    return make


# Accessibility ------------------------------------------------------------------------


def _format_violations(violations: list[dict], where: str) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append("")
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t for t in node["target"])
            lines.append(f"  - {target}")
            lines.append(f"    {node['html'][:200]}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                lines.append(f"      {summary_line.strip()}")
        if len(violation["nodes"]) > 8:
            lines.append(f"  ... and {len(violation['nodes']) - 8} more element(s)")
    return "\n".join(lines)


def check_accessibility(page, where: str | None = None) -> list[dict]:
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    Returns the lesser (moderate, minor) violations, for a test that wants to look at them.
    """
    if not AXE_PATH.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_PATH.relative_to(REPO_ROOT)} is missing): "
            "run `npm ci` in the repository root to install the browser tests' JavaScript tools.",
            pytrace=False,
        )
    where = where or page.url
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: an injected <script> would be inline, and
        # the Content-Security-Policy rightly refuses it.
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
            }));
        }"""
    )
    blocking = [v for v in results if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(_format_violations(blocking, where), pytrace=False)
    return [v for v in results if v["impact"] not in BLOCKING_IMPACTS]


# Data ---------------------------------------------------------------------------------
# Transactional tests (live_server) flush the reference data the migrations made, so
# everything a page needs is made here or by the fixtures in tests/conftest.py.


@pytest.fixture
def cuba_street_job(council, suburb, casemanager_user):
    """An open water-supply job on Cuba Street, logged an hour ago: the duplicate to be offered."""
    from tests.factories import JobFactory

    return JobFactory(
        council=council,
        suburb=suburb,
        service="water_supply",
        street_address="10 Cuba Street",
        latitude=Decimal("-41.293100"),
        longitude=Decimal("174.775000"),
        created_by=casemanager_user,
    )


@pytest.fixture
def existing_customer(council):
    from tests.factories import CustomerFactory

    return CustomerFactory(
        council=council,
        name="Aroha Ngata",
        phone="021 555 0101",
        email="aroha@example.org",
        postal_address="PO Box 11, Wellington 6140",
    )


@pytest.fixture
def dispatched_job(
    council, suburb, casemanager_user, callcentre_user, crew_user, contractor, leak, p2, main_leak, existing_customer
):
    """A job dispatched to the crew's contractor, with its enquiry and a note on the timeline."""
    from django.utils import timezone

    from enquiries.enums import EnquiryStatus
    from jobs.enums import JobEventKind, JobStatus
    from jobs.models import JobEvent
    from tests.factories import EnquiryFactory, JobFactory

    received = timezone.now() - dt.timedelta(hours=2)
    job = JobFactory(
        council=council,
        suburb=suburb,
        service="water_supply",
        street_address="24 Tory Street",
        status=JobStatus.DISPATCHED,
        category=main_leak,
        priority=p2,
        case_manager=casemanager_user,
        contractor=contractor,
        notified_at=received,
        created_by=casemanager_user,
        categorised_at=received,
        allocated_at=received,
        dispatched_at=received,
    )
    EnquiryFactory(
        council=council,
        suburb=suburb,
        customer=existing_customer,
        issue_type=leak,
        street_address="24 Tory Street",
        description="Water running down the gutter since this morning.",
        received_at=received,
        logged_by=callcentre_user,
        job=job,
        status=EnquiryStatus.LINKED,
        callback_requested=True,
        callback_best_time="after 3pm",
    )
    # One note by the crew (the contractor and the utility read it), one by the utility (the crew does not).
    JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=crew_user, text="Crew to bring a 100 mm clamp.")
    JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=casemanager_user,
                            text="Utility only: second call from this customer today.")
    return job
