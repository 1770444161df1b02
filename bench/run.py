#!/usr/bin/env python
"""Benchmark: seed N enquiries into a dedicated PostgreSQL database, then print latency,
query counts and requests per second for the pages that must stay fast at a million rows.

    .venv/bin/python bench/run.py --enquiries 100000
    .venv/bin/python bench/run.py --skip-seed            # measure the database as it is

See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(BENCH))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/waterjourney_bench"


def app_env(database_url: str, secret_key: str) -> dict:
    """Production-like settings (DEBUG off) without TLS, for this process and for gunicorn."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        BEHIND_TLS_PROXY="false",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        REDIS_URL="",
        LOG_LEVEL="WARNING",
        BENCH="true",  # /bench/bare, the baseline
        # The public pages' rate limits still count every request (in the cache) but must not
        # answer 429 to a benchmark that sends thousands a second from one address.
        PUBLIC_PAGE_RATE_PER_ADDRESS="100000000/m",
        FEEDBACK_RATE_PER_LINK="100000000/m",
        STATUS_LOOKUPS_PER_ADDRESS="100000000/m",
        STATUS_LOOKUPS_PER_REFERENCE="100000000/m",
    )
    return env


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enquiries", type=int, default=100_000, help="enquiries to seed (default 100000)")
    parser.add_argument("--skip-seed", action="store_true", help="measure the database as it is seeded already")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"the benchmark database (default {DEFAULT_URL}); created if missing")
    parser.add_argument("--requests", type=int, default=200, help="timed requests a page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests a page first (default 20)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load a page under gunicorn (20)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections under load (16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--deep-rows", type=int, default=500_000,
                        help="how deep the unfiltered queue's deep page is, in rows (default 500000, at most N/2)")
    parser.add_argument("--deep-page", type=int, default=1000, help="page number for the filtered deep pages (1000)")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn requests-per-second part")
    parser.add_argument("--no-reporting", action="store_true", help="skip the reporting measures (bench/reports.py)")
    parser.add_argument("--pages-only", action="store_true",
                        help="only the pages in process: no load, reporting, EXPLAIN, bulk update or letter PDF")
    parser.add_argument("--no-explain", action="store_true", help="do not EXPLAIN ANALYZE the slowest queries")
    parser.add_argument("--wait-quiet", type=int, default=60, metavar="SECONDS",
                        help="before each measuring phase wait up to this long for the 1-minute load average to "
                             "drop below --quiet-load (default 60; 0 = do not wait)")
    parser.add_argument("--quiet-load", type=float, default=1.5, help="load average counted as quiet (1.5)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the data (default 2026)")
    args = parser.parse_args(argv)
    if args.pages_only:
        args.no_load = args.no_reporting = args.no_explain = True
    return args


def log(message: str = "") -> None:
    print(message, flush=True)


def wait_quiet(seconds: int, threshold: float) -> float:
    """Wait (bounded) for other work on the machine to calm down; returns the load average then."""
    deadline = time.monotonic() + seconds
    load = os.getloadavg()[0]
    if load >= threshold and seconds > 0:
        log(f"  load average {load:.2f}: waiting up to {seconds}s for it to drop below {threshold}")
        while load >= threshold and time.monotonic() < deadline:
            time.sleep(5)
            load = os.getloadavg()[0]
        log(f"  load average now {load:.2f}")
    return load


def prepare_database(url: str, env: dict) -> None:
    import seed as seeding

    created = seeding.ensure_database(url)
    log(f"  database {'created' if created else 'exists'}: {url}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=PROJECT, env=env,
                   check=True)
    log(f"  migrate: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    # seed_demo refuses to run with DEBUG off (it sets a published password): this is a bench database.
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--no-activity"], cwd=PROJECT,
                   env={**env, "DEBUG": "true"}, check=True, stdout=subprocess.DEVNULL)
    log(f"  seed_demo --no-activity: {time.perf_counter() - started:.1f}s")


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def table(headers: list[str], rows: list[list[str]], aligns: str) -> str:
    widths = [max(len(str(x)) for x in [h] + [r[i] for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        cells = zip(cells, widths, aligns, strict=True)
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in cells).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def share(value: float, base: float) -> str:
    """value as a percentage of base: 57 req/s against a bare 1,140 is '5.0%'."""
    return "-" if not (value == value and base == base and base > 0) else f"{100 * value / base:.1f}%"


def times(value: float, base: float) -> str:
    """value as a multiple of base: 18.9 ms against a bare 1.9 ms is '9.9x'."""
    return "-" if not (value == value and base == base and base > 0) else f"{value / base:.1f}x"


def verdict(ok) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def report(*, args, meta: dict, seed_figures: dict | None, results, load_results, flat: dict) -> str:
    out = []
    counts = meta.get("counts", {})
    out.append(f"== waterjourney benchmark: {meta.get('enquiries', '?'):,} enquiries "
               f"(PostgreSQL, DEBUG=false, {os.cpu_count()} cores) ==")
    if meta.get("commit"):
        out.append(f"app at commit {meta['commit']}")
    out.append("data: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items()))
    if "open_jobs" in meta:
        out.append(f"      open jobs {meta['open_jobs']:,} (overdue {meta['overdue_jobs']:,}), "
                   f"new enquiries {meta['new_enquiries']:,}, linked {meta['linked_enquiries']:,}")
    if seed_figures:
        out.append(f"seeding: {seed_figures['total_s']:.1f}s in all (plan {seed_figures['plan_s']:.1f}s, "
                   f"COPY {seed_figures['copy_s']:.1f}s, indexes {seed_figures['index_s']:.1f}s, "
                   f"VACUUM ANALYZE {seed_figures['analyze_s']:.1f}s; migrate and seed_demo before: "
                   f"{seed_figures.get('prepare_s', 0):.1f}s)")
    else:
        out.append(f"seeding: skipped (--skip-seed; seeded earlier in {meta.get('seconds', '?')}s)")
    load_avg = meta.get("load_average")
    if load_avg:
        out.append(f"machine load average (1 min) before / after measuring: {load_avg[0]:.2f} / {load_avg[1]:.2f} "
                   "(other work on this 2-core machine adds noise)")
    out.append("")
    out.append(f"-- latency in process (django.test.Client, full middleware, logged in): "
               f"{args.warmup} warm-up + {args.requests} timed requests a page --")
    bare = next((r for r in results if r.key == "bare"), None)
    rows = []
    for r in results:
        rows.append([r.label, r.user, fmt(r.p50_ms, 2), fmt(r.p95_ms, 2),
                     times(r.p95_ms, bare.p95_ms if bare else float("nan")),
                     f"< {r.target_ms:g}" if r.target_ms else "-", str(r.queries), fmt(r.sql_ms, 2),
                     fmt(r.slowest_sql_ms, 2), r.prototype or "-", verdict(r.ok), r.note])
    out.append(table(["page", "user", "p50 ms", "p95 ms", "p95 x bare", "target p95", "queries", "sql ms",
                      "slowest q", "proto@1M p95", "", "note"], rows, "llrrrrrrrlll"))
    out.append("(sql ms / slowest q: wall time of all / the slowest of the page's queries in one captured request; "
               "p95 x bare: the page's p95 as a multiple of the bare view's, measured in the same run)")
    out.append("")
    out.append("query counts flat in rows and events: " + "; ".join(
        f"{name}: {'yes' if same else 'NO'} ({detail})" for name, (same, detail) in flat.items()))
    if load_results:
        out.append("")
        out.append(f"-- under load: gunicorn config.wsgi -w {args.workers} (sync), {args.connections} connections, "
                   f"{args.duration}s a page, tool {load_results[0].tool}; load average before: "
                   f"{meta.get('load_average_load', float('nan')):.2f} --")
        from load import BASELINE_KEY

        bare_load = next((r for r in load_results if r.key == BASELINE_KEY), None)
        base_rps = bare_load.rps if bare_load else float("nan")
        base_p50 = bare_load.p50_ms if bare_load else float("nan")
        rows = [[r.label, fmt(r.rps), share(r.rps, base_rps), fmt(r.p50_ms), times(r.p50_ms, base_p50),
                 fmt(r.p99_ms), str(r.requests), str(r.errors),
                 f">= {r.target_rps:g}" if r.target_rps is not None else "-", r.prototype, verdict(r.ok)]
                for r in load_results]
        out.append(table(["page", "req/s", "% of bare", "p50 ms", "p50 x bare", "p99 ms", "requests", "errors",
                          "target", "proto@1M", ""], rows, "lrrrrrrrrll"))
        out.append("(% of bare: the page's requests per second as a share of the bare Django view's, and p50 x bare "
                   "its median latency as a multiple, under the same gunicorn and wrk settings in the same run: "
                   "these compare across machines where the absolute figures do not)")
    return "\n".join(out)


def data_figures() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT count(*) FILTER (WHERE status NOT IN ('closed', 'reported', 'cancelled')),
                   count(*) FILTER (WHERE next_due_at < now())
            FROM jobs_job""")
        open_jobs, overdue = cur.fetchone()
        cur.execute("SELECT count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'linked') "
                    "FROM enquiries_enquiry")
        new, linked = cur.fetchone()
    return {"open_jobs": open_jobs, "overdue_jobs": overdue, "new_enquiries": new, "linked_enquiries": linked}


def main(argv=None) -> int:
    args = parse_args(argv)
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)") for _ in range(50))
    env = app_env(args.database_url, secret)
    os.environ.update({k: v for k, v in env.items() if k in (
        "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "BEHIND_TLS_PROXY", "SECURE_HSTS_SECONDS", "DATABASE_URL",
        "CONN_MAX_AGE", "REDIS_URL", "LOG_LEVEL", "BENCH", "PUBLIC_PAGE_RATE_PER_ADDRESS", "FEEDBACK_RATE_PER_LINK",
        "STATUS_LOOKUPS_PER_ADDRESS", "STATUS_LOOKUPS_PER_REFERENCE")})
    # A SIGTERM ends the run through the finally blocks (gunicorn is stopped there).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)

    import psycopg
    import seed as seeding

    seed_figures = None
    if not args.skip_seed:
        log(f"Seeding {args.enquiries:,} enquiries")
        started = time.perf_counter()
        prepare_database(args.database_url, env)
        prepare_s = time.perf_counter() - started

    import django

    django.setup()

    if not args.skip_seed:
        seed_figures = seeding.seed(args.database_url, enquiries=args.enquiries, seed_value=args.seed, log=log)
        seed_figures["prepare_s"] = prepare_s
        log(f"  seeded in {seed_figures['total_s']:.1f}s (+ {prepare_s:.1f}s migrate and seed_demo)")

    with psycopg.connect(args.database_url, autocommit=True) as conn:
        if seeding.restore_indexes(conn, log):
            log("  (indexes left out by an interrupted seed were built again)")
        meta = seeding.meta_get(conn, "seed", {}) or {}
    if meta.get("state") != "done":
        log("The benchmark database is not seeded (or its seed did not finish): run without --skip-seed.")
        return 2
    meta.update(data_figures())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True)
    meta["commit"] = head.stdout.strip() if head.returncode == 0 else os.environ.get("BENCH_COMMIT", "")

    import load
    import measure

    # DEBUG=false serves static files through whitenoise's manifest: pages need it to render.
    load.collectstatic(env, log)
    log("Measuring in process")
    load_before = wait_quiet(args.wait_quiet, args.quiet_load)
    deep_rows = min(args.deep_rows, max(1, meta["enquiries"] // 2))
    subjects = measure.find_subjects(deep_rows=deep_rows, deep_page=args.deep_page, log=log)
    results = measure.run(subjects, deep_page=args.deep_page, warmup=args.warmup, requests=args.requests, log=log)
    log("Measuring the field work and customer updates")
    import fieldwork

    fieldwork_results, fieldwork_flat = fieldwork.run(warmup=args.warmup, requests=args.requests,
                                                      heavy=not args.pages_only, log=log)
    results += fieldwork_results
    by_key = {r.key: r for r in results}
    reporting_text, reporting_rows = "", []
    if not args.no_reporting:
        import reports

        log("Measuring reporting")
        reporting_text, reporting_rows = reports.run(log=log)

    flat = {}
    if "job_short_reported" in by_key and "job_big" in by_key:
        # Two reported jobs, so the same sections: the fewest entries and the most.
        a, b = by_key["job_short_reported"], by_key["job_big"]
        flat["job page"] = (a.queries == b.queries,
                            f"reported jobs: {a.queries} q at {subjects.job_short_reported_events} events, "
                            f"{b.queries} q at {subjects.job_big_events}")
    flat.update(fieldwork_flat)
    crew = {r.key: r for r in results if r.key.startswith("crew_")}
    if crew:
        # "To do" and a search page with a count; "all" pages by keyset without one.
        flat["crew queue"] = (crew["crew_queue"].queries == crew["crew_search"].queries,
                              ", ".join(f"{r.label}: {r.queries} q" for r in crew.values()))
    queue = [r for r in results if r.key.startswith("queue_cm")]
    if queue:
        flat["queue (casemanager)"] = (len({r.queries for r in queue}) == 1,
                                       ", ".join(f"{r.queries}" for r in queue) + " q, page 1 and deep pages")

    if "complaint_small" in by_key and "complaint_big" in by_key:
        a, b = by_key["complaint_small"], by_key["complaint_big"]
        flat["complaint page"] = (a.queries == b.queries,
                                  f"{a.queries} q just received, {b.queries} q at "
                                  f"{subjects.complaints['big_entries']} entries")
    # Unfiltered tabs reuse their tab's count; a filtered page counts its own: compare like with like.
    for name, keys in (("complaints queue tabs", ("complaints_new", "complaints_overdue")),
                       ("complaints queue filtered, page 1 and deep", ("complaints_closed", "complaints_deep"))):
        same_kind = [by_key[key] for key in keys if key in by_key]
        if len(same_kind) > 1:
            flat[name] = (len({r.queries for r in same_kind}) == 1,
                          ", ".join(f"{r.label}: {r.queries} q" for r in same_kind))

    load_results = []
    if not args.no_load:
        log("Load")
        cookie = measure.session_cookie("casemanager")
        pages = [(load.BASELINE_KEY, "bare Django view (baseline)", by_key["bare"].url, ""),
                 ("load_queue", "queue linked+water p1", by_key["queue_cm_p1"].url, "~110"),
                 ("load_job", f"job page, {subjects.job_small_events} events", by_key["job_small"].url, "~145"),
                 ("load_status", "status page (public, no login)", "/status/", "", "")]
        if subjects.feedback_path:
            pages.append(("load_feedback", "feedback page (public, no login)", subjects.feedback_path, "", ""))
        from django.db import connections

        connections.close_all()  # nothing of ours holds the database while gunicorn runs
        meta["load_average_load"] = wait_quiet(args.wait_quiet, args.quiet_load)
        load_results = load.run(pages, env=env, cookie=cookie, duration=args.duration,
                                connections=args.connections, workers=args.workers, results_dir=results_dir, log=log)
        for result in load_results:
            if result.key in ("load_status", "load_feedback"):
                result.target_rps = 300  # they face the public

    meta["load_average"] = (load_before, os.getloadavg()[0])
    text = report(args=args, meta=meta, seed_figures=seed_figures, results=results, load_results=load_results,
                  flat=flat)
    if reporting_text:
        text += "\n\n" + reporting_text

    explained = []
    if not args.no_explain:
        from django.db import connection

        seen = set()
        for r in sorted(results, key=lambda r: -r.slowest_sql_ms):
            if r.slowest_sql and r.slowest_sql not in seen and len(explained) < 6:
                seen.add(r.slowest_sql)
                explained.append((r.label, r.user, r.slowest_sql_ms, r.slowest_sql, measure.explain(r.slowest_sql)))
        connection.close()

    log("")
    log(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = results_dir / f"bench-{meta.get('enquiries')}-{stamp}"
    base.with_suffix(".txt").write_text(text + "\n")
    if explained:
        lines = []
        for label, user, ms, sql, plan in explained:
            lines += [f"### {label} ({user}): slowest query, {ms:.2f} ms when captured", sql, "", plan, ""]
        lines += ["", "### Every query of one request, per page (wall ms, start of the SQL)", ""]
        for r in results:
            lines.append(f"{r.label} ({r.user}): {r.queries} queries, {r.sql_ms:.2f} ms")
            lines += [f"  {ms:7.2f}  {sql[:160]}" for ms, sql in r.captured]
            lines.append("")
        base.with_name(base.name + "-explain.txt").write_text("\n".join(lines))
        log("")
        log(f"EXPLAIN ANALYZE of the slowest query of the {len(explained)} slowest pages: "
            f"{base.name}-explain.txt")
        for label, user, ms, _sql, plan in explained[:3]:
            top = plan.splitlines()
            log(f"  {label} ({user}), {ms:.2f} ms: {top[-1].strip() if top else ''}")
    base.with_suffix(".json").write_text(json.dumps({
        "meta": meta, "seed": seed_figures, "args": vars(args),
        "subjects": {k: (str(v) if not isinstance(v, dict) else
                         {n: list(t) if isinstance(t, tuple) else t for n, t in v.items()})
                     for k, v in subjects.__dict__.items()},
        "results": [r.as_dict() for r in results], "load": [r.as_dict() for r in load_results],
        "flat": flat, "reporting": reporting_rows,
    }, indent=2, default=str))
    log(f"Results saved: {base.with_suffix('.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
