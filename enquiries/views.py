from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_fsm import has_transition_perm

from accounts import permissions
from accounts.client_address import client_ip
from accounts.decorators import role_required
from accounts.selectors import suburbs_for_council
from common import extensions
from common.forms import add_service_errors
from common.pagination import keyset_page
from common.submissions import AlreadySubmitted, submission_previous, submission_token_new, submitted_once
from jobs.enums import OPEN_STATUSES
from jobs.selectors import jobs_visible_to, link_overdue_warning
from jobs.services import JobChanged, enquiry_link_to_job

from . import access_log as access_logs
from . import selectors, services
from .enums import EnquiryStatus, PersonalDataPage
from .filters import EnquiryFilter
from .forms import NZ_LATITUDE, NZ_LONGITUDE, EnquiryForm, LinkToJobForm, ResolveForm
from .models import Enquiry, IssueType
from .privacy import customer_contact


def _enquiry_or_404(user, reference: str) -> Enquiry:
    try:
        return selectors.enquiry_for_page(user=user, reference=reference)
    except Enquiry.DoesNotExist as exc:
        raise Http404("No such enquiry") from exc


@role_required(permissions.may_log_enquiry)
def home(request):
    """Call-centre home: log the next call; today's enquiries; call-backs still wanted."""
    mine = selectors.enquiry_rows(selectors.enquiry_list(user=request.user).filter(logged_by=request.user))[:10]
    callbacks = selectors.enquiry_rows(selectors.enquiry_list(user=request.user).filter(
        callback_requested=True, status__in=[EnquiryStatus.NEW, EnquiryStatus.LINKED]
    ))[:10]
    return render(request, "enquiries/home.html", {"mine": mine, "callbacks": callbacks})


@role_required(permissions.may_view_enquiries)
@require_GET
def enquiry_list(request):
    enquiry_filter = EnquiryFilter(request.GET or None, queryset=selectors.enquiry_list(user=request.user),
                                   user=request.user)
    queryset = enquiry_filter.qs if enquiry_filter.is_bound and enquiry_filter.is_valid() else enquiry_filter.queryset
    page = keyset_page(queryset, time_field="received_at", after=request.GET.get("after"),
                       before=request.GET.get("before"), shape=selectors.enquiry_rows)
    context = {
        "filter": enquiry_filter,
        "page": page,
        "can_create_job": permissions.may_triage(request.user),
        "can_log": permissions.may_log_enquiry(request.user),
        # "Create job" from ticked rows is a create form: one token per showing of the list.
        "submission_token": submission_token_new(user=request.user) if permissions.may_triage(request.user) else "",
        "selected": {int(pk) for pk in request.GET.getlist("selected") if pk.isascii() and pk.isdigit()},
    }
    template = "enquiries/_enquiry_table.html" if request.htmx and request.htmx.target == "enquiry-results" \
        else "enquiries/enquiry_list.html"
    return render(request, template, context)


@role_required(permissions.may_log_enquiry)
@require_http_methods(["GET", "POST"])
def enquiry_create(request):
    form = EnquiryForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        link_job = None
        if data.get("link_job"):
            link_job = jobs_visible_to(user=request.user).filter(
                reference=data["link_job"], status__in=OPEN_STATUSES
            ).first()
            if link_job is None:
                form.add_error(None, f"{data['link_job']} is no longer open; choose again or log without linking.")
        if not form.errors:
            try:
                with submitted_once(token=form.submission_token, user=request.user) as submission:
                    enquiry = _log_enquiry(request, form, link_job)
                    submission.record(url=reverse("enquiries:enquiry-detail", args=[enquiry.reference]),
                                      label=enquiry.reference)
            except AlreadySubmitted as repeat:
                messages.info(request, repeat.message)
                return redirect(repeat.url)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except JobChanged:
                form.add_error(None, f"{data['link_job']} changed while you were logging; choose again.")
            else:
                linked = f" and linked to {enquiry.job.reference}" if enquiry.job_id else ""
                messages.success(request, f"Enquiry {enquiry.reference} logged{linked}. Read the reference "
                                          "back to the caller.", extra_tags="reference")
                return redirect("enquiries:enquiry-detail", reference=enquiry.reference)
    return render(request, "enquiries/enquiry_form.html", {"form": form}, status=400 if form.errors else 200)


def _log_enquiry(request, form: EnquiryForm, link_job):
    data = form.cleaned_data
    return services.enquiry_log(
        by=request.user,
        council=data["council"],
        existing_customer=data.get("customer"),
        customer_details=form.customer_details(),
        street_address=data["street_address"],
        suburb=data["suburb"],
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        asset_id=data.get("asset_id", ""),
        service=data["service"],
        issue_type=data["issue_type"],
        description=data["description"],
        callback_requested=data.get("callback_requested", False),
        callback_best_time=data.get("callback_best_time", ""),
        channel=data["channel"],
        received_at=data.get("received_at"),
        backdate_reason=data.get("backdate_reason", ""),
        link_job=link_job,
    )


@role_required(permissions.may_view_enquiries)
@require_GET
def enquiry_detail(request, reference):
    enquiry = _enquiry_or_404(request.user, reference)
    history = selectors.enquiry_history(enquiry=enquiry)
    user = request.user
    contact = customer_contact(user=user, record=enquiry, customer=enquiry.customer)
    if contact and not contact.masked:
        services.personal_data_access_record(user=user, customers=[enquiry.customer],
                                             page=PersonalDataPage.ENQUIRY_DETAIL, reference=enquiry.reference,
                                             client_ip=client_ip(request))
    can_create_job = enquiry.status == EnquiryStatus.NEW and permissions.may_triage(user)
    context = {
        "enquiry": enquiry,
        "contact": contact,
        "history": history,
        "can_resolve": has_transition_perm(enquiry.resolve_at_first_contact, user),
        "can_link": has_transition_perm(enquiry.link_to_job, user) and permissions.may_triage(user),
        "can_create_job": can_create_job,
        # "Create job" is a create form: one token per showing of the page (common.submissions).
        "submission_token": submission_token_new(user=user) if can_create_job else "",
        "job_visible": enquiry.job_id is not None and permissions.may_view_jobs(user),
        # Higher apps (complaints) add their links and sections without enquiries importing them.
        "extras": extensions.collect("enquiry_page", enquiry=enquiry, user=user),
    }
    return render(request, "enquiries/enquiry_detail.html", context)


@role_required(permissions.may_view_enquiries)
@require_http_methods(["GET", "POST"])
def enquiry_resolve(request, reference):
    enquiry = _enquiry_or_404(request.user, reference)
    if not has_transition_perm(enquiry.resolve_at_first_contact, request.user):
        if enquiry.status != EnquiryStatus.NEW:
            messages.warning(request, f"{enquiry.reference} is already {enquiry.get_status_display().lower()}.")
            return redirect("enquiries:enquiry-detail", reference=reference)
        raise PermissionDenied
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enquiry_resolve_at_first_contact(enquiry=enquiry, outcome=form.cleaned_data["outcome"],
                                                      by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{enquiry.reference} resolved at first contact.")
            return redirect("enquiries:enquiry-detail", reference=reference)
    return render(request, "enquiries/enquiry_resolve.html", {"enquiry": enquiry, "form": form},
                  status=400 if form.errors else 200)


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def enquiry_link(request, reference):
    """'Link to job' for a case manager: nearby open jobs offered, or any job by reference."""
    enquiry = _enquiry_or_404(request.user, reference)
    if request.method == "POST":
        earlier = submission_previous(token=request.POST.get("submission_token", ""), user=request.user)
        if earlier is not None:  # a second click on a link already made: say so rather than "already linked"
            messages.info(request, AlreadySubmitted(earlier).message)
            return redirect(earlier.result_url)
    if enquiry.status != EnquiryStatus.NEW:
        messages.warning(request, f"{enquiry.reference} is already {enquiry.get_status_display().lower()}.")
        return redirect("enquiries:enquiry-detail", reference=reference)
    form = LinkToJobForm(request.POST or None, submitter=request.user)
    overdue_confirm = ""
    if request.method == "POST" and form.is_valid():
        job = jobs_visible_to(user=request.user).select_related("priority").filter(
            reference=form.cleaned_data["job_reference"]).first()
        warning = job and link_overdue_warning(job=job, received_at=enquiry.received_at)
        if job is None:
            form.add_error("job_reference", "No job with that reference.")
        elif warning and not request.POST.get("confirm_overdue"):
            form.add_error("job_reference", f"{warning} Link again to go ahead.")
            overdue_confirm = job.reference
        else:
            try:
                with submitted_once(token=form.submission_token, user=request.user) as submission:
                    enquiry_link_to_job(enquiry=enquiry, job=job, by=request.user)
                    submission.record(url=reverse("jobs:job-detail", args=[job.reference]),
                                      label=f"{enquiry.reference} linked to {job.reference}")
            except AlreadySubmitted as repeat:
                messages.info(request, repeat.message)
                return redirect(repeat.url)
            except ValidationError as exc:
                form.add_error("job_reference", exc)
            except JobChanged:
                form.add_error("job_reference", f"{job.reference} changed just now; try again.")
            else:
                messages.success(request, f"{enquiry.reference} linked to {job.reference}.")
                return redirect("jobs:job-detail", reference=job.reference)
    candidates = selectors.duplicate_candidates(
        user=request.user, council_id=enquiry.council_id, service=enquiry.service,
        street_address=enquiry.street_address, latitude=enquiry.latitude, longitude=enquiry.longitude,
        radius_m=enquiry.issue_type.duplicate_radius_m,
    )
    for candidate in candidates:
        candidate.overdue_warning = link_overdue_warning(job=candidate.job, received_at=enquiry.received_at)
    return render(request, "enquiries/enquiry_link.html",
                  {"enquiry": enquiry, "form": form, "candidates": candidates, "overdue_confirm": overdue_confirm,
                   "window_days": settings.ENQUIRY_DUPLICATE_WINDOW_DAYS},
                  status=400 if form.errors else 200)


# htmx partials for the Log enquiry form ------------------------------------------------

@role_required(permissions.may_log_enquiry)
@require_GET
def customer_search(request):
    council_id = _int(request.GET.get("council"))
    query = _text(request.GET.get("customer_query"))
    customers = selectors.customer_search(user=request.user, council_id=council_id, query=query)
    # Only call-centre staff reach this page, and only their councils' customers come back.
    services.personal_data_access_record(user=request.user, customers=customers,
                                         page=PersonalDataPage.CUSTOMER_LOOKUP, client_ip=client_ip(request))
    return render(request, "enquiries/_customer_results.html", {"customers": customers, "query": query})


@role_required(permissions.may_log_enquiry)
@require_GET
def customer_pick(request, pk):
    customer = selectors.customers_visible_to(user=request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404("No such customer")
    form = EnquiryForm(user=request.user, initial={
        "customer": customer.pk,
        "customer_name": customer.name,
        "customer_phone": customer.phone,
        "customer_email": customer.email,
        "customer_postal_address": customer.postal_address,
        "preferred_channel": customer.preferred_channel,
    })
    services.personal_data_access_record(user=request.user, customers=[customer],
                                         page=PersonalDataPage.CUSTOMER_PICK, client_ip=client_ip(request))
    recent = selectors.enquiry_rows(selectors.enquiry_list(user=request.user).filter(customer=customer))[:5]
    return render(request, "enquiries/_customer_fields.html",
                  {"form": form, "customer": customer, "recent": recent})


@role_required(permissions.may_log_enquiry)
@require_GET
def duplicate_candidates(request):
    council_id = _int(request.GET.get("council"))
    issue_type = IssueType.objects.filter(pk=_int(request.GET.get("issue_type"))).first()
    # Until the issue type is picked, jobs of every service nearby are shown.
    service = issue_type.service if issue_type else request.GET.get("service", "")
    street_address = _text(request.GET.get("street_address"))
    latitude = _decimal(request.GET.get("latitude"), NZ_LATITUDE)
    longitude = _decimal(request.GET.get("longitude"), NZ_LONGITUDE)
    searched = bool(council_id and (street_address.strip() or latitude is not None))
    found = selectors.DuplicateSearch([], [])
    if searched and permissions.council_in_scope(request.user, council_id):
        found = selectors.duplicate_search(
            user=request.user, council_id=council_id, service=service or None,
            street_address=street_address, latitude=latitude, longitude=longitude,
            radius_m=issue_type.duplicate_radius_m if issue_type else 200,
        )
    received_at = _received_at(request.GET.get("received_at"))
    for candidate in found.candidates:
        candidate.overdue_warning = link_overdue_warning(job=candidate.job, received_at=received_at)
    return render(request, "enquiries/_duplicates.html", {
        "candidates": found.candidates, "fixed": found.recently_fixed, "chosen": request.GET.get("link_job", ""),
        "searched": searched, "window_days": settings.ENQUIRY_DUPLICATE_WINDOW_DAYS,
    })


@role_required(permissions.may_log_enquiry)
@require_GET
def suburb_options(request):
    council_id = _int(request.GET.get("council"))
    if council_id and not permissions.council_in_scope(request.user, council_id):
        raise Http404("No such council")
    return render(request, "enquiries/_suburb_options.html",
                  {"suburbs": suburbs_for_council(council_id=council_id)})


def _received_at(value):
    """The received time typed in the form (local, 'YYYY-MM-DDTHH:MM'), or None."""
    from datetime import datetime

    from django.utils import timezone

    try:
        return timezone.make_aware(datetime.strptime((value or "")[:16], "%Y-%m-%dT%H:%M"))
    except ValueError:
        return None


def _text(value) -> str:
    """Free text from a query string, without the NUL characters PostgreSQL refuses."""
    return (value or "").replace("\x00", "")[:200]


def _int(value) -> int | None:
    """A primary key from a query string, or None for anything that cannot be one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _decimal(value, bounds: tuple[float, float]):
    """A coordinate from a query string, or None for anything outside New Zealand's box."""
    try:
        number = Decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    return number if number.is_finite() and bounds[0] <= number <= bounds[1] else None


@role_required(permissions.may_view_access_log)
@require_GET
def access_log(request):
    """Who saw which customer's details, newest first (Privacy Act 2020): for the privacy
    officer, filtered by customer and by the staff member; 50 a page, the same cost on every page."""
    customer, viewer = request.GET.get("customer", "")[:120], request.GET.get("viewer", "")[:150]
    rows = access_logs.access_log_search(user=request.user, customer=customer, viewer=viewer)
    page = keyset_page(rows, time_field="at", after=request.GET.get("after"), before=request.GET.get("before"),
                       shape=access_logs.access_log_rows)
    return render(request, "enquiries/access_log.html", {
        "rows": page.rows, "page": page, "customer": customer, "viewer": viewer,
        "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
    })
