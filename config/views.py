import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


# Checks run in threads so the answer comes within HEALTH_DEADLINE_SECONDS whatever hangs
# (a frozen Redis accepts the connection and never answers). At most a few threads: a
# check still stuck from an earlier call makes later ones wait for a thread and time out.
HEALTH_DEADLINE_SECONDS = 1.5
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        logger.warning("healthz: database check failed: %s", exc)
        return "error"
    finally:
        connection.close()  # this thread's own connection; the pool thread may never run again
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            # The broker timeouts in settings bound each socket operation; PING proves the
            # server answers, not just that the kernel accepted the connection.
            conn.ensure_connection(max_retries=0, timeout=HEALTH_DEADLINE_SECONDS)
            client = getattr(conn.default_channel, "client", None)
            if client is not None:
                client.ping()
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", exc)
        return "error"
    return "ok"


def _statuses() -> dict[str, str]:
    started = time.monotonic()
    futures = {"database": _checks.submit(_database_status), "broker": _checks.submit(_broker_status)}
    status = {}
    for name, future in futures.items():
        try:
            status[name] = future.result(timeout=max(0.0, HEALTH_DEADLINE_SECONDS - (time.monotonic() - started)))
        except FutureTimeout:
            logger.warning("healthz: %s check gave no answer within %.1f s", name, HEALTH_DEADLINE_SECONDS)
            status[name] = "error"
    return status


@never_cache
@require_GET
def healthz(request):
    """For load balancers and compose health checks: no login, no details beyond up or down.

    Answers within about 1.5 s whatever is hung: 503 when a check fails or does not answer.
    """
    status = _statuses()
    healthy = status["database"] == "ok" and status["broker"] in ("ok", "not configured")
    status["status"] = "ok" if healthy else "error"
    return JsonResponse(status, status=200 if healthy else 503)


def bad_request(request, exception=None):
    return render(request, "400.html", {"message": str(exception or "")}, status=400)


def bench_bare(request):
    """The benchmark's baseline: the whole middleware stack and nothing else (no database,
    no template), so page figures can be read as multiples of what this machine does with
    an empty view. Answers 404 unless the BENCH setting is on (bench/run.py turns it on)."""
    if not settings.BENCH:
        raise Http404
    return HttpResponse(b"ok", content_type="text/plain")


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    response = render(request, "404.html", status=404)
    response.project_page = True
    return response


def server_error(request):
    # No context processors here: whatever broke must not break the error page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
