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
