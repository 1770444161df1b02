from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from common.outbox import outbox_failed_count

from . import permissions
from .decorators import role_required


@login_required
def home(request):
    url_name = permissions.home_url_name(request.user)
    if url_name:
        return redirect(url_name)
    return render(request, "accounts/no_role.html", status=403)


@role_required(permissions.is_admin)
def admin_home(request):
    return render(request, "accounts/admin_home.html", {"outbox_failed": outbox_failed_count()})
