"""Requests per second under concurrent load: gunicorn (sync workers) driven by wrk.

The load goes to 127.0.0.1 only, for a fixed time per page, and gunicorn is always
stopped at the end (its whole process group), also on errors and Ctrl-C.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
BASELINE_KEY = "load_bare"


@dataclass
class LoadResult:
    key: str
    label: str
    url: str
    rps: float = float("nan")
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    requests: int = 0
    errors: int = 0
    tool: str = ""
    target_rps: float | None = 100
    prototype: str = ""

    @property
    def ok(self) -> bool | None:
        if self.target_rps is None:  # the baseline has no target
            return None
        return self.errors == 0 and self.rps >= self.target_rps

    def as_dict(self) -> dict:
        return {**self.__dict__, "ok": self.ok}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def collectstatic(env: dict, log=print) -> bool:
    """manage.py collectstatic --noinput with the production (manifest) storage."""
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    plain = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    if plain.returncode == 0:
        log(f"  collectstatic: {time.perf_counter() - started:.1f}s")
        return False
    raise RuntimeError(f"collectstatic fails with DEBUG=false:\n{plain.stderr}")


class Gunicorn:
    """gunicorn config.wsgi -w N -b 127.0.0.1:PORT, in its own process group."""

    def __init__(self, env: dict, *, workers: int, port: int, log_path: Path):
        self.env, self.workers, self.port, self.log_path = env, workers, port, log_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        gunicorn = VENV_BIN / "gunicorn"
        command = [str(gunicorn) if gunicorn.exists() else "gunicorn", "config.wsgi", "-w", str(self.workers),
                   "-b", f"127.0.0.1:{self.port}", "--timeout", "60"]
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(command, cwd=PROJECT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _body, _headers = get(self.port, "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {self.log_path}")

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self._close_log()
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the master and its workers, started by us
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self._close_log()

    def _close_log(self):
        log = getattr(self, "_log", None)
        if log and not log.closed:
            log.close()


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def run_wrk(port: int, path: str, cookie: str, *, duration: int, connections: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
               "-H", f"Cookie: sessionid={cookie}", f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    figures = {"raw": out}
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    figures["rps"] = float(match.group(1)) if match else float("nan")
    match = re.search(r"(\d+) requests in", out)
    figures["requests"] = int(match.group(1)) if match else 0
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        figures[f"p{pct}"] = _ms(match.group(1)) if match else float("nan")
    errors = 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(match.group(1)) if match else 0
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if match:
        errors += sum(int(g) for g in match.groups())
    figures["errors"] = errors
    return figures


def run_python_load(port: int, path: str, cookie: str, *, duration: int, connections: int) -> dict:
    """Fallback when wrk is missing: threads with keep-alive connections, for a fixed time."""
    deadline = time.monotonic() + duration
    latencies, errors, lock = [], [0], threading.Lock()

    def worker():
        conn = None
        mine, bad = [], 0
        while time.monotonic() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                started = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
                response = conn.getresponse()
                response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                bad += 1
                conn = None
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 30)
    elapsed = time.monotonic() - started
    latencies.sort()
    from measure import percentile

    return {"rps": len(latencies) / elapsed, "requests": len(latencies), "errors": errors[0],
            "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "raw": ""}


def run(pages: list[tuple[str, str, str, str]], *, env: dict, cookie: str, duration: int, connections: int,
        workers: int, results_dir: Path, log=print) -> list[LoadResult]:
    """pages: (key, label, path, prototype). Returns one LoadResult a page. A page whose key
    is BASELINE_KEY (the bare view) gets no target."""
    port = free_port()
    use_wrk = shutil.which("wrk") is not None
    results = []
    log(f"  gunicorn -w {workers} on 127.0.0.1:{port}; load with "
        f"{'wrk' if use_wrk else 'the Python load generator (wrk not found)'}, {connections} connections, "
        f"{duration}s a page")
    with Gunicorn(env, workers=workers, port=port, log_path=results_dir / "gunicorn.log"):
        for key, label, path, proto in pages:
            status, body, headers = get(port, path, cookie)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} (location {headers.get('Location')}) with the "
                                   "session cookie: the load would measure the wrong page")
            result = LoadResult(key=key, label=label, url=path, prototype=proto,
                                tool="wrk" if use_wrk else "python",
                                target_rps=None if key == BASELINE_KEY else 100)
            if use_wrk:
                run_wrk(port, path, cookie, duration=3, connections=connections, threads=2)  # warm both workers
                figures = run_wrk(port, path, cookie, duration=duration, connections=connections, threads=2)
            else:
                run_python_load(port, path, cookie, duration=3, connections=connections)
                figures = run_python_load(port, path, cookie, duration=duration, connections=connections)
            result.rps, result.requests, result.errors = figures["rps"], figures["requests"], figures["errors"]
            result.p50_ms, result.p99_ms = figures["p50"], figures["p99"]
            results.append(result)
            log(f"  {label:<34} {result.rps:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  "
                f"{result.requests} requests, {result.errors} errors")
    return results
