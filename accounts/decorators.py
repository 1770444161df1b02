from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.http import url_has_allowed_host_and_scheme


def role_required(predicate: Callable[..., bool]):
    """Login first (anonymous users go to the login page), then 403 unless the predicate holds."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _to_login(request):
    """To the login page, and back here afterwards. A form sent after the session ended goes back to
    the page it was sent from, as ``?draft=restore``: the browser kept what was typed
    (static/js/site.js) and puts it back."""
    path = request.get_full_path()
    if request.method == "POST" and not request.headers.get("HX-Request"):
        referer = request.headers.get("Referer", "")
        if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                       require_https=request.is_secure()):
            path = urlunsplit(urlsplit(referer)._replace(scheme="", netloc=""))
        parts = urlsplit(path)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "draft"]
        path = urlunsplit(parts._replace(query=urlencode(query + [("draft", "restore")])))
    return redirect_to_login(path)
