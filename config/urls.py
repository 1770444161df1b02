from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

from . import views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("bench/bare", views.bench_bare, name="bench-bare"),
    # Before Django's own: the same names, with the throttles in front; the reset e-mail goes
    # through the outbox, not out of the request.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/password_reset/", account_views.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("accounts.urls")),
    path("enquiries/", include("enquiries.urls")),
    path("jobs/", include("jobs.urls")),
    path("complaints/", include("complaints.urls")),
    path("reporting/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
