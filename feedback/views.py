from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from accounts.client_address import client_ip
from accounts.decorators import role_required
from common.forms import add_service_errors
from common.pagination import keyset_page
from enquiries.enums import PersonalDataPage
from enquiries.services import personal_data_access_record, personal_data_access_record_rows
from jobs import services as job_services
from jobs.models import Job
from jobs.selectors import job_for_page, job_progress

from . import selectors, services, throttles, tokens
from .enums import CallBackOutcome, CallBackStatus
from .forms import FeedbackForm, RecordCallBackForm, StaffFeedbackForm, StatusLookupForm
from .models import CallBack, FeedbackRequest
from .scheduling import best_time_read

# Staff pages ---------------------------------------------------------------------------------


@role_required(permissions.may_view_callbacks)
@require_GET
def callback_queue(request):
    """The call-back queue: due now first (longest waiting at the top), overdue marked; 50 a page
    (keyset: the same cost on every page), with how many are due in all."""
    page = keyset_page(selectors.callback_queue(user=request.user), time_field="due_at", descending=False,
                       after=request.GET.get("after"), before=request.GET.get("before"))
    for row in page.rows:  # the caller sees the customer's words, and whether they were read as a time
        row.best_time_reading = best_time_read(row.best_time)
    # Each row shows a customer's name and phone: who saw them is logged (one INSERT for the page).
    personal_data_access_record_rows(user=request.user, page=PersonalDataPage.CALLBACK_QUEUE,
                                     shown=[(row.customer_id, row.enquiry_reference) for row in page.rows],
                                     client_ip=client_ip(request))
    return render(request, "feedback/callback_queue.html", {
        "callbacks": page.rows, "page": page, "upcoming": selectors.callback_upcoming_count(user=request.user),
    })


def _callback_or_404(user, pk: int) -> CallBack:
    try:
        return selectors.callback_for_page(user=user, pk=pk)
    except CallBack.DoesNotExist as exc:
        raise Http404("No such call-back") from exc


def _complaint_link(callback: CallBack, note: str) -> str:
    """'Log complaint', prefilled, when the complaints app offers it."""
    try:
        url = reverse("complaints:complaint-create")
    except NoReverseMatch:
        return ""
    from urllib.parse import urlencode

    # The job and the customer come filled in; what they said is the note on the call-back.
    query = {"job": callback.job.reference, "customer": callback.enquiry.customer_id, "description": note}
    return f"{url}?{urlencode(query)}"


@role_required(permissions.may_view_callbacks)
@require_http_methods(["GET", "POST"])
def callback_record(request, pk):
    """'Record call-back': the customer, what they reported, what was done, and the outcome."""
    callback = _callback_or_404(request.user, pk)
    if not permissions.may_record_callback(callback, request.user) or not permissions.may_view_job(
            request.user, callback.job):
        raise PermissionDenied
    form = RecordCallBackForm(request.POST or None, initial={"attempts": callback.attempts})
    if request.method == "POST" and callback.status == CallBackStatus.SCHEDULED and form.is_valid():
        try:
            recorded = services.callback_record(callback=callback, outcome=form.cleaned_data["outcome"],
                                                note=form.cleaned_data["note"], by=request.user,
                                                expected_attempts=form.cleaned_data["attempts"])
        except services.CallBackChanged as exc:
            messages.warning(request, "Someone recorded this call-back while you had it open: "
                                      f"it is now {exc.callback.get_status_display().lower()}.")
            return redirect("feedback:callback-record", pk=pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = recorded.callback
            if done.status == CallBackStatus.SCHEDULED:
                due = timezone.localtime(done.due_at)
                messages.success(request, f"No answer recorded; next attempt due {due:%d/%m/%Y %H:%M}.")
            else:
                messages.success(request, f"Call-back recorded: {recorded.attempt.get_outcome_display().lower()}.")
            if recorded.attempt.outcome == CallBackOutcome.NOT_SATISFIED:
                return redirect("feedback:callback-record", pk=pk)
            return redirect("feedback:callback-queue")
    callback = _callback_or_404(request.user, pk)
    personal_data_access_record(user=request.user, page=PersonalDataPage.CALLBACK_RECORD,
                                reference=callback.enquiry.reference, customers=[callback.enquiry.customer],
                                client_ip=client_ip(request))
    last = list(callback.attempt_rows.all())
    not_satisfied = bool(last) and last[-1].outcome == CallBackOutcome.NOT_SATISFIED
    context = {
        "callback": callback, "form": form, "attempts": last, "job": callback.job,
        "max_attempts": settings.CALLBACK_MAX_ATTEMPTS,
        "not_satisfied": not_satisfied,
        "may_reopen": not_satisfied and callback.job.status == "completed" and
        permissions.may_reopen_job(callback.job, request.user),
        "complaint_url": _complaint_link(callback, last[-1].note) if not_satisfied else "",
        "latest_update": selectors.latest_customer_update(job=callback.job),
        "best_time": best_time_read(callback.enquiry.callback_best_time),
    }
    return render(request, "feedback/callback_record.html", context, status=400 if form.errors else 200)


@role_required(permissions.may_view_callbacks)
@require_POST
def callback_reopen_job(request, pk):
    """One click after "reached and not satisfied": reopen the job with what the customer said."""
    callback = _callback_or_404(request.user, pk)
    last = callback.attempt_rows.order_by("-number").first()
    if last is None or last.outcome != CallBackOutcome.NOT_SATISFIED:
        messages.warning(request, "The customer was not recorded as unsatisfied on this call-back.")
        return redirect("feedback:callback-record", pk=pk)
    try:
        job_services.job_reopen(job=callback.job, by=request.user,
                                reason=f"Customer not satisfied on the call-back ({callback.enquiry.reference}): "
                                       f"{last.note}")
    except job_services.ActionNotAvailable as exc:
        messages.warning(request, str(exc))
        return redirect("feedback:callback-record", pk=pk)
    messages.success(request, f"{callback.job.reference} reopened.")
    return redirect("jobs:job-detail", reference=callback.job.reference)


@role_required(permissions.may_record_feedback)
@require_http_methods(["GET", "POST"])
def feedback_record(request, reference):
    """Feedback the customer gave by phone, typed in by staff on the job."""
    try:
        job = job_for_page(user=request.user, reference=reference)
    except Job.DoesNotExist as exc:
        raise Http404("No such job") from exc
    enquiries = selectors.job_enquiries_for_feedback(job=job)
    form = StaffFeedbackForm(request.POST or None, enquiries=enquiries)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_record_by_phone(job=job, enquiry=form.cleaned_data["enquiry"], answers=form.answers(),
                                              by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Feedback recorded.")
            return redirect("jobs:job-detail", reference=job.reference)
    return render(request, "feedback/feedback_record.html",
                  {"job": job, "form": form, "progress": job_progress(job=job)},
                  status=400 if form.errors else 200)


# Public pages: no login, no personal data, rate-limited ------------------------------------------

def _throttled(request):
    return render(request, "feedback/public/throttled.html", status=429)


REFUSED_STATUS = {tokens.UNKNOWN: 404, tokens.EXPIRED: 410, tokens.USED: 410}


def _give(request, check: tokens.LinkCheck, *, throttle_value: str):
    # Per link, submissions are counted, not page views: reading the form again costs the customer nothing.
    if throttles.address_limited(request, group="feedback-address") or (request.method == "POST" and
            throttles.value_limited(request, group="feedback-link", value=throttle_value,
                                    rate=settings.FEEDBACK_RATE_PER_LINK)):
        return _throttled(request)
    if check.state != tokens.VALID:
        return render(request, "feedback/public/link_refused.html", {"state": check.state},
                      status=REFUSED_STATUS[check.state])
    link = check.request  # a row of _requests()
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(request=FeedbackRequest(pk=link.pk), answers=form.answers())
        except services.FeedbackLinkRefused as exc:
            return render(request, "feedback/public/link_refused.html", {"state": exc.state},
                          status=REFUSED_STATUS[exc.state])
        return render(request, "feedback/public/thanks.html")
    return render(request, "feedback/public/feedback_form.html", {
        "reference": link.job__reference, "suburb": link.job__suburb__name, "form": form,
    }, status=400 if form.errors else 200)


def _requests():
    # Only what the page shows and checks: compiling and loading the whole request, job and suburb
    # cost more than half of the page's time. feedback_submit locks and reads the row again itself.
    return FeedbackRequest.objects.values_list("pk", "answered_at", "expires_at", "job__reference",
                                               "job__suburb__name", named=True)


@never_cache
@require_http_methods(["GET", "POST"])
def feedback_give(request, reference, token):
    """The e-mailed or texted link: signed, dated, single use."""
    check = tokens.check_link(reference=reference, token=token, queryset=_requests())
    return _give(request, check, throttle_value=token[:64])


@never_cache
@require_http_methods(["GET", "POST"])
def feedback_give_code(request, code):
    """The letter's short URL with its code."""
    check = tokens.check_code(code=code, queryset=_requests())
    return _give(request, check, throttle_value=tokens.normalise_code(code))


@never_cache
@require_http_methods(["GET", "POST"])
def status_page(request):
    """'Where is my job?': the reference and the last 4 phone digits (or the e-mail)."""
    if throttles.address_limited(request, group="status-address"):
        return _throttled(request)
    form = StatusLookupForm(request.POST or None)
    status = None
    not_found = False
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"].strip().upper()
        if throttles.address_limited(request, group="status-lookup", rate=settings.STATUS_LOOKUPS_PER_ADDRESS) or \
                throttles.status_lookup_waiting(request, reference):
            throttles.logger.warning("status lookup throttled: reference=%s address=%s", reference[:20],
                                     throttles.client_address(request))
            return _throttled(request)
        status = selectors.public_status(reference=reference, contact=form.cleaned_data["contact"])
        not_found = status is None
        if not_found:
            throttles.status_lookup_failed(request, reference)
        else:
            throttles.status_lookup_succeeded(request, reference)
        form = StatusLookupForm(initial={"reference": reference})  # the contact detail is never echoed
        throttles.logger.info("status lookup: reference=%s found=%s address=%s", reference[:20], not not_found,
                              throttles.client_address(request))
    return render(request, "feedback/public/status.html", {"form": form, "status": status, "not_found": not_found},
                  status=400 if form.errors else 200)


@role_required(permissions.may_record_feedback)
@require_GET
def feedback_letter(request, pk):
    """The printable feedback letter for a customer who prefers post: a short URL and a code."""
    try:
        request_obj = FeedbackRequest.objects.select_related("job", "customer").get(pk=pk)
    except FeedbackRequest.DoesNotExist as exc:
        raise Http404("No such request") from exc
    if not permissions.may_view_job(request.user, request_obj.job):
        raise Http404("No such request")
    personal_data_access_record(user=request.user, page=PersonalDataPage.FEEDBACK_LETTER,
                                reference=request_obj.job.reference, customers=[request_obj.customer],
                                client_ip=client_ip(request))
    return render(request, "feedback/letter.html", {
        "request_obj": request_obj, "short_url": services.feedback_short_link(request_obj),
        "site": settings.SITE_URL.rstrip("/"),
    })
