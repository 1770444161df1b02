"""The client's own address, read once the same way for the lockout and for the throttles.

django-axes resolves it with django-ipware from the settings (how many proxies are in front,
which header they write); the throttles ask axes, so the two can never disagree.
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address

from .forms import USERNAME_MAX_LENGTH

UNKNOWN_ADDRESS = "0.0.0.0"


def client_ip(request) -> str:
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or UNKNOWN_ADDRESS


def username_for_axes(request, credentials=None) -> str | None:
    """The username axes records: as typed, cut to its 255-character column."""
    if credentials and "username" in credentials:
        username = credentials.get("username")
    else:
        username = request.POST.get("username") if request is not None else None
    if username is None:
        return None
    return str(username)[:USERNAME_MAX_LENGTH]
