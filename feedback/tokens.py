"""Feedback links: a random code per request, signed and dated inside the e-mailed link.

The link is ``/feedback/<job reference>/<code>:<timestamp>:<signature>/``. The signature
covers the code and the time it was signed, with the job's reference in the salt, so a
link copied onto another job's address fails like a forged one. The code alone (ten
characters from an alphabet without look-alikes, about 50 bits) is the letter's short URL
``/f/<code>/``; both ways are rate-limited per address and per code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
SALT = "feedback.link:"

UNKNOWN, EXPIRED, USED, VALID = "unknown", "expired", "used", "valid"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:CODE_LENGTH + 2]


def _signer(reference: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT + reference)


def link_token(*, reference: str, code: str) -> str:
    return _signer(reference).sign(code)


@dataclass(frozen=True)
class LinkCheck:
    state: str
    request: object = None  # whatever the queryset yields: a FeedbackRequest or a row of its values


def _state_of(request) -> LinkCheck:
    if request is None:
        return LinkCheck(UNKNOWN)
    if request.answered_at is not None:
        return LinkCheck(USED, request)
    if request.expires_at <= timezone.now():
        return LinkCheck(EXPIRED, request)
    return LinkCheck(VALID, request)


def _only_row(queryset):
    """The one row a code names (codes are unique): no ordering to compile or sort."""
    return next(iter(queryset.order_by()[:1]), None)


def check_link(*, reference: str, token: str, queryset) -> LinkCheck:
    """What a signed link points at; forged, another job's and unknown links are all UNKNOWN."""
    try:
        code = _signer(reference).unsign(token, max_age=timedelta(days=settings.FEEDBACK_LINK_DAYS))
    except signing.SignatureExpired:
        return LinkCheck(EXPIRED)
    except signing.BadSignature:
        return LinkCheck(UNKNOWN)
    return _state_of(_only_row(queryset.filter(code=code, job__reference=reference)))


def check_code(*, code: str, queryset) -> LinkCheck:
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return LinkCheck(UNKNOWN)
    return _state_of(_only_row(queryset.filter(code=code)))
