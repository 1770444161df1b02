"""Throttles on logging in and password resets, counted per client address (and per e-mail).

django-ratelimit counts in the cache (Redis when REDIS_URL is set); the lockout of one
username from one address stays with django-axes. A cache that is down lets requests
through (RATELIMIT_FAIL_OPEN) rather than lock everyone out.
"""

from __future__ import annotations

from django.conf import settings
from django_ratelimit.core import get_usage, is_ratelimited

LOGIN_FAILURES = "login-failures-by-address"
RESETS_BY_ADDRESS = "password-resets-by-address"
RESETS_BY_EMAIL = "password-resets-by-email"


def login_throttled(request) -> bool:
    """True when this address has failed too many logins lately, whichever usernames it tried."""
    usage = get_usage(request, group=LOGIN_FAILURES, key="ip", rate=settings.LOGIN_FAILURES_PER_ADDRESS,
                      method=get_usage.ALL, increment=False)
    # Asked before counting: the limit-th failure is the last one let through.
    return usage is not None and usage["count"] >= usage["limit"]


def login_failure_count(request) -> None:
    is_ratelimited(request, group=LOGIN_FAILURES, key="ip", rate=settings.LOGIN_FAILURES_PER_ADDRESS,
                   method=is_ratelimited.ALL, increment=True)


def password_reset_throttled_for_address(request) -> bool:
    """Counts this request; True once the address has asked too often."""
    return is_ratelimited(request, group=RESETS_BY_ADDRESS, key="ip", rate=settings.PASSWORD_RESETS_PER_ADDRESS,
                          method=is_ratelimited.ALL, increment=True)


def password_reset_throttled_for_email(request, email: str) -> bool:
    """Counts this request; True once resets for this e-mail address were asked too often."""
    normalised = email.strip().lower()
    return is_ratelimited(request, group=RESETS_BY_EMAIL, key=lambda _group, _request: normalised,
                          rate=settings.PASSWORD_RESETS_PER_EMAIL, method=is_ratelimited.ALL, increment=True)
