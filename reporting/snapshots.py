"""The dashboard as a stored snapshot: its content for one scope, kept as JSON in
``DashboardSnapshot`` and shown with the time it was computed.

Computing every figure for a year reads ~240,000 jobs (seconds at 1M enquiries), so the page
shows stored figures up to ``REPORTING_SNAPSHOT_MINUTES`` old. A periodic task (beat, on the
``reports`` queue) refreshes the common scopes (``COMMON_PERIODS`` for every council and for
all councils, every service); any other scope, or one missing or older than that, is computed
in the request and stored, so the dashboard works with no worker (the demo). "Refresh figures"
computes the scope again at once. A table rather than the cache: it survives restarts, works
without Redis, and the PDF report can reuse a fresh snapshot of its own scope.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from enquiries.enums import Service

from .charts import Chart
from .hotspots import Hotspot
from .insights import Insight
from .measures import Figure, ServiceMeasures, councils
from .models import DashboardSnapshot
from .periods import Period, last_complete, period_containing
from .selectors import Scope, report_content


def max_age() -> timedelta:
    return timedelta(minutes=getattr(settings, "REPORTING_SNAPSHOT_MINUTES", 15))


def snapshot_key(scope: Scope) -> str:
    services = [s for s in Service.values if s in set(scope.services)]
    return f"{scope.council_id or 'all'}/{scope.period.key}/{','.join(services)}"


def common_periods(now: datetime | None = None) -> list[Period]:
    """The periods kept warm: the current and the last financial year (the dashboard opens on
    the last complete one), the current quarter and the last complete month."""
    now = now or timezone.now()
    found = [period_containing(now, "year"), last_complete("year", now), period_containing(now, "quarter"),
             last_complete("month", now)]
    return list(dict.fromkeys(found))


def common_scopes(now: datetime | None = None) -> list[Scope]:
    council_ids = [None, *councils().values_list("pk", flat=True)]
    return [Scope(council_id=c, services=list(Service.values), period=p)
            for p in common_periods(now) for c in council_ids]


# Content to JSON and back ----------------------------------------------------------------

def _measures_json(measures: ServiceMeasures) -> dict:
    return {"service": measures.service, "population": measures.population, "excluded": measures.excluded,
            "figures": [asdict(f) for f in measures.figures]}


def _measures_back(data: dict) -> ServiceMeasures:
    return ServiceMeasures(service=data["service"], figures=[Figure(**f) for f in data["figures"]],
                           population=data["population"], excluded=data["excluded"])


def _chart_json(chart: Chart) -> dict:
    return {"id": chart.id, "title": chart.title, "svg": str(chart.svg), "columns": chart.columns,
            "rows": chart.rows}


def _chart_back(data: dict) -> Chart:
    # The SVG was drawn (and escaped) by reporting.charts and stored by this module only.
    return Chart(data["id"], data["title"], mark_safe(data["svg"]), data["columns"], data["rows"])


def content_json(content: dict) -> dict:
    """``report_content`` as JSON (the scope and council are the snapshot's own columns)."""
    return {
        "services": content["services"], "open_work": content["open_work"], "compliance": content["compliance"],
        "previous_compliance": content["previous_compliance"],
        "measures": [{"measures": _measures_json(b["measures"]), "previous": _measures_json(b["previous"])}
                     for b in content["measures"]],
        "months": content["months"], "complaints": content["complaints"], "feedback": content["feedback"],
        "stages": content["stages"], "slowest": content["slowest"],
        "hotspots": [{k: v for k, v in asdict(h).items() if k not in ("period", "job_ids")}
                     for h in content["hotspots"]],
        "charts": [_chart_json(c) for c in content["charts"]], "map": _chart_json(content["map"]),
        "insights": [asdict(i) for i in content["insights"]],
    }


def content_back(data: dict, *, scope: Scope) -> dict:
    """The stored JSON as the content the dashboard and PDF templates read."""
    measures = []
    for block in data["measures"]:
        now, before = _measures_back(block["measures"]), _measures_back(block["previous"])
        measures.append({"measures": now, "previous": before,
                         "pairs": [(f, before.figure(f.key)) for f in now.figures]})
    return {
        **data, "scope": scope,
        "council": councils(scope.council_id).first() if scope.council_id else None,
        "measures": measures,
        "complaints": [tuple(c) for c in data["complaints"]],
        "open_work": {**data["open_work"], "rows": [tuple(r) for r in data["open_work"]["rows"]]},
        "hotspots": [Hotspot(**h, period=scope.period) for h in data["hotspots"]],
        "charts": [_chart_back(c) for c in data["charts"]], "map": _chart_back(data["map"]),
        "insights": [Insight(**i) for i in data["insights"]],
    }


# Reading and refreshing ------------------------------------------------------------------

def snapshot_fresh(*, scope: Scope, now: datetime | None = None,
                   fields: tuple[str, ...] | None = None) -> DashboardSnapshot | None:
    """The stored snapshot of the scope if it is younger than the refresh interval (only its
    ``fields`` when given)."""
    now = now or timezone.now()
    found = DashboardSnapshot.objects.filter(key=snapshot_key(scope), computed_at__gt=now - max_age())
    return (found.only(*fields) if fields else found).first()


def snapshot_refresh(*, scope: Scope) -> DashboardSnapshot:
    """Compute the scope's content now and store it over any older snapshot. Safe to run twice
    or at once: the row is written in one upsert, the later computation wins."""
    started = time.perf_counter()
    content = report_content(scope=scope)
    seconds = time.perf_counter() - started
    snapshot = DashboardSnapshot(key=snapshot_key(scope), council_id=scope.council_id,
                                 services=[s for s in Service.values if s in set(scope.services)],
                                 period_key=scope.period.key, content=content_json(content),
                                 html=figures_html(content),
                                 computed_at=timezone.now(), seconds=round(seconds, 3))
    with transaction.atomic():
        DashboardSnapshot.objects.bulk_create(
            [snapshot], update_conflicts=True, unique_fields=["key"],
            update_fields=["council", "services", "period_key", "content", "html", "computed_at", "seconds"])
    return snapshot


def figures_html(content: dict) -> str:
    """The dashboard's figures rendered from a snapshot's content. Stored with the snapshot: at
    all councils the figures are ~0.5 MB of HTML, and rendering them took ~0.5 s a page view.
    They read the content and scope only, never the user (every analyst sees the same figures)."""
    return render_to_string("reporting/_figures.html", content)


def dashboard_snapshot(*, scope: Scope, refresh: bool = False) -> DashboardSnapshot:
    """The scope's snapshot for the dashboard: the stored one while fresh (read without its
    content, the page shows the stored HTML), else (or when ``refresh``) computed now and stored."""
    snapshot = None
    if not refresh:
        snapshot = snapshot_fresh(scope=scope, fields=("key", "html", "computed_at"))
        if snapshot is not None and not snapshot.html:  # stored before the HTML was
            snapshot = None
    return snapshot or snapshot_refresh(scope=scope)


def snapshots_refresh_common(*, now: datetime | None = None) -> int:
    """Run by beat: refresh the common scopes' snapshots. One computed within the last third of
    the interval is left alone, so a second run straight after the first does nothing, while a
    run every interval keeps the page's figures fresh. Returns how many were computed."""
    now = now or timezone.now()
    recent = now - max_age() / 3
    computed = 0
    for scope in common_scopes(now):
        if DashboardSnapshot.objects.filter(key=snapshot_key(scope), computed_at__gt=recent).exists():
            continue
        snapshot_refresh(scope=scope)
        computed += 1
    return computed


def snapshots_forget(*, council_id: int | None) -> int:
    """Drop the snapshots a change to this council's jobs makes out of date (its own and all
    councils'): publishing a period moves its closed jobs to reported."""
    from django.db.models import Q

    deleted, _ = DashboardSnapshot.objects.filter(Q(council_id=council_id) | Q(council__isnull=True)).delete()
    return deleted


def as_of_label(moment: datetime, now: datetime | None = None) -> str:
    """'4:05 pm' today, else '4:05 pm on 3 March 2026' (NZ time)."""
    local, today = timezone.localtime(moment), timezone.localtime(now or timezone.now()).date()
    hour = local.hour % 12 or 12
    label = f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"
    return label if local.date() == today else f"{label} on {local.day} {local.strftime('%B')} {local.year}"
