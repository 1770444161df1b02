"""Rate limits for the public pages: django-ratelimit counting in the Django cache (Redis in
production), the same mechanism as the login throttles. Every request counts, so a caller
cannot probe links or references faster than the rate whatever they send."""

from __future__ import annotations

import logging

from django.conf import settings
from django_ratelimit.core import _get_ip, is_ratelimited

logger = logging.getLogger("feedback.public")


def _address(request) -> str:
    """The client's address as django-ratelimit's "ip" key reads it (so the counts are the same),
    worked out once a request: the status look-up counts it under two limits and logs it."""
    try:
        return request._public_page_address
    except AttributeError:
        request._public_page_address = _get_ip(request)
        return request._public_page_address


def _address_key(_group, request) -> str:
    return _address(request)


def address_limited(request, *, group: str, rate: str | None = None) -> bool:
    return is_ratelimited(request, group=group, key=_address_key, rate=rate or settings.PUBLIC_PAGE_RATE_PER_ADDRESS,
                          method=is_ratelimited.ALL, increment=True)


def value_limited(request, *, group: str, value: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=lambda _group, _request: value, rate=rate,
                          method=is_ratelimited.ALL, increment=True)


def client_address(request) -> str:
    """The address the limits count (RATELIMIT_IP_META_KEY: the client behind our proxy), for the log."""
    try:
        return _address(request)
    except Exception:  # noqa: BLE001 - a log line must never fail the request
        return request.META.get("REMOTE_ADDR", "")


# The status look-up: failed guesses are limited per client and reference, with a back-off ----------
#
# A limit per reference alone lets a stranger lock the customer out of their own job's status by
# guessing wrong on purpose. So wrong guesses count per client address *and* reference: past
# STATUS_LOOKUPS_PER_REFERENCE, that client waits for that reference, twice as long each time it
# is refused again (up to a day). Other clients, the customer among them, are not held up. Wrong
# guesses at one reference from many addresses are logged as a warning, never a block.

BACKOFF_FIRST_SECONDS = 15 * 60
BACKOFF_LONGEST_SECONDS = 24 * 60 * 60
SPREAD_WARNING_AT = 20  # wrong guesses at one reference within the hour, from any address


def _pair(request, reference: str) -> str:
    return f"{_address(request)}|{reference}"


def status_lookup_waiting(request, reference: str) -> bool:
    """Is this client still waiting out a back-off for this reference?"""
    from django.core.cache import cache

    return bool(cache.get(f"status-wait:{_pair(request, reference)}"))


def status_lookup_failed(request, reference: str) -> None:
    """Count a wrong guess; past the limit, start (or double) this client's wait for this reference."""
    from django.core.cache import cache
    from django_ratelimit.core import get_usage

    pair = _pair(request, reference)
    usage = get_usage(request, group="status-reference", key=lambda _g, _r: pair,
                      rate=settings.STATUS_LOOKUPS_PER_REFERENCE, method=is_ratelimited.ALL, increment=True)
    if usage is not None and usage["count"] >= usage["limit"]:
        level = cache.get(f"status-level:{pair}", 0)
        wait = min(BACKOFF_FIRST_SECONDS * 2 ** level, BACKOFF_LONGEST_SECONDS)
        cache.set(f"status-wait:{pair}", 1, wait)
        cache.set(f"status-level:{pair}", level + 1, BACKOFF_LONGEST_SECONDS)
        logger.warning("status lookup back-off: reference=%s address=%s wait=%ss", reference[:20],
                       client_address(request), wait)
    spread = get_usage(request, group="status-reference-any", key=lambda _g, _r: reference, rate="1000/h",
                       method=is_ratelimited.ALL, increment=True)
    if spread is not None and spread["count"] == SPREAD_WARNING_AT:
        logger.warning("status lookup: %s wrong guesses at reference=%s within the hour, from several addresses",
                       SPREAD_WARNING_AT, reference[:20])


def status_lookup_succeeded(request, reference: str) -> None:
    """The right contact detail: this client's back-off for this reference starts again from nothing."""
    from django.core.cache import cache

    cache.delete(f"status-level:{_pair(request, reference)}")
