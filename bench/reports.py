"""Reporting benchmark, run by bench/run.py after the pages (or alone on a seeded database):

    .venv/bin/python bench/reports.py              # BENCH_DATABASE_URL or the default bench database

- every DIA measure for every council and service, one financial year (target < 300 ms): cold
  (no stored month: read from the jobs), warm (the stored months, exact until their jobs change:
  reporting.rollups), and with one job changed before each read (its month read again);
- the analyst dashboard, all councils and one council, a year (target p95 < 150 ms): cold (no
  stored snapshot, every figure computed in the request) and warm (the snapshot fresh, as the
  periodic task keeps it), each against the bare view;
- a year's PDF trend report for one council, built as the task builds it (target < 10 s): cold,
  and reusing a fresh dashboard snapshot;
- the CSV export of up to 500,000 jobs, streamed (target > 30,000 rows/s, memory flat).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(1, str(BENCH))

CSV_ROWS = 500_000


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _bare_p95(client, requests: int) -> float | None:
    """The bare Django view's p95 through the same client (the baseline bench/run.py divides by)."""
    if client.get("/bench/bare").status_code != 200:  # BENCH is off: no baseline
        return None
    timings = []
    for _ in range(max(requests, 20)):
        started = time.perf_counter()
        client.get("/bench/bare")
        timings.append((time.perf_counter() - started) * 1000)
    return _p95(timings)


def run(*, log=print, repeats: int = 5, requests: int = 30, cold_requests: int = 3) -> tuple[str, list[dict]]:
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import override_settings

    from accounts import permissions
    from accounts.models import Organisation, User
    from jobs.models import Job
    from reporting import services, snapshots
    from reporting.export import job_rows_csv
    from reporting.measures import dia_measures_every_council
    from reporting.models import DashboardSnapshot, MeasureMonth
    from reporting.periods import last_complete
    from reporting.selectors import Scope
    from reporting.snapshots import snapshot_key

    year = last_complete("year")
    rows = []

    log(f"  every measure, every council and service, {year.label}: cold (no stored month)")
    timings = []
    for _ in range(cold_requests):
        MeasureMonth.objects.all().delete()
        started = time.perf_counter()
        measures = dia_measures_every_council(period=year)
        timings.append((time.perf_counter() - started) * 1000)
    jobs_in_year = sum(m.population for (_c, s), m in measures.items())
    months = MeasureMonth.objects.count()
    rows.append({"what": f"every measure, cold (read from the jobs, {months} months stored)",
                 "p50": statistics.median(timings), "p95": max(timings), "target": "(none: computed once)",
                 "ok": True})
    # Warm: the stored months are exact until a change to their jobs (reporting.rollups), so this
    # is every read after the first; a changed month is read from its jobs again (below).
    log("  every measure, warm (stored months)")
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        measures = dia_measures_every_council(period=year)
        timings.append((time.perf_counter() - started) * 1000)
    rows.append({"what": f"every measure, {len(measures)} council x service, {jobs_in_year:,} jobs",
                 "p50": statistics.median(timings), "p95": max(timings), "target": "< 300 ms",
                 "ok": max(timings) < 300})
    log("  every measure, one job changed before each read (its month read again)")
    job = Job.objects.filter(notified_at__gte=year.start, notified_at__lt=year.end,
                             excluded_from_measures=False, attended_at__isnull=False).order_by("pk").first()
    timings = []
    for _ in range(repeats):
        Job.objects.filter(pk=job.pk).update(attended_at=F("attended_at") + timedelta(seconds=1))
        started = time.perf_counter()
        dia_measures_every_council(period=year)
        timings.append((time.perf_counter() - started) * 1000)
    Job.objects.filter(pk=job.pk).update(attended_at=F("attended_at") - timedelta(seconds=repeats))
    rows.append({"what": "every measure, a job changed before each read", "p50": statistics.median(timings),
                 "p95": max(timings), "target": "< 300 ms", "ok": max(timings) < 300})

    analyst = User.objects.filter(role_analyst=True).first()
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(analyst)
    bare_p95 = _bare_p95(client, requests)
    wcc = Organisation.objects.get(short_code="WCC")
    services_all = ["water_supply", "wastewater", "stormwater"]

    def ratio(p95: float) -> str:
        return f"{p95 / bare_p95:.1f}x the bare view's p95 ({bare_p95:.1f} ms)" if bare_p95 else ""

    for label, council in (("all councils", None), ("Wellington City", wcc)):
        params = {"period": year.key, **({"council": council.pk} if council else {})}
        scope = Scope(council_id=council.pk if council else None, services=services_all, period=year)
        stored = DashboardSnapshot.objects.filter(key=snapshot_key(scope))
        # Cold: no snapshot, so the request computes every figure (as the first view after the
        # refresh interval, or a scope the periodic task does not keep).
        log(f"  dashboard, {label}, cold (computed in the request)")
        timings = []
        for _ in range(cold_requests):
            stored.delete()
            started = time.perf_counter()
            response = client.get("/reporting/", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        rows.append({"what": f"dashboard, {label}, cold (no snapshot: computed)", "p50": statistics.median(timings),
                     "p95": _p95(timings), "target": "p95 < 150 ms", "ok": _p95(timings) < 150,
                     "note": ratio(_p95(timings))})
        # Warm: the snapshot is fresh (as the periodic task keeps it), so the page reads one row.
        log(f"  dashboard, {label}, warm (snapshot fresh)")
        client.get("/reporting/", params)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get("/reporting/", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and b"Figures as of" in response.content, response.status_code
        rows.append({"what": f"dashboard, {label}, warm (snapshot fresh)", "p50": statistics.median(timings),
                     "p95": _p95(timings), "target": "p95 < 150 ms", "ok": _p95(timings) < 150,
                     "note": ratio(_p95(timings))})

    for label, warm in (("cold (no snapshot)", False), ("warm (fresh snapshot reused)", True)):
        log(f"  PDF trend report, Wellington City, a year, {label}")
        scope = Scope(council_id=wcc.pk, services=services_all, period=year)
        if warm:
            snapshots.snapshot_refresh(scope=scope)
        else:
            DashboardSnapshot.objects.filter(key=snapshot_key(scope)).delete()
        with tempfile.TemporaryDirectory() as folder, override_settings(REPORTS_ROOT=folder):
            started = time.perf_counter()
            report = services.report_request(council=wcc, services=services_all, period=year, by=permissions.SYSTEM)
            report.refresh_from_db()
            if report.status != "done":  # a broker is configured: build it here, as the worker would
                services.report_build(report_id=report.pk)
            seconds = time.perf_counter() - started
            report.refresh_from_db()
            size = report.file.size
        rows.append({"what": f"PDF report, {label} ({size // 1024} KiB)", "p50": seconds * 1000,
                     "p95": seconds * 1000, "target": "< 10 s", "ok": seconds < 10})

    log(f"  CSV export of up to {CSV_ROWS:,} jobs")
    ids = list(Job.objects.order_by("pk").values_list("pk", flat=True)[CSV_ROWS - 1:CSV_ROWS])
    jobs = Job.objects.filter(pk__lte=ids[0]) if ids else Job.objects.all()
    connection.close()
    count, written = -1, 0
    rss_start = _rss_mb()
    rss_peak = rss_after_first = rss_start
    started = time.perf_counter()
    for line in job_rows_csv(jobs):
        count += 1
        written += len(line)
        if count == 20_000:
            rss_after_first = _rss_mb()
        if count % 20_000 == 0:
            rss_peak = max(rss_peak, _rss_mb())
    seconds = time.perf_counter() - started
    rate = count / seconds if seconds else 0
    growth = rss_peak - rss_after_first
    rows.append({"what": f"CSV export, {count:,} jobs ({written / 2**20:.0f} MiB)", "p50": seconds * 1000,
                 "p95": seconds * 1000, "target": "> 30,000 rows/s, flat memory",
                 "ok": rate > 30_000 and growth < 64,
                 "note": f"{rate:,.0f} rows/s; RSS {rss_start:.0f} MiB at start, {rss_after_first:.0f} after 20k rows, "
                         f"peak {rss_peak:.0f}"})
    lines = ["-- reporting (in process) --"]
    for row in rows:
        lines.append(f"{row['what']:<62} p50 {row['p50']:9.1f} ms  p95 {row['p95']:9.1f} ms  {row['target']:<30} "
                     f"{'PASS' if row['ok'] else 'FAIL'}  {row.get('note', '')}".rstrip())
    return "\n".join(lines), rows


def main() -> int:
    from run import DEFAULT_URL, app_env

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.update({k: v for k, v in app_env(url, "bench-reporting-" + "x" * 40).items()
                       if k in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL",
                                "REDIS_URL", "LOG_LEVEL", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
                                "CSRF_COOKIE_SECURE", "BEHIND_TLS_PROXY", "SECURE_HSTS_SECONDS", "BENCH")})
    import django

    django.setup()
    import load
    from django.conf import settings

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        load.collectstatic(dict(os.environ), print)  # DEBUG=false pages need the static manifest
    before = os.getloadavg()[0]
    text, _rows = run()
    print(text)
    print(f"load average {before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
