"""The client's own address, read once the same way for the lockout, the throttles and the logs.

A forwarded header is believed only from a proxy we run, named by address in
``TRUSTED_PROXIES`` (addresses or networks), never because of a count of hops: a request that
reaches the app from anywhere else is that address, whatever it wrote in ``X-Forwarded-For``.
From a trusted proxy the header is read from the right, past our own proxies, to the first
address none of them is: the one the outermost proxy saw. Entries further left are the
client's own writing and are ignored. django-axes asks this function too
(``AXES_CLIENT_IP_CALLABLE``), so the lockout and the throttles can never disagree.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

from .forms import USERNAME_MAX_LENGTH

UNKNOWN_ADDRESS = "0.0.0.0"


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip())


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address) -> bool:
    return address is not None and any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    if not _is_trusted(_address(remote)):
        return remote or UNKNOWN_ADDRESS
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            break  # not an address: nothing to its left can be believed either
        if not _is_trusted(address):
            return str(address)
    return remote


def username_for_axes(request, credentials=None) -> str | None:
    """The username axes records: as typed, cut to its 255-character column."""
    if credentials and "username" in credentials:
        username = credentials.get("username")
    else:
        username = request.POST.get("username") if request is not None else None
    if username is None:
        return None
    return str(username)[:USERNAME_MAX_LENGTH]
