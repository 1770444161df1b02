from django.conf import settings

from .views import page_not_found


class ProjectNotFoundPageMiddleware:
    """With DEBUG on, a 404 still shows the project's own page (not Django's technical one),
    so a demo looks like production. Production (DEBUG off) uses handler404 as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (settings.DEBUG and response.status_code == 404 and not getattr(response, "project_page", False)
                and response.get("Content-Type", "").startswith("text/html")):
            return page_not_found(request)
        return response
