from django.urls import reverse

from . import permissions

# (label, url name, who may see it). Built from the permission predicates, so a link
# is shown exactly when the page behind it would let the user in.
NAVIGATION = (
    ("Log enquiry", "enquiries:enquiry-create", permissions.may_log_enquiry),
    ("Enquiries", "enquiries:enquiry-list", permissions.may_view_enquiries),
    ("Triage", "jobs:triage", permissions.is_case_manager),
    ("Complaints", "complaints:complaint-list", permissions.may_view_complaints),
    ("Call-backs", "feedback:callback-queue", permissions.may_view_callbacks),
    ("Our jobs", "jobs:crew-queue", permissions.is_crew),
    ("Dashboard", "reporting:dashboard", permissions.is_analyst),
    ("Reports", "reporting:report-list", permissions.may_view_reports),
    ("Access log", "enquiries:access-log", permissions.may_view_access_log),
    ("Admin", "admin:index", permissions.is_admin),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    items = [{"label": label, "url": reverse(url_name)} for label, url_name, allowed in NAVIGATION if allowed(user)]
    # The most specific link that contains this page is the current one; a role's home page
    # (which lives under /enquiries/ for the call-centre) is none of them.
    home = permissions.home_url_name(user)
    if home and path == reverse(home) and not any(item["url"] == path for item in items):
        current = None
    else:
        current = max((item for item in items if path.startswith(item["url"])), key=lambda i: len(i["url"]),
                      default=None)
    for item in items:
        item["active"] = item is current
    return {"nav_items": items}
