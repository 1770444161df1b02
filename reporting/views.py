from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import permissions
from accounts.decorators import role_required

from .selectors import dashboard_figures


@role_required(permissions.is_analyst)
@require_GET
def dashboard(request):
    return render(request, "reporting/dashboard.html", {"figures": dashboard_figures(user=request.user)})
