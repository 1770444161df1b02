from django.contrib import admin
from django.core.exceptions import PermissionDenied


class SiteAdmin(admin.AdminSite):
    """The Django admin, for the admin role. Other logged-in users get a 403, not a login form."""

    site_header = "Customer Journey administration"
    site_title = "Customer Journey admin"
    index_title = "Reference data, people and schedules"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner
        for attribute in ("csrf_exempt", "login_required"):
            if hasattr(inner, attribute):
                setattr(guarded, attribute, getattr(inner, attribute))
        return guarded
