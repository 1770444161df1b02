#!/usr/bin/env python
"""Profile one or more benchmark pages with cProfile, on the seeded benchmark database.

    .venv/bin/python bench/profile_page.py queue_cm_p1 job_small --requests 20
    .venv/bin/python bench/profile_page.py --list

Uses the same production-like settings, subjects and clients as bench/run.py (run that first,
with a seed). Prints, per page, its mean time with and without the profiler and the functions
that cost the most (own time and cumulative), so the next optimisation is chosen by figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from run import DEFAULT_URL, app_env  # noqa: E402


def print_queries(key: str, spec: dict, probe, *, full: bool = False) -> None:
    """Each query of one request, with its wall time, slowest first marked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        probe.call()
    print(f"\n== {key}: {spec['url']}: {len(captured)} queries, "
          f"{sum(float(q['time']) for q in captured) * 1000:.2f} ms")
    for query in captured:
        sql = query["sql"] if full else query["sql"][:600]
        print(f"{float(query['time']) * 1000:7.2f} ms  {sql}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", help="page keys as bench/measure.py names them")
    parser.add_argument("--list", action="store_true", help="list the page keys and stop")
    parser.add_argument("--requests", type=int, default=20, help="profiled requests a page (20)")
    parser.add_argument("--top", type=int, default=25, help="functions to print a page (25)")
    parser.add_argument("--sql", action="store_true", help="print each query of one request with its time instead")
    parser.add_argument("--full-sql", action="store_true", help="with --sql: the whole of each query")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    os.environ.update(app_env(args.database_url, "profile-" + "x" * 50))

    import django

    django.setup()
    import measure

    subjects = measure.find_subjects(deep_rows=500_000, deep_page=1000, log=lambda *_: None)
    specs = {spec["key"]: spec for spec in measure.page_specs(subjects, deep_page=1000)}
    if args.list or not args.pages:
        print("\n".join(f"{key:<24} {spec['url']}" for key, spec in specs.items()))
        return 0
    for key in args.pages:
        spec = specs[key]
        probe = measure.page_probe(measure._client_for(spec["user"]), spec)
        for _ in range(5):
            probe.call()
        if args.sql:
            print_queries(key, spec, probe, full=args.full_sql)
            continue
        started = time.perf_counter()
        for _ in range(args.requests):
            probe.call()
        plain_ms = (time.perf_counter() - started) * 1000 / args.requests
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            probe.call()
        profiler.disable()
        profiled_ms = (time.perf_counter() - started) * 1000 / args.requests
        print(f"\n== {key}: {spec['url']}\n   mean {plain_ms:.1f} ms a request ({profiled_ms:.1f} ms profiled)")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
