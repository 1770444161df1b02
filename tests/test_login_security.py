"""Logging in behind the proxy: lockouts per username and address, the spray throttle,
long usernames, password-reset throttles, idle sessions, and a cache that fails open."""

import socket
import threading
import time

import pytest
from axes.models import AccessAttempt
from django.test import Client

from accounts.client_address import client_ip, username_for_axes
from accounts.middleware import LAST_SEEN_KEY, STARTED_KEY
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"  # the TLS proxy in front of the app: every request arrives from it
ATTACKER = "198.51.100.7"
VICTIM = "203.0.113.9"


@pytest.fixture
def behind_one_proxy(settings):
    """As docker-compose.yml runs it: one reverse proxy, trusted by its address."""
    settings.TRUSTED_PROXIES = [PROXY]


def _from(address: str, *, forwarded_for: str | None = None) -> Client:
    """A browser at this address, seen through the proxy (which appends the address it saw)."""
    header = f"{forwarded_for}, {address}" if forwarded_for else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_settings_name_the_trusted_proxies_by_address(monkeypatch):
    import importlib

    import config.settings as settings_module

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.2,172.28.0.0/24")
    reloaded = importlib.reload(settings_module)
    try:
        assert reloaded.TRUSTED_PROXIES == ["10.0.0.2", "172.28.0.0/24"]
        assert reloaded.AXES_CLIENT_IP_CALLABLE == "accounts.client_address.client_ip"
        monkeypatch.delenv("TRUSTED_PROXIES")
        assert importlib.reload(settings_module).TRUSTED_PROXIES == []
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_client_address_is_the_one_the_proxy_saw_not_what_the_client_wrote(rf, behind_one_proxy):
    honest = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    spoofed = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}")
    garbage = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VICTIM}, not-an-address, {ATTACKER}")
    assert client_ip(honest) == ATTACKER
    assert client_ip(spoofed) == ATTACKER
    assert client_ip(garbage) == ATTACKER


def test_client_address_behind_two_of_our_proxies_skips_both(rf, settings):
    settings.TRUSTED_PROXIES = [PROXY, "172.28.0.0/24"]
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}, 172.28.0.9")
    assert client_ip(request) == ATTACKER


def test_client_address_from_anyone_but_a_trusted_proxy_ignores_forwarded_for(rf, behind_one_proxy):
    request = rf.get("/", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=VICTIM)
    assert client_ip(request) == ATTACKER


def test_rotating_forwarded_for_straight_to_the_app_does_not_escape_the_lockout(callcentre_user, settings,
                                                                                 behind_one_proxy):
    """30 wrong passwords, each with another X-Forwarded-For, sent past the proxy to the app itself."""
    answers = [
        _login(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), "callcentre", "wrong").status_code
        for n in range(30)
    ]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers == [200] * (limit - 1) + [429] * (30 - limit + 1)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_rotating_forwarded_for_through_the_proxy_does_not_escape_the_lockout(callcentre_user, settings,
                                                                               behind_one_proxy):
    answers = [_login(_from(ATTACKER, forwarded_for=f"192.0.2.{n}"), "callcentre", "wrong").status_code
               for n in range(30)]
    assert answers.count(429) == 30 - settings.AXES_FAILURE_LIMIT + 1


def test_lockout_by_another_address_does_not_lock_the_user_out(callcentre_user, settings, behind_one_proxy):
    attacker = _from(ATTACKER)
    answers = [_login(attacker, "callcentre", "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert _login(attacker, "callcentre", PASSWORD).status_code == 429
    # The attacker writing the victim's address in X-Forwarded-For changes nothing.
    assert _login(_from(ATTACKER, forwarded_for=VICTIM), "callcentre", PASSWORD).status_code == 429
    response = _login(_from(VICTIM), "callcentre", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_password_spray_from_one_address_is_throttled(settings, behind_one_proxy, council):
    settings.LOGIN_FAILURES_PER_ADDRESS = "20/15m"
    for n in range(10):
        UserFactory(username=f"user{n}", organisation=council, role_call_centre=True)
    sprayer = _from(ATTACKER)
    answers = [_login(sprayer, f"user{n}", password).status_code
               for password in ("Password1", "Winter2026", "Welcome1", "Kiwi1234") for n in range(10)]
    assert answers[:20] == [200] * 20  # under the limit: the usual "wrong password"
    assert answers[20:] == [429] * 20
    throttled = _login(sprayer, "user0", PASSWORD)
    assert throttled.status_code == 429
    assert b"Too many attempts from your network" in throttled.content
    # No single username reached axes' limit, so the throttle, not a lockout, stopped it;
    # and someone at another address logs in as usual.
    assert _login(_from(VICTIM), "user0", PASSWORD).status_code == 302


def test_successful_logins_from_one_address_are_not_throttled(settings, behind_one_proxy, council):
    settings.LOGIN_FAILURES_PER_ADDRESS = "3/15m"
    office = _from(VICTIM)  # a council office behind one address, everyone logging in at 8 am
    for n in range(6):
        UserFactory(username=f"staff{n}", organisation=council, role_call_centre=True)
        assert _login(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VICTIM), f"staff{n}", PASSWORD).status_code == 302
    assert _login(office, "staff0", PASSWORD).status_code == 302


def test_a_256_character_username_is_a_form_error_not_a_500(client, callcentre_user):
    response = _login(client, "a" * 256, "whatever")
    assert response.status_code == 200
    assert b"A username has at most 150 characters" in response.content
    assert not AccessAttempt.objects.filter(username__startswith="aaaa").exists()


def test_axes_records_at_most_255_characters_of_a_username(rf):
    request = rf.post("/accounts/login/", {"username": "b" * 400})
    assert username_for_axes(request) == "b" * 255
    assert username_for_axes(request, {"username": "c" * 300}) == "c" * 255


def _resets_for(user) -> int:
    """Reset e-mails queued for this user (the outbox delivers them after the request)."""
    from common.models import OutboxMessage

    return OutboxMessage.objects.filter(recipient=user.email, subject__icontains="password").count()


def test_password_resets_are_throttled_per_address(settings, behind_one_proxy, callcentre_user):
    settings.PASSWORD_RESETS_PER_ADDRESS = "5/h"
    client = _from(ATTACKER)
    answers = [client.post("/accounts/password_reset/", {"email": f"someone{n}@example.org"}).status_code
               for n in range(8)]
    assert answers == [302] * 5 + [429] * 3
    assert b"Too many attempts from your network" in client.post(
        "/accounts/password_reset/", {"email": callcentre_user.email}).content
    assert _resets_for(callcentre_user) == 0  # none of those belongs to a user, and the last one was refused
    assert _from(VICTIM).post("/accounts/password_reset/", {"email": callcentre_user.email}).status_code == 302
    assert _resets_for(callcentre_user) == 1


def test_password_resets_for_one_email_stop_sending_quietly(settings, behind_one_proxy, callcentre_user,
                                                            monkeypatch):
    import datetime as dt
    import itertools

    from django.contrib.auth.tokens import default_token_generator

    settings.PASSWORD_RESETS_PER_EMAIL = "3/h"
    # A new link each time (the outbox sends one e-mail per link, and a link changes each second).
    seconds = itertools.count()
    start = dt.datetime.now()
    monkeypatch.setattr(default_token_generator, "_now", lambda: start + dt.timedelta(seconds=next(seconds)))
    for n in range(6):  # from six different addresses, so the per-address limit is not what stops it
        response = _from(f"198.51.100.{20 + n}").post("/accounts/password_reset/",
                                                      {"email": callcentre_user.email.upper()})
        assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert _resets_for(callcentre_user) == 3


# Idle sessions -------------------------------------------------------------------------

def _age_session(client, *, idle_minutes: float = 0, started_hours: float = 0):
    session = client.session
    now = int(time.time())
    session[LAST_SEEN_KEY] = now - int(idle_minutes * 60)
    session[STARTED_KEY] = now - int(started_hours * 3600)
    session.save()


def test_a_session_idle_past_the_limit_is_logged_out(client_for, casemanager_user, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client = client_for(casemanager_user)
    _age_session(client, idle_minutes=31)
    response = client.get("/jobs/triage/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=/jobs/triage/")
    assert b"logged out after 30 minutes without activity" in response.content
    assert client.get("/jobs/triage/").status_code == 302  # the session is gone, not just this request


def test_a_session_used_within_the_limit_carries_on(client_for, casemanager_user, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client = client_for(casemanager_user)
    _age_session(client, idle_minutes=29, started_hours=9)
    assert client.get("/jobs/triage/").status_code == 200
    assert time.time() - client.session[LAST_SEEN_KEY] < 5  # the idle clock restarted


def test_a_session_ends_after_the_absolute_limit_however_busy(client_for, casemanager_user, settings):
    client = client_for(casemanager_user)
    _age_session(client, idle_minutes=1, started_hours=10.1)
    response = client.get("/jobs/triage/", follow=True)
    assert b"Your login has ended after a working day" in response.content


def test_an_idle_htmx_request_sends_the_browser_to_log_in(client_for, callcentre_user, settings):
    client = client_for(callcentre_user)
    _age_session(client, idle_minutes=45)
    response = client.get("/enquiries/customers/search/", {"customer_query": "Ar"}, HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == "/accounts/login/"


# The throttles' cache fails open ----------------------------------------------------------

@pytest.fixture
def hung_redis():
    """A server that accepts connections and never answers, like a Redis stopped with SIGSTOP."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("redis_state", ["hung", "refused"])
def test_logins_go_on_when_the_throttle_cache_is_down(client, settings, callcentre_user, hung_redis, redis_state):
    from common.cache import FailOpenRedisCache

    FailOpenRedisCache._down_until = 0.0
    location = hung_redis if redis_state == "hung" else f"redis://127.0.0.1:{_free_port()}/0"
    settings.CACHES = {"default": {
        "BACKEND": "common.cache.FailOpenRedisCache", "LOCATION": location,
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }}
    try:
        started = time.monotonic()
        assert _login(client, "callcentre", "wrong").status_code == 200
        response = _login(client, "callcentre", PASSWORD)
        elapsed = time.monotonic() - started
        assert response.status_code == 302
        assert elapsed < 2.0, f"two logins took {elapsed:.1f} s with the cache {redis_state}"
    finally:
        FailOpenRedisCache._down_until = 0.0
