"""One cleaning step for every query string and form before any view sees it."""

import logging

from django.conf import settings
from django.shortcuts import render

logger = logging.getLogger(__name__)

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_value(items, max_length: int) -> str | None:
    for key, values in items:
        if "\x00" in key:
            return "A parameter name contains a NUL character."
        for value in values:
            if not isinstance(value, str):
                continue  # an uploaded file, checked by its form
            if "\x00" in value:
                return f"The value of {key[:40]!r} contains a NUL character."
            if len(value) > max_length:
                return f"The value of {key[:40]!r} is longer than {max_length:,} characters."
    return None


class RejectHostileInputMiddleware:
    """400 for a NUL in the path, a query or a form, or a value longer than any field takes.

    PostgreSQL refuses NUL in text, so such a value would otherwise be a 500 wherever it
    reached a query; no field of ours takes more than a few thousand characters.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self.problem(request)
        if problem:
            logger.info("refused %s %s: %s", request.method, request.path_info.replace("\x00", "\\x00")[:200],
                        problem)
            return render(request, "400.html", {"message": problem}, status=400)
        return self.get_response(request)

    @staticmethod
    def problem(request) -> str | None:
        if "\x00" in request.path_info:
            return "The address contains a NUL character."
        problem = _bad_value(request.GET.lists(), settings.MAX_QUERY_VALUE_LENGTH)
        if problem is None and request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            problem = _bad_value(request.POST.lists(), settings.MAX_FORM_VALUE_LENGTH)
        return problem


class NoStoreWhenSignedInMiddleware:
    """Nothing a signed-in user is shown is kept by a browser or a proxy cache: pages, photos,
    letters and exports carry personal data, and a shared computer's back button or disk cache
    must not give them to the next person. Static files (served by whitenoise before this runs)
    keep their long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
