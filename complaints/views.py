import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import has_transition_perm

from accounts import permissions
from accounts.client_address import client_ip
from accounts.decorators import role_required
from common.forms import add_service_errors
from common.pagination import COUNT_LIMIT, keyset_page
from enquiries.enums import PersonalDataPage
from enquiries.models import Customer
from enquiries.selectors import customer_search, customers_visible_to, enquiries_visible_to
from enquiries.services import personal_data_access_record
from jobs.selectors import jobs_visible_to

from . import selectors, services
from .filters import ComplaintFilter
from .forms import (
    ActionDoneForm,
    AgreeForm,
    CloseForm,
    ComplaintLogForm,
    ContactForm,
    CustomerSearchForm,
    EscalateForm,
    ReopenForm,
    ResolveForm,
    UnderstandForm,
    WithdrawForm,
)
from .models import Complaint, ComplaintAction

REFERENCE = re.compile(r"[A-Z]{3}-\d{4}-\d{6}")


def _reference(value) -> str:
    """A reference from a URL or query string, or "" for anything that cannot be one (NUL bytes and all)."""
    value = (value or "").strip().upper()
    return value if REFERENCE.fullmatch(value) else ""


def _complaint_or_404(user, reference: str) -> Complaint:
    if not _reference(reference):
        raise Http404("No such complaint")
    try:
        return selectors.complaint_for_page(user=user, reference=reference)
    except Complaint.DoesNotExist as exc:
        raise Http404("No such complaint") from exc


@role_required(permissions.may_view_complaints)
@require_GET
def complaint_list(request):
    """The complaints queue: tabs with counts, filters, keyset paging."""
    tab = request.GET.get("tab", "new")
    if tab not in dict(selectors.QUEUE_TABS):
        tab = "new"
    counts = selectors.complaint_counts(user=request.user)
    complaint_filter = ComplaintFilter(request.GET or None, user=request.user,
                                       queryset=selectors.complaint_queue(user=request.user, tab=tab))
    queryset = complaint_filter.qs if complaint_filter.is_bound and complaint_filter.is_valid() \
        else complaint_filter.queryset
    # Unfiltered, the page's count is its tab's, counted already.
    filtered = complaint_filter.is_bound and complaint_filter.is_valid() and any(
        value not in (None, "") for value in complaint_filter.form.cleaned_data.values())
    paging = {"after": request.GET.get("after"), "before": request.GET.get("before"),
              "shape": selectors.complaint_rows, "with_count": filtered}
    if tab in selectors.DUE_ORDERED_TABS:
        page = keyset_page(queryset, time_field="next_due_at", descending=False, **paging)
    else:
        page = keyset_page(queryset, time_field="received_at", **paging)
    if not filtered:
        page.count, page.count_is_bounded = counts[tab]
    context = {
        "tab": tab,
        "tabs": [(key, label, *counts[key]) for key, label in selectors.QUEUE_TABS],
        "count_limit": COUNT_LIMIT,
        "filter": complaint_filter,
        "page": page,
        "can_log": permissions.may_log_complaint(request.user),
    }
    return render(request, "complaints/complaint_list.html", context)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@role_required(permissions.may_log_complaint)
@require_http_methods(["GET", "POST"])
def complaint_create(request):
    """'Log complaint' from a job page (?job=), an enquiry page (?enquiry=), or for a customer (?customer=)."""
    user = request.user
    job = enquiry = None
    customers = Customer.objects.none()
    if request.GET.get("job"):
        job = jobs_visible_to(user=user).filter(reference=_reference(request.GET["job"])).select_related(
            "council").first()
        if job is None or not permissions.council_in_scope(user, job.council_id):
            raise Http404("No such job")
        customers = customers_visible_to(user=user).filter(council_id=job.council_id)
        if request.GET.get("customer"):  # a customer found by search for a job with none of its own
            customers = customers.filter(pk=_int(request.GET["customer"]))
        else:
            customers = customers.filter(enquiries__job=job).distinct().order_by("name")
        if not customers.exists():
            return _find_customer(request, job=job, note=f"{job.reference} has no customer on it yet: "
                                                         "find the customer who is complaining.")
    elif request.GET.get("enquiry"):
        enquiry = enquiries_visible_to(user=user).filter(reference=_reference(request.GET["enquiry"])).select_related(
            "job").first()
        if enquiry is None:
            raise Http404("No such enquiry")
        customers = customers_visible_to(user=user).filter(pk=enquiry.customer_id)
    elif request.GET.get("customer"):
        customers = customers_visible_to(user=user).filter(pk=_int(request.GET["customer"]))
        if not customers.exists():
            raise Http404("No such customer")
    else:
        return _find_customer(request)

    service = job.service if job else (enquiry.service if enquiry else None)
    form = ComplaintLogForm(request.POST or None, customers=customers, service=service)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_log(
                by=user, customer=data["customer"], category=data["category"], description=data["description"],
                channel=data["channel"], received_at=data.get("received_at"),
                backdate_reason=data.get("backdate_reason", ""), job=job, enquiry=enquiry,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Complaint {complaint.reference} logged. Read the reference back to the "
                                      "customer.", extra_tags="reference")
            return redirect("complaints:complaint-detail", reference=complaint.reference)
    context = {"form": form, "job": job, "enquiry": enquiry, "customer": customers.first()
               if customers.count() == 1 else None}
    return render(request, "complaints/complaint_form.html", context, status=400 if form.errors else 200)


def _find_customer(request, *, job=None, note: str = ""):
    """Step one of "Log complaint" without a job or enquiry: find the customer."""
    search = CustomerSearchForm(request.GET if "q" in request.GET else None)
    found = customer_search(user=request.user, council_id=job.council_id if job else None,
                            query=search.cleaned_data["q"]) if search.is_valid() else []
    # The results show names and phones, as the enquiry form's customer lookup does: logged the same way.
    personal_data_access_record(user=request.user, page=PersonalDataPage.CUSTOMER_LOOKUP,
                                reference=job.reference if job else "complaint", customers=found,
                                client_ip=client_ip(request))
    return render(request, "complaints/complaint_customer.html",
                  {"search": search, "found": found, "searched": search.is_bound, "job": job, "note": note})


@role_required(permissions.may_view_complaints)
@require_GET
def complaint_detail(request, reference):
    complaint = _complaint_or_404(request.user, reference)
    # Only the roles that contact customers see a complaint, whole: each view is logged.
    personal_data_access_record(user=request.user, page=PersonalDataPage.COMPLAINT_DETAIL,
                                reference=complaint.reference, customer_ids=[complaint.customer_id],
                                client_ip=client_ip(request))
    record = selectors.complaint_record(complaint=complaint)
    next_steps = record.next_steps
    open_steps = sum(1 for step in next_steps if not step.is_done)
    runs_it = permissions.may_run_complaint(complaint, request.user)
    for step in next_steps:  # a case manager, or the step's own owner, ticks it
        step.may_tick = complaint.is_open and (runs_it or step.owner_id == request.user.pk)
    context = {
        "complaint": complaint,
        "state_line": selectors.complaint_state_line(complaint=complaint),
        "next_steps": next_steps,
        "open_steps": open_steps,
        "contacts": record.contacts,
        "timeline": record.timeline,
        "actions": selectors.complaint_actions(complaint=complaint, user=request.user, open_action_count=open_steps),
        "job_visible": complaint.job_id is not None and permissions.may_view_job(request.user, complaint.job),
        "failed_messages": selectors.complaint_failed_messages(complaint=complaint) if runs_it else [],
    }
    return render(request, "complaints/complaint_detail.html", context)


@role_required(permissions.is_case_manager)
@require_POST
def complaint_message_retry(request, reference, message_id):
    """"Retry" on an e-mail about this complaint that failed for good (an escalation never received)."""
    from common.outbox import outbox_for, outbox_retry_told

    complaint = _complaint_or_404(request.user, reference)
    if not permissions.may_run_complaint(complaint, request.user):
        raise PermissionDenied
    outbox_retry_told(request, messages_about=outbox_for(complaint), message_id=message_id)
    return redirect("complaints:complaint-detail", reference=complaint.reference)


def _changed_message(complaint: Complaint) -> str:
    who = f" by {complaint.updated_by}" if complaint.updated_by else ""
    return (f"{complaint.reference} was changed{who} while you were working on it; it is now "
            f"{complaint.get_status_display().lower()}"
            f"{' at ' + complaint.get_level_display().lower() if complaint.level else ''}. Nothing of yours was "
            f"saved: check your entries below against the complaint as it is now and submit again.")


def _step(request, reference, *, form_class, service, transition, success):
    """A form for one step of a complaint, with the concurrency story handled once (as for jobs).

    Out of scope: 404. In scope but not this user's step: 403. Not available in this state:
    back to the complaint with a message. Changed meanwhile: nothing saved, who changed it
    named, the user's input shown again against the fresh complaint.
    """
    complaint = _complaint_or_404(request.user, reference)
    complaint._open_action_count = selectors.open_action_count(complaint=complaint)
    if not services.role_allows(complaint, transition, request.user):
        raise PermissionDenied
    if not has_transition_perm(getattr(complaint, transition), request.user):
        if request.method == "GET":
            messages.warning(request, services._not_available(complaint, transition))
            return redirect("complaints:complaint-detail", reference=complaint.reference)
    if request.method == "POST":
        form = form_class(request.POST, complaint=complaint)
        if form.is_valid():
            try:
                service(complaint=complaint, by=request.user, expected_version=form.cleaned_data["version"],
                        **form.service_kwargs())
            except services.ComplaintChanged as exc:
                complaint = exc.complaint
                messages.warning(request, _changed_message(complaint))
                data = request.POST.copy()
                data["version"] = complaint.version
                form = form_class(data, complaint=complaint)
                form.is_valid()
            except services.ActionNotAvailable as exc:
                messages.warning(request, str(exc))
                complaint.refresh_from_db()
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, success)
                return redirect("complaints:complaint-detail", reference=complaint.reference)
    else:
        form = form_class(complaint=complaint, initial={"version": complaint.version})
    context = {"complaint": complaint, "form": form, "title": form.submit_label,
               "state_line": selectors.complaint_state_line(complaint=complaint)}
    return render(request, "complaints/complaint_step.html", context, status=400 if form.errors else 200)


def _step_view(form_class, service, transition, success):
    @role_required(permissions.may_view_complaints)
    @require_http_methods(["GET", "POST"])
    def view(request, reference):
        return _step(request, reference, form_class=form_class, service=service, transition=transition,
                     success=success)

    view.__name__ = f"complaint_{transition}"
    return view


complaint_understand = _step_view(UnderstandForm, services.complaint_understand, "understand",
                                  "Cause recorded: the complaint is understood.")
complaint_contact = _step_view(ContactForm, services.complaint_record_contact, "record_contact",
                               "Discussion with the customer logged.")
complaint_agree = _step_view(AgreeForm, services.complaint_agree_next_step, "agree_next_step",
                             "Next step agreed.")
complaint_escalate = _step_view(EscalateForm, services.complaint_escalate, "escalate",
                                "Complaint escalated; the new owner has been told.")
complaint_resolve = _step_view(ResolveForm, services.complaint_resolve, "resolve", "Complaint resolved.")
complaint_close = _step_view(CloseForm, services.complaint_close, "close", "Complaint closed.")
complaint_withdraw = _step_view(WithdrawForm, services.complaint_withdraw, "withdraw",
                                "Withdrawal recorded.")
complaint_reopen = _step_view(ReopenForm, services.complaint_reopen, "reopen", "Complaint reopened.")


@role_required(permissions.may_view_complaints)
@require_POST
def action_done(request, reference, pk):
    """Tick a next step done, or not done after all."""
    complaint = _complaint_or_404(request.user, reference)
    action = ComplaintAction.objects.filter(pk=pk if pk < 2**63 else 0, complaint=complaint).first()
    if action is None:
        raise Http404("No such next step")
    action.complaint = complaint
    if not (permissions.may_run_complaint(complaint, request.user) or action.owner_id == request.user.pk):
        raise PermissionDenied  # neither running the complaint nor the step's owner: before reading the form
    form = ActionDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That did not work: reload the complaint and try again.")
        return redirect("complaints:complaint-detail", reference=reference)
    try:
        services.complaint_action_set_done(action=action, done=form.cleaned_data["done"], by=request.user,
                                           expected_version=form.cleaned_data["version"])
    except services.ComplaintChanged as exc:
        messages.warning(request, _changed_message(exc.complaint).replace(
            "check your entries below against the complaint as it is now and submit again",
            "check the next steps below and tick again"))
    except services.ActionNotAvailable as exc:
        messages.warning(request, str(exc))
    else:
        done = "done" if form.cleaned_data["done"] else "not done"
        messages.success(request, f"Next step marked {done}.")
    return redirect("complaints:complaint-detail", reference=reference)
