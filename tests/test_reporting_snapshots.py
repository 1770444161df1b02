"""The dashboard as a stored snapshot: the stored figures are the computed ones, a stale or
missing snapshot is computed in the request, 'Refresh figures' computes at once, the beat task
fills the common scopes once, the page says how old the figures are, and the PDF reuses them."""

import datetime as dt
import json
from unittest import mock

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from enquiries.enums import Service
from reporting import snapshots, tasks
from reporting.models import DashboardSnapshot
from reporting.periods import fy
from reporting.selectors import Scope, measures_as_dict, report_content
from tests.test_reporting_measures import crafted, nz  # noqa: F401  (the hand-worked data set)

PANELS = Template(
    "{% include 'reporting/_insights.html' %}{% include 'reporting/_open_work.html' %}"
    "{% include 'reporting/_compliance.html' %}{% include 'reporting/_measures_table.html' %}"
    "{% include 'reporting/_hotspots.html' %}{% include 'reporting/_feedback.html' %}"
    "{% include 'reporting/_chart.html' with chart=map %}{% for chart in charts %}"
    "{% include 'reporting/_chart.html' %}{% endfor %}{{ council.name }} {{ services }} {{ slowest.stage }}"
    "{{ slowest.median_hours }} {{ months.labels }} {{ months.enquiries }} {{ months.jobs }} {{ complaints }}"
    "{% for s in stages %}{{ s.stage }} {{ s.count }} {{ s.median_hours }}{% endfor %}")


@pytest.fixture(autouse=True)
def reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "reports"


def _scope(council, **kwargs) -> Scope:
    return Scope(council_id=council.pk if council else None, services=kwargs.get("services", list(Service.values)),
                 period=kwargs.get("period", fy(2025)))


@pytest.mark.parametrize("whole", [False, True], ids=["one council", "all councils"])
def test_snapshot_stored_figures_equal_freshly_computed(crafted, council, whole):  # noqa: F811
    scope = _scope(None if whole else council)
    fresh = report_content(scope=scope)
    stored = snapshots.content_back(snapshots.snapshot_refresh(scope=scope).content, scope=scope)
    assert measures_as_dict([b["measures"] for b in stored["measures"]]) == measures_as_dict(
        [b["measures"] for b in fresh["measures"]])
    assert measures_as_dict([b["previous"] for b in stored["measures"]]) == measures_as_dict(
        [b["previous"] for b in fresh["measures"]])
    assert PANELS.render(Context(stored)) == PANELS.render(Context(fresh))
    assert [vars(h) for h in stored["hotspots"]] == [vars(h) for h in fresh["hotspots"]]
    assert ("37.5 min" if whole else "45 min") in PANELS.render(Context(stored))
    assert snapshots.snapshot_fresh(scope=scope).html == snapshots.figures_html(fresh)


def test_dashboard_shows_stored_figures_while_fresh_and_recomputes_when_stale(crafted, council,  # noqa: F811
                                                                               analyst_user, client_for):
    client = client_for(analyst_user)
    query = {"council": council.pk, "service": ["water_supply"], "period": "FY2025"}
    assert "45 min" in client.get(reverse("reporting:dashboard"), query).content.decode()
    snapshot = DashboardSnapshot.objects.get()
    assert snapshot.key == f"{council.pk}/FY2025/water_supply"
    # Mark the stored figures, so the page shows which it read.
    figures = snapshot.content["measures"][0]["measures"]["figures"]
    figures[0]["value"] = 12345.0
    snapshot.html = snapshots.figures_html(snapshots.content_back(snapshot.content, scope=_scope(
        council, services=["water_supply"])))
    snapshot.save()
    assert "12345 min" in client.get(reverse("reporting:dashboard"), query).content.decode()
    DashboardSnapshot.objects.update(computed_at=timezone.now() - dt.timedelta(minutes=16))
    page = client.get(reverse("reporting:dashboard"), query).content.decode()
    assert "45 min" in page and "12345 min" not in page
    assert DashboardSnapshot.objects.get().computed_at > timezone.now() - dt.timedelta(minutes=1)


def test_dashboard_says_how_old_the_figures_are(crafted, council, analyst_user, client_for):  # noqa: F811
    scope = _scope(council, services=["water_supply"])
    snapshot = snapshots.snapshot_refresh(scope=scope)
    earlier = timezone.now() - dt.timedelta(minutes=5)
    DashboardSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=earlier)
    page = client_for(analyst_user).get(reverse("reporting:dashboard"), {
        "council": council.pk, "service": ["water_supply"], "period": "FY2025"}).content.decode()
    assert f"Figures as of <time datetime=\"{timezone.localtime(earlier).isoformat()}\"><strong>" \
           f"{snapshots.as_of_label(earlier)}</strong></time>" in page
    assert "Refresh figures" in page


def test_figures_as_of_label_in_nz_time():
    now = dt.datetime(2026, 3, 3, 18, 0, tzinfo=dt.UTC)  # 7 am on 4 March in Wellington
    assert snapshots.as_of_label(dt.datetime(2026, 3, 3, 17, 5, tzinfo=dt.UTC), now) == "6:05 am"
    assert snapshots.as_of_label(dt.datetime(2026, 3, 3, 3, 5, tzinfo=dt.UTC), now) == "4:05 pm on 3 March 2026"
    assert snapshots.as_of_label(dt.datetime(2026, 3, 3, 11, 0, tzinfo=dt.UTC), now) == "12:00 am"


def test_refresh_figures_computes_now_and_returns_to_the_dashboard(crafted, council, analyst_user,  # noqa: F811
                                                                   client_for):
    client = client_for(analyst_user)
    scope = _scope(council, services=["water_supply"])
    snapshot = snapshots.snapshot_refresh(scope=scope)
    DashboardSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now() - dt.timedelta(minutes=5),
                                                            content={})
    url = reverse("reporting:dashboard-refresh") + "?" + scope.query()
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("reporting:dashboard") + "?" + scope.query()
    snapshot.refresh_from_db()
    assert snapshot.content["measures"] and snapshot.computed_at > timezone.now() - dt.timedelta(minutes=1)
    page = client.get(response["Location"]).content.decode()
    assert "computed again just now" in page and "45 min" in page


def test_refresh_figures_needs_an_analyst(council, casemanager_user, client_for):
    response = client_for(casemanager_user).post(reverse("reporting:dashboard-refresh") + "?period=FY2025")
    assert response.status_code in (403, 404) and not DashboardSnapshot.objects.exists()


def test_refresh_task_creates_the_common_snapshots_once(crafted, council, other_council):  # noqa: F811
    now = dt.datetime(2026, 8, 15, 0, 0, tzinfo=dt.UTC)
    with mock.patch("reporting.snapshots.timezone.now", return_value=now):
        assert [p.key for p in snapshots.common_periods(now)] == ["FY2026", "FY2025", "FY2026-Q1", "2026-07"]
        expected = {snapshots.snapshot_key(s) for s in snapshots.common_scopes(now)}
        assert len(expected) == 4 * 3  # two councils and all councils, four periods
        assert tasks.dashboard_snapshots_refresh() == len(expected)
        assert set(DashboardSnapshot.objects.values_list("key", flat=True)) == expected
        assert tasks.dashboard_snapshots_refresh() == 0  # run twice: nothing computed again
    stored = DashboardSnapshot.objects.get(key=f"{council.pk}/FY2025/water_supply,wastewater,stormwater")
    scope = _scope(council)
    assert stored.content == json.loads(json.dumps(snapshots.content_json(report_content(scope=scope))))


def test_refresh_task_is_scheduled_on_the_reports_queue(db):
    from config.celery import app

    task = PeriodicTask.objects.get(name="Dashboard figures (common scopes)")
    assert task.task == "reporting.tasks.dashboard_snapshots_refresh" and task.queue == "reports" and task.enabled
    assert task.interval.every == 10 and task.interval.period == "minutes"
    assert app.amqp.router.route({}, task.task)["queue"].name == "reports"


def test_publishing_forgets_the_councils_snapshots(crafted, council, other_council, analyst_user):  # noqa: F811
    from reporting import services

    for c in (council, other_council, None):
        snapshots.snapshot_refresh(scope=_scope(c))
    services.period_publish(council=council, service="water_supply", period=fy(2025), by=analyst_user)
    assert list(DashboardSnapshot.objects.values_list("council", flat=True)) == [other_council.pk]


def test_pdf_report_reuses_a_fresh_snapshot(crafted, council, analyst_user,  # noqa: F811
                                            django_capture_on_commit_callbacks):
    from reporting import services

    snapshots.snapshot_refresh(scope=_scope(council, services=["water_supply"]))
    with mock.patch("reporting.services.report_content") as computed, \
            django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(council=council, services=["water_supply"], period=fy(2025),
                                         by=analyst_user)
    report.refresh_from_db()
    assert not computed.called and report.status == "done"
    assert report.figures["water_supply"]["figures"][0]["value"] == 45.0
