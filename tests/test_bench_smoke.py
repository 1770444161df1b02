"""The benchmark script runs end to end on a small database.

A script that prints figures and never runs in CI rots: merging three branches on 2026-11-28
left its complaints seed calling a business clock that had been renamed, and nothing failed
until the next 1M run. This runs the whole script (seed, in-process latency, stages 2-3,
reporting) at 5,000 enquiries (fewer leave some pages without a subject), in a database of
its own, with one request a page.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent


def _bench_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_benchsmoke"))


def test_the_benchmark_seeds_and_measures_every_page_on_a_small_database():
    import psycopg

    url = _bench_url()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    try:
        result = subprocess.run(
            [sys.executable, "bench/run.py", "--enquiries", "5000", "--requests", "1", "--warmup", "0",
             "--no-load", "--no-explain", "--wait-quiet", "0", "--database-url", url],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        for page in ("bare Django view", "queue linked+water p1", "triage (new tab)", "call-back queue",
                     "status page form (public)", "job page, ", "complaints queue (new tab)", "crew queue (to do)",
                     "letter PDF, 500 pages", "every measure, 15 council x service", "CSV export"):
            assert page in output, f"{page!r} was not measured:\n{output[-4000:]}"
        assert "Traceback" not in output
    finally:
        admin = urlsplit(url)._replace(path="/postgres")
        with psycopg.connect(urlunsplit(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
