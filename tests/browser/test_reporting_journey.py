"""Stage 5 as an analyst does it: the dashboard for a council, a median opened to its jobs, and
a PDF trend report generated, watched and downloaded."""

import datetime as dt
from unittest import mock

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser


@pytest.fixture
def hutt_water_year(other_council, other_suburb, casemanager_user, p2, main_leak, settings, tmp_path):
    """Three urgent Hutt City water jobs in the last financial year: attended after 20, 40 and 90 minutes."""
    from jobs.enums import JobStatus
    from reporting.periods import last_complete
    from tests.factories import JobFactory

    settings.REPORTS_ROOT = tmp_path
    year = last_complete("year")
    jobs = []
    for n, minutes in enumerate((20, 40, 90)):
        notified = year.start + dt.timedelta(days=30 + n, hours=10)
        jobs.append(JobFactory(council=other_council, suburb=other_suburb, category=main_leak, priority=p2,
                               notified_at=notified, attended_at=notified + dt.timedelta(minutes=minutes),
                               completed_at=notified + dt.timedelta(hours=5), status=JobStatus.CLOSED,
                               latitude=-41.22 + n / 1000, longitude=174.88, created_by=casemanager_user))
    return year, jobs


def test_analyst_dashboard_median_and_report(page_for, analyst_user, council, hutt_water_year):
    year, jobs = hutt_water_year
    page = page_for(analyst_user)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")

    page.get_by_role("combobox", name="Council").select_option(label="Hutt City Council")
    page.get_by_label("Wastewater").uncheck()
    page.get_by_label("Stormwater").uncheck()
    page.get_by_role("combobox", name="Period").select_option(year.key)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#scope-summary")).to_have_text(f"Hutt City Council: water supply, {year.label}")
    measures = page.get_by_role("table", name="Water supply")
    expect(measures).to_contain_text("Urgent call-outs: median attendance time")
    check_accessibility(page, "the dashboard")

    # The median of 20, 40 and 90 minutes is 40: open the jobs behind it.
    page.locator('a[data-figure="water-urgent-attendance"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Urgent call-outs: median attendance time")
    for job in jobs:
        expect(page.get_by_role("main")).to_contain_text(job.reference)
    check_accessibility(page, "the jobs behind a figure")
    page.go_back()
    expect(page.locator('a[data-figure="water-urgent-attendance"]')).to_have_text("40 min")

    # Generate report: the task is held back so the page's progress can be watched.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    held = []
    with mock.patch("reporting.services._queue_build", side_effect=held.append):
        page.get_by_role("combobox", name="Council").select_option(label="Hutt City Council")
        page.get_by_label("Wastewater").uncheck()
        page.get_by_label("Stormwater").uncheck()
        page.get_by_role("combobox", name="Period").select_option(year.key)
        page.get_by_role("button", name="Generate report").click()
        expect(page.get_by_role("status")).to_contain_text("Queued")
    check_accessibility(page, "a report being built")
    from reporting import services

    [report_id] = held
    services.report_build(report_id=report_id)  # what the worker on the reports queue does
    expect(page.get_by_role("status")).to_contain_text("Ready", timeout=10_000)  # htmx polling
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
