import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        logger.warning("healthz: database check failed: %s", exc)
        return "error"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", exc)
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """For load balancers and compose health checks: no login, no details beyond up or down."""
    status = {"database": _database_status(), "broker": _broker_status()}
    healthy = status["database"] == "ok" and status["broker"] in ("ok", "not configured")
    status["status"] = "ok" if healthy else "error"
    return JsonResponse(status, status=200 if healthy else 503)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    response = render(request, "404.html", status=404)
    response.project_page = True
    return response


def server_error(request):
    # No context processors here: whatever broke must not break the error page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
