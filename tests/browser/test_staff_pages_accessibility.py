"""axe-core on every page staff use: each role's screens in every state worth seeing, and the Django admin
(its index, every model's list, add and change pages). No serious or critical violation anywhere.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE_PATH, PHONE, check_accessibility

pytestmark = pytest.mark.browser


@pytest.fixture
def staff_world(dispatched_job, council, suburb, leak, p2, main_leak, callcentre_user, casemanager_user,
                existing_customer, contractor):
    """One of everything: a new enquiry, a job in triage, a dispatched job, a closed and a cancelled job."""
    from django.utils import timezone

    from jobs.enums import JobStatus
    from tests.factories import EnquiryFactory, JobFactory

    new = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=existing_customer,
                         street_address="3 Willis Street", logged_by=callcentre_user, description="Low pressure.")
    logged = JobFactory(council=council, suburb=suburb, service="water_supply", street_address="8 Willis Street",
                        created_by=casemanager_user)
    closed = JobFactory(council=council, suburb=suburb, service="water_supply", street_address="9 Willis Street",
                        status=JobStatus.CLOSED, priority=p2, category=main_leak, case_manager=casemanager_user,
                        contractor=contractor, created_by=casemanager_user, completed_at=timezone.now(),
                        closed_at=timezone.now())
    cancelled = JobFactory(council=council, suburb=suburb, service="water_supply", street_address="11 Willis Street",
                           status=JobStatus.CANCELLED, cancel_reason="no_fault", created_by=casemanager_user,
                           cancelled_at=timezone.now())
    return {"new": new, "dispatched": dispatched_job, "logged": logged, "closed": closed, "cancelled": cancelled}


def _pages(world):
    new, dispatched, logged, closed = world["new"], world["dispatched"], world["logged"], world["closed"]
    return {
        "callcentre_user": [
            "/enquiries/home/", "/enquiries/", "/enquiries/?q=Willis", "/enquiries/new/",
            f"/enquiries/{new.reference}/", f"/enquiries/{new.reference}/resolve/", f"/jobs/{dispatched.reference}/",
            "/accounts/password_change/",
        ],
        "casemanager_user": [
            "/jobs/triage/?tab=new", "/jobs/triage/?tab=new&sort=urgent", "/jobs/triage/?tab=triage",
            "/jobs/triage/?tab=mine", "/jobs/triage/?tab=at_risk", f"/enquiries/{new.reference}/link/",
            f"/jobs/{logged.reference}/", f"/jobs/{logged.reference}/categorise/", f"/jobs/{logged.reference}/cancel/",
            f"/jobs/{logged.reference}/location/", f"/jobs/{dispatched.reference}/",
            f"/jobs/{dispatched.reference}/allocate/", f"/jobs/{dispatched.reference}/dispatch/",
            f"/jobs/{closed.reference}/", f"/jobs/{closed.reference}/reopen/", "/jobs/JOB-2026-999999/",
            f"/jobs/{world['cancelled'].reference}/",  # the struck-through stage line's contrast
        ],
        "crew_user": ["/jobs/crew/", "/jobs/crew/?show=all", f"/jobs/{dispatched.reference}/"],
        "analyst_user": ["/reporting/", "/enquiries/"],
        "admin_user": ["/accounts/admin-home/"],
    }


@pytest.mark.parametrize("role_user", ["callcentre_user", "casemanager_user", "crew_user", "analyst_user",
                                       "admin_user"])
def test_every_staff_page_is_accessible(page_for, request, staff_world, role_user):
    page = page_for(request.getfixturevalue(role_user))
    for path in _pages(staff_world)[role_user]:
        response = page.goto(path)
        assert response.status in (200, 404), f"{path} answered {response.status}"
        check_accessibility(page, f"{path} as {role_user}")


def test_crew_pages_on_a_phone_are_accessible(page_for, crew_user, staff_world):
    page = page_for(crew_user, viewport=PHONE)
    for path in ("/jobs/crew/", f"/jobs/{staff_world['dispatched'].reference}/"):
        page.goto(path)
        check_accessibility(page, f"{path} at 390x844")


def _admin_urls(world):
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    urls = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        try:
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        except NoReverseMatch:
            pass
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    apps = {model._meta.app_label for model in admin.site._registry}
    urls += [reverse("admin:app_list", args=[app]) for app in sorted(apps)]
    return urls


def test_every_admin_page_is_accessible(page_for, admin_user, staff_world, utility, other_contractor):
    from django_fsm_log.models import StateLog  # noqa: F401 - logs exist for the enquiries and jobs above

    from tests.factories import SuburbFactory

    SuburbFactory(council=staff_world["new"].council, name="Kelburn")
    page = page_for(admin_user)
    checked, failures = 0, []
    for url in _admin_urls(staff_world):
        response = page.goto(url)
        if response.status == 403:  # read-only models have no add page
            continue
        assert response.status == 200, f"{url} answered {response.status}"
        try:
            check_accessibility(page, f"the admin page {url}")
        except pytest.fail.Exception as failure:  # every page's violations in one report
            failures.append(str(failure))
        checked += 1
    assert not failures, "\n\n".join(failures)
    assert checked > 20



def test_admin_filter_sidebars_have_targets_big_enough(page_for, admin_user, staff_world):
    # WCAG 2.2 target size (24 px), which axe runs only when asked.
    page = page_for(admin_user)
    for url in ("/admin/accounts/user/", "/admin/enquiries/issuetype/", "/admin/enquiries/enquiry/"):
        page.goto(url)
        expect(page.locator("#changelist-filter")).to_be_visible()
        # Evaluated, not injected as a <script>: the Content-Security-Policy refuses inline scripts.
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")
        violations = page.evaluate(
            """async () => (await axe.run(document, {runOnly: ["target-size"]})).violations
                .map(v => v.nodes.map(n => n.target.join(" ")).join(", "))"""
        )
        assert violations == [], f"{url}: {violations}"
