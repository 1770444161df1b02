from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import can_proceed, has_transition_perm

from accounts import permissions
from accounts.client_address import client_ip
from accounts.decorators import role_required
from common import extensions
from common.forms import add_service_errors
from common.pagination import keyset_page
from common.submissions import AlreadySubmitted, submission_previous, submission_token_new, submitted_once
from enquiries.enums import EnquiryStatus, PersonalDataPage
from enquiries.privacy import customer_contact
from enquiries.selectors import enquiries_visible_to, enquiry_list, enquiry_rows, enquiry_search
from enquiries.services import personal_data_access_record

from . import corrections, selectors, services
from .forms import (
    AllocateForm,
    CancelForm,
    CategoriseForm,
    ChangeServiceForm,
    CloseForm,
    CreateJobForm,
    DispatchForm,
    ExcludeForm,
    FoundJobForm,
    IncludeForm,
    LocationForm,
    MergeForm,
    NoteForm,
    ReopenForm,
    UnlinkForm,
    UnmergeForm,
)
from .models import Job

TRIAGE_SORTS = {
    "due": (F("next_due_at").asc(nulls_last=True), "id"),
    "-due": (F("next_due_at").desc(nulls_last=True), "-id"),
    "oldest": ("notified_at", "id"),
    "newest": ("-notified_at", "-id"),
}


def _job_or_404(user, reference: str) -> Job:
    try:
        return selectors.job_for_page(user=user, reference=reference)
    except Job.DoesNotExist as exc:
        raise Http404("No such job") from exc


def _may_note(user) -> bool:
    return permissions.is_case_manager(user) or permissions.is_crew(user)


def _dispatch_instructions(timeline) -> str:
    """The latest dispatch's note, for the top of the page (the crew reads it first)."""
    dispatch = selectors._transition_title("dispatch")
    for entry in reversed(timeline):
        if entry.kind == "transition" and entry.title == dispatch:
            return entry.text
    return ""


def _detail_context(request, job: Job, note_form: NoteForm) -> dict:
    enquiries = [(enquiry, customer_contact(user=request.user, record=job, customer=enquiry.customer))
                 for enquiry in selectors.job_enquiries(job=job)]
    shown = [enquiry.customer for enquiry, contact in enquiries if contact and not contact.masked]
    site_contact = next((contact for enquiry, contact in enquiries if enquiry.customer_id == job.site_contact_id),
                        None)
    if shown:
        personal_data_access_record(user=request.user, customers=shown, page=PersonalDataPage.JOB_DETAIL,
                                    reference=job.reference, client_ip=client_ip(request))
    own_timeline = selectors.job_timeline(job=job, user=request.user)
    # Higher apps (complaints) add badges, links and timeline entries without jobs importing them.
    extras = extensions.collect("job_page", job=job, user=request.user)
    return {
        "job": job,
        "progress": selectors.job_progress(job=job),
        "enquiries": enquiries,
        "contacts_masked": any(contact and contact.masked for _enquiry, contact in enquiries),
        "site_contact_name": site_contact.name if site_contact else "",
        "show_access_notes": permissions.may_view_access_notes(request.user, job),
        "user_is_crew": permissions.is_crew(request.user),
        "timeline": sorted(own_timeline + extras.timeline, key=lambda entry: entry.at),
        "instructions": _dispatch_instructions(own_timeline) if job.contractor_id else "",
        "extras": extras,
        "actions": selectors.job_actions(job=job, user=request.user),
        "close_check": selectors.job_close_check(job=job, user=request.user),
        "corrections": selectors.job_corrections(job=job, user=request.user, enquiry_count=len(enquiries)),
        "facts": selectors.job_facts(job=job),
        "fieldwork": selectors.job_fieldwork(job=job, user=request.user),
        "can_note": _may_note(request.user),
        "note_form": note_form,
        "show_enquiry_links": permissions.may_view_enquiries(request.user),
        "failed_messages": selectors.job_failed_messages(job=job)
        if permissions.may_retry_job_messages(request.user, job) else [],
    }


@role_required(permissions.may_view_jobs)
@require_GET
def job_detail(request, reference):
    job = _job_or_404(request.user, reference)
    if permissions.is_crew(request.user):
        from .crew_views import crew_job_context

        return render(request, "jobs/crew_job.html", crew_job_context(request, job))
    return render(request, "jobs/job_detail.html", _detail_context(request, job, NoteForm(submitter=request.user)))


@role_required(permissions.is_case_manager)
@require_GET
def triage(request):
    """The case manager's queue: tabs with counts, each sortable by due time."""
    tab = request.GET.get("tab", "new")
    if tab not in dict(selectors.TRIAGE_TABS):
        tab = "new"
    counts = selectors.triage_counts(user=request.user)
    context = {"tab": tab, "tabs": [(key, label, counts[key]) for key, label in selectors.TRIAGE_TABS]}
    if tab == "new":
        context.update(_new_enquiries(request, counts["new"]))
        context["submission_token"] = submission_token_new(user=request.user)
    else:
        sort = request.GET.get("sort", "oldest" if tab == "triage" else "due")
        if sort not in TRIAGE_SORTS:
            sort = "due"
        jobs = selectors.triage_jobs(user=request.user, tab=tab).order_by(*TRIAGE_SORTS[sort])
        if tab == "updates" and sort == "due":
            jobs = jobs.order_by("owed_due_at", "id")
        paginator = Paginator(jobs if tab == "updates" else selectors.job_rows(jobs), 50)
        paginator.count = counts[tab]  # already counted for the tab, do not count twice
        context["jobs_page"] = paginator.get_page(request.GET.get("page"))
        context["sort"] = sort
    return render(request, "jobs/triage.html", context)


NEW_ENQUIRY_SORTS = {"oldest": "Oldest first", "newest": "Newest first", "urgent": "Most urgent first"}


def _new_enquiries(request, count: int) -> dict:
    """The New enquiries tab: oldest, newest or most urgent first, searchable, ticked rows kept."""
    sort = request.GET.get("sort", "oldest")
    if sort not in NEW_ENQUIRY_SORTS:
        sort = "oldest"
    query = request.GET.get("q", "").replace("\x00", "")[:100].strip()
    rows = enquiry_list(user=request.user).filter(status=EnquiryStatus.NEW)
    if query:
        rows = enquiry_search(rows, query)
    context = {"sort": sort, "sorts": NEW_ENQUIRY_SORTS, "q": query,
               "selected": {int(pk) for pk in request.GET.getlist("selected") if pk.isascii() and pk.isdigit()}}
    if sort == "urgent":
        # Urgent issue types first, each group oldest first; few rows, so plain pages do.
        paginator = Paginator(enquiry_rows(rows).order_by("-issue_type__is_urgent", "received_at", "id"), 50)
        if not query:
            paginator.count = count  # already counted for the tab
        context["rows_page"] = paginator.get_page(request.GET.get("page"))
        context["rows"] = context["rows_page"].object_list
    else:
        context["page"] = keyset_page(rows, time_field="received_at", descending=sort == "newest",
                                      after=request.GET.get("after"), before=request.GET.get("before"),
                                      with_count=False, shape=enquiry_rows)
        context["rows"] = context["page"].rows
    return context


@role_required(permissions.is_crew)
@require_GET
def crew_queue(request):
    """Most urgent first: overdue, then the next due; a search by reference or street."""
    show = request.GET.get("show", "active")
    search = request.GET.get("q", "")
    jobs = selectors.crew_jobs(user=request.user, active_only=show != "all", search=search)
    if show == "all":
        # Every job the contractor ever had: newest first, keyset paging, no count (years of jobs).
        page = keyset_page(jobs, time_field="notified_at", after=request.GET.get("after"),
                           before=request.GET.get("before"), per_page=30, with_count=False)
        return render(request, "jobs/crew_queue.html", {"keyset": page, "rows": page.rows, "show": show,
                                                        "q": search})
    page = Paginator(jobs.order_by(F("next_due_at").asc(nulls_last=True), "-id"), 30).get_page(
        request.GET.get("page"))
    return render(request, "jobs/crew_queue.html", {"jobs_page": page, "rows": page.object_list, "show": show,
                                                    "q": search})


@role_required(permissions.may_triage)
@require_POST
def job_create(request):
    """'Create job' from one or several ticked enquiries.

    When an open job nearby may already be the same fault, the user is asked first, with
    "Link to job" one click away; "Create a new job anyway" goes ahead. The one-time token
    of the triage form is carried through that question and claimed by whichever is done.
    """
    form = CreateJobForm(request.POST, enquiries_queryset=enquiries_visible_to(user=request.user),
                         submitter=request.user)
    back = request.POST.get("next") or ""
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("jobs:triage") + "?tab=new"
    if form.is_valid():
        earlier = submission_previous(token=form.submission_token, user=request.user)
        if earlier is not None:  # a second click: to the first one's result, not the question again
            messages.info(request, AlreadySubmitted(earlier).message)
            return redirect(earlier.result_url)
        enquiries = list(form.cleaned_data["enquiries"].select_related("issue_type"))
        link_to = request.POST.get("link_job", "")
        if link_to:
            return _link_ticked(request, enquiries, link_to, back, token=form.submission_token)
        if not request.POST.get("confirmed"):
            nearby = selectors.duplicates_for_enquiries(user=request.user, enquiries=enquiries)
            if nearby:
                return render(request, "jobs/job_create_check.html",
                              {"enquiries": enquiries, "candidates": nearby, "back": back,
                               "submission_token": form.submission_token})
        try:
            with submitted_once(token=form.submission_token, user=request.user) as submission:
                job = services.job_create_from_enquiries(enquiries=enquiries, by=request.user)
                submission.record(url=reverse("jobs:job-detail", args=[job.reference]), label=job.reference)
        except AlreadySubmitted as repeat:
            messages.info(request, repeat.message)
            return redirect(repeat.url)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Job {job.reference} created. Categorise it next.")
            return redirect("jobs:job-detail", reference=job.reference)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return _back_with_ticks(request, back)


def _back_with_ticks(request, back: str):
    # Back to the list with the same ticks, so the selection is not lost.
    selected = "&".join(f"selected={pk}" for pk in request.POST.getlist("enquiries") if pk.isascii() and pk.isdigit())
    joiner = "&" if "?" in back else "?"
    return HttpResponseRedirect(f"{back}{joiner}{selected}" if selected else back)


def _link_ticked(request, enquiries, reference: str, back: str, *, token: str):
    job = selectors.jobs_visible_to(user=request.user).filter(reference=reference).first()
    if job is None:
        messages.error(request, f"No job {reference}.")
        return _back_with_ticks(request, back)
    references = ", ".join(e.reference for e in enquiries)
    try:
        with submitted_once(token=token, user=request.user) as submission:
            services.enquiries_link_to_job(enquiries=enquiries, job=job, by=request.user)
            submission.record(url=reverse("jobs:job-detail", args=[job.reference]),
                              label=f"{references} linked to {job.reference}")
    except AlreadySubmitted as repeat:
        messages.info(request, repeat.message)
        return redirect(repeat.url)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.JobChanged:
        messages.error(request, f"{job.reference} changed just now; try again.")
    else:
        messages.success(request, f"{references} linked to {job.reference}.")
        return redirect("jobs:job-detail", reference=job.reference)
    return _back_with_ticks(request, back)


def _job_action(request, reference, *, form_class, service, success, template="jobs/job_action.html",
                title=None, transition=None, form_kwargs=None):
    """A form for one step on a job, with the whole concurrency story handled once.

    Out of scope: 404. In scope but not this user's action: 403. The job moved on
    while the form was open: nothing is saved, the user is told who changed what, and
    their input is shown again against the fresh job.
    """
    job = _job_or_404(request.user, reference)
    form_kwargs = form_kwargs or {}
    if transition is not None:
        method = getattr(job, transition)
        if not has_transition_perm(method, request.user):
            if can_proceed(method) or not services._permitted(getattr(Job, transition), job, request.user):
                raise PermissionDenied
            if request.method == "GET":
                messages.warning(request, f"{job.reference} is {job.get_status_display().lower()}: "
                                          f"that action is not available now.")
                return redirect("jobs:job-detail", reference=job.reference)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, job=job, **form_kwargs)
        if form.is_valid():
            try:
                service(job=job, by=request.user, expected_version=form.cleaned_data["version"],
                        **form.service_kwargs())
            except services.JobChanged as exc:
                job = exc.job
                messages.warning(request, _changed_message(job))
                data = request.POST.copy()
                data["version"] = job.version  # their input stays; a second submit applies it
                form = form_class(data, job=job, **form_kwargs)
                form.is_valid()
            except services.ActionNotAvailable as exc:
                messages.warning(request, str(exc))
                job.refresh_from_db()
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, success)
                return redirect("jobs:job-detail", reference=job.reference)
    else:
        form = form_class(job=job, initial={"version": job.version}, **form_kwargs)
    submit_label = form.submit_label
    if transition is not None:  # "Change contractor" when the step is taken again
        submit_label = selectors.job_action_label(job=job, name=transition, label=form.submit_label)
    context = {"job": job, "form": form, "title": title or submit_label, "submit_label": submit_label,
               "progress": selectors.job_progress(job=job),
               "close_check": form_kwargs.get("check")}
    return render(request, template, context, status=400 if form.errors else 200)


def _changed_message(job: Job) -> str:
    who = f" by {job.updated_by}" if job.updated_by else ""
    return (f"{job.reference} was changed{who} while you were working on it; it is now "
            f"{job.get_status_display().lower()}. Nothing of yours was saved: check your entries below "
            f"against the job as it is now and submit again.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_categorise(request, reference):
    return _job_action(request, reference, form_class=CategoriseForm, service=services.job_categorise,
                       transition="categorise", success="Job categorised; due dates set.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_allocate(request, reference):
    return _job_action(request, reference, form_class=AllocateForm, service=services.job_allocate,
                       transition="allocate", success="Case manager allocated.",
                       form_kwargs={"user": request.user})


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_dispatch(request, reference):
    return _job_action(request, reference, form_class=DispatchForm, service=services.job_dispatch,
                       transition="dispatch", success="Job dispatched to the contractor.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_cancel(request, reference):
    return _job_action(request, reference, form_class=CancelForm, service=services.job_cancel,
                       transition="cancel", success="Job cancelled; its enquiries are closed.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_reopen(request, reference):
    return _job_action(request, reference, form_class=ReopenForm, service=services.job_reopen,
                       transition="reopen", success="Job reopened.")


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_close(request, reference):
    """'Close call ticket': the conditions listed, a case manager may close over an open complaint."""
    job = _job_or_404(request.user, reference)
    if not permissions.may_close_job(job, request.user):
        raise PermissionDenied
    check = selectors.job_close_check(job=job, user=request.user)
    if request.method == "GET" and not job.is_open:
        messages.warning(request, f"{job.reference} is {job.get_status_display().lower()}: "
                                  f"that action is not available now.")
        return redirect("jobs:job-detail", reference=job.reference)
    return _job_action(request, reference, form_class=CloseForm, service=services.job_close,
                       template="jobs/job_close.html", title="Close call ticket",
                       success="Call ticket closed; the customers are asked for their feedback.",
                       form_kwargs={"user": request.user, "check": check})


def _correction(request, reference, *, name, form_class, service, success):
    job = _job_or_404(request.user, reference)
    if request.method == "GET" and not selectors.correction_available(job=job, name=name):
        messages.warning(request, f"{job.reference} is {job.get_status_display().lower()}: "
                                  f"“{selectors.CORRECTIONS[name]}” does not apply to it now.")
        return redirect("jobs:job-detail", reference=reference)
    return _job_action(request, reference, form_class=form_class, service=service,
                       title=selectors.CORRECTIONS[name], success=success)


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_location(request, reference):
    return _correction(request, reference, name="location", form_class=LocationForm,
                       service=services.job_update_location, success="Location saved.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_service(request, reference):
    return _correction(request, reference, name="service", form_class=ChangeServiceForm,
                       service=services.job_change_service, success="Service changed; due dates recomputed.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_merge(request, reference):
    return _correction(request, reference, name="merge", form_class=MergeForm, service=services.job_merge,
                       success="Merged: the enquiries moved to the job that stays, and this one is cancelled.")


def _unlink(*, job, enquiry, by, reason, expected_version):
    return services.enquiry_unlink_from_job(enquiry=enquiry, job=job, by=by, reason=reason,
                                            expected_version=expected_version)


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_unlink(request, reference):
    return _correction(request, reference, name="unlink", form_class=UnlinkForm, service=_unlink,
                       success="Enquiry unlinked: it is back among the new enquiries.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_exclude(request, reference):
    return _correction(request, reference, name="exclude", form_class=ExcludeForm,
                       service=services.job_exclude_from_measures,
                       success="Excluded from the measures; the reports count it.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_include(request, reference):
    return _correction(request, reference, name="include", form_class=IncludeForm,
                       service=corrections.job_include_in_measures,
                       success="Included in the measures again; the exclusion stays on the timeline.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_unmerge(request, reference):
    return _job_action(request, reference, form_class=UnmergeForm, service=corrections.job_unmerge,
                       transition="unmerge", title="Unmerge",
                       success="Unmerged: its enquiries are back on it, and it is where it was before the merge.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_create_found(request):
    """A job found by staff or telemetry: no customer enquiry behind it."""
    form = FoundJobForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with submitted_once(token=form.submission_token, user=request.user) as submission:
                job = services.job_create_found(by=request.user, **data)
                submission.record(url=reverse("jobs:job-detail", args=[job.reference]), label=job.reference)
        except AlreadySubmitted as repeat:
            messages.info(request, repeat.message)
            return redirect(repeat.url)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{job.reference} created.")
            return redirect("jobs:job-detail", reference=job.reference)
    return render(request, "jobs/job_found_form.html", {"form": form}, status=400 if form.errors else 200)


@role_required(permissions.may_view_jobs)
@require_POST
def job_note(request, reference):
    job = _job_or_404(request.user, reference)
    if not _may_note(request.user):
        raise PermissionDenied
    form = NoteForm(request.POST, submitter=request.user)
    if form.is_valid():
        try:
            with submitted_once(token=form.submission_token, user=request.user) as submission:
                services.job_add_note(job=job, text=form.cleaned_data["text"], by=request.user)
                submission.record(url=reverse("jobs:job-detail", args=[job.reference]),
                                  label=f"the note on {job.reference}")
        except AlreadySubmitted as repeat:
            messages.info(request, repeat.message)
            return redirect(repeat.url)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect("jobs:job-detail", reference=reference)
    return render(request, "jobs/job_detail.html", _detail_context(request, job, form), status=400)


@role_required(permissions.is_case_manager)
@require_POST
def job_message_retry(request, reference, message_id):
    """"Retry" on an e-mail or text about this job that failed for good: sent again by the outbox."""
    from common.outbox import outbox_retry_told

    job = _job_or_404(request.user, reference)
    if not permissions.may_retry_job_messages(request.user, job):
        raise PermissionDenied
    outbox_retry_told(request, messages_about=selectors.job_messages(job=job), message_id=message_id)
    return redirect("jobs:job-detail", reference=job.reference)
