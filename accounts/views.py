from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from common.outbox import outbox_failed_count

from . import permissions, throttles
from .decorators import role_required
from .forms import LoginForm, PasswordResetForm


@login_required
def home(request):
    url_name = permissions.home_url_name(request.user)
    if url_name:
        return redirect(url_name)
    return render(request, "accounts/no_role.html", status=403)


@role_required(permissions.is_admin)
def admin_home(request):
    return render(request, "accounts/admin_home.html", {"outbox_failed": outbox_failed_count()})


def _throttled(request, what: str):
    return render(request, "registration/throttled.html", {"what": what}, status=429)


class LoginView(auth_views.LoginView):
    """Django's login, with the username's length checked and failures throttled per address.

    axes locks one username from one address after a few failures; this throttle slows
    one address trying many usernames (a password spray), which axes alone never stops.
    """

    form_class = LoginForm

    def post(self, request, *args, **kwargs):
        if throttles.login_throttled(request):
            return _throttled(request, "Log-ins")
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttles.login_failure_count(self.request)
        return super().form_invalid(form)


def throttle_password_reset(view):
    """Per address: too many requests answer 429. Per e-mail: past the limit nothing is sent,
    and the answer is the usual "check your e-mail" page, so it tells nothing about the address."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            if throttles.password_reset_throttled_for_address(request):
                return _throttled(request, "Password resets")
            email = request.POST.get("email", "").strip()
            if email and throttles.password_reset_throttled_for_email(request, email):
                return redirect("password_reset_done")
        return view(request, *args, **kwargs)

    return wrapped


login = LoginView.as_view()
password_reset = throttle_password_reset(auth_views.PasswordResetView.as_view(form_class=PasswordResetForm))
