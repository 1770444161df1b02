import json

import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_ok_and_broker_not_configured_in_embedded_mode(client):
    with override_settings(REDIS_URL=""):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "broker": "not configured", "status": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client):
    from config.celery import app

    # Port 1 on loopback: nothing listens, the connection is refused at once.
    previous = app.conf.broker_url
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        app.conf.broker_url = "redis://127.0.0.1:1/0"
        try:
            response = client.get("/healthz")
        finally:
            app.conf.broker_url = previous
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["broker"] == "error" and body["database"] == "ok" and body["status"] == "error"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from config import views

    monkeypatch.setattr(views, "_database_status", lambda: "error")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "error"


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_reports_the_broker_ok_when_redis_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "broker": "ok", "status": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_within_2s_when_a_check_hangs(client, monkeypatch):
    import time

    from config import views

    monkeypatch.setattr(views, "_database_status", lambda: time.sleep(5) or "ok")
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 2.0
    assert response.status_code == 503 and json.loads(response.content)["database"] == "error"
