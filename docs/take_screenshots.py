"""Screenshots of the Log enquiry form for the README, from a running demo (`make demo PORT=8001`).

    .venv/bin/python docs/take_screenshots.py http://127.0.0.1:8001

Headless Debian chromium through Playwright, 1280x900 (the call-centre's screen). The call
shown is made up on the spot: a caller found by phone, an address two doors from an open
job (read off the triage queue), so it works on any seeded demo.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

DOCS = Path(__file__).resolve().parent
PASSWORD = "demo-pass-2026"


def log_in(browser, base_url, username):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, locale="en-NZ",
                                  timezone_id="Pacific/Auckland")
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return page


def an_open_wellington_job(browser, base_url):
    """(number, street, suburb) of an open water-supply job in Wellington City."""
    page = log_in(browser, base_url, "casemanager")
    page.goto("/jobs/triage/?tab=mine&sort=due")
    for row in page.locator("tbody tr").all():
        if not row.locator("td[data-label=What]").inner_text().startswith("Water supply"):
            continue  # the call shown is about a leak
        where = row.locator("td[data-label=Where]").inner_text()
        match = re.match(r"(\d+) (.+), (.+) \(WCC\)", where)
        if match:
            return int(match.group(1)), match.group(2), match.group(3)
    raise SystemExit("No open Wellington City job in the demo data")


def main(base_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        number, street, suburb = an_open_wellington_job(browser, base_url)
        page = log_in(browser, base_url, "callcentre")
        page.goto("/enquiries/new/")
        page.screenshot(path=str(DOCS / "screenshot-log-enquiry-empty.png"))

        page.keyboard.type("021 2")
        expect(page.locator("#customer-results .customer-match").first).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.get_by_label("Street address")).to_be_focused()
        page.keyboard.type(f"{number + 2} {street}")
        page.keyboard.press("Tab")
        page.get_by_label("Suburb").select_option(label=suburb)
        expect(page.locator("#duplicates .candidate").first).to_be_visible()
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        page.keyboard.type("Leak")
        page.keyboard.press("Tab")
        page.keyboard.type("Water coming up through the footpath outside, getting worse since this morning.")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.keyboard.type("after 3pm")
        page.wait_for_function("() => document.querySelector('.htmx-request') === null")
        page.wait_for_timeout(500)  # the smooth scroll to the focused field settles
        page.screenshot(path=str(DOCS / "screenshot-log-enquiry-call.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
