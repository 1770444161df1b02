"""Sessions end after SESSION_IDLE_TIMEOUT_MINUTES without a request, and after SESSION_COOKIE_AGE in any case."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

STARTED_KEY = "session_started_at"
LAST_SEEN_KEY = "session_last_seen_at"
# The last-seen time is written at most this often, so a busy user does not cost a session
# write on every request; the idle limit is therefore exact to within this many seconds.
TOUCH_EVERY_SECONDS = 60


def session_times_start(sender, request, user, **kwargs):
    """On login (user_logged_in): the absolute and the idle clock both start now, in the same save."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[LAST_SEEN_KEY] = now


class IdleSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.get(STARTED_KEY)
            last_seen = session.get(LAST_SEEN_KEY)
            idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            if last_seen is not None and now - last_seen > idle_limit:
                return self._end(request, f"You were logged out after {settings.SESSION_IDLE_TIMEOUT_MINUTES} "
                                          "minutes without activity. Log in again to carry on.")
            if started is not None and now - started > settings.SESSION_COOKIE_AGE:
                return self._end(request, "Your login has ended after a working day. Log in again to carry on.")
            if started is None:
                session[STARTED_KEY] = now
            if last_seen is None or now - last_seen >= TOUCH_EVERY_SECONDS:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _end(request, message: str):
        path = request.get_full_path()
        logout(request)
        messages.info(request, message)
        if request.headers.get("HX-Request") == "true":
            # An htmx fragment must not swap a login page into the form: the browser goes there.
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        return redirect_to_login(path)
