"""The crew's screens (phone first) and the customer updates, photos and letters of a job.

Each view fetches the job through the user's scope (404 outside it), then asks the
permission predicate (403), then calls one service. Photos and letters are private
files, streamed only to those who may see the job.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from accounts.client_address import client_ip
from accounts.decorators import role_required
from common import extensions
from enquiries.enums import ContactChannel, PersonalDataPage
from enquiries.models import Customer
from enquiries.privacy import customer_contact
from enquiries.services import personal_data_access_record

from . import customer_updates, selectors, services, states
from .crew_forms import (
    ArrivalForm,
    AssessmentForm,
    CompleteForm,
    CustomerUpdateForm,
    PhotosForm,
    SiteContactForm,
    StartRepairForm,
    VariationForm,
)
from .forms import NoteForm
from .models import Job, JobPhoto, Letter, UpdateRecipient
from .views import _job_action, _job_or_404


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_arrive(request, reference):
    return _job_action(request, reference, form_class=ArrivalForm, service=services.job_record_arrival,
                       transition="record_arrival", template="jobs/crew_action.html",
                       success="Arrival recorded: this is the attendance time.")


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_assess(request, reference):
    return _job_action(request, reference, form_class=AssessmentForm, service=services.job_record_assessment,
                       transition="record_assessment", template="jobs/crew_action.html",
                       success="Assessment recorded. Every customer on the job is now owed an update.")


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_start_repair(request, reference):
    return _job_action(request, reference, form_class=StartRepairForm, service=services.job_start_repair,
                       transition="start_repair", template="jobs/crew_action.html", success="Repair started.")


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_complete(request, reference):
    return _job_action(request, reference, form_class=CompleteForm, service=services.job_complete,
                       transition="complete", template="jobs/crew_action.html",
                       success="Job completed: this is the confirmed resolution time.")


def _guard(request, job: Job, *, allowed: bool, available: bool, unavailable: str):
    """403 for a user who may not take the step at all; back to the job when it does not apply now."""
    if not allowed:
        raise PermissionDenied
    if not available:
        messages.warning(request, unavailable)
        return redirect("jobs:job-detail", reference=job.reference)
    return None


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_variation(request, reference):
    job = _job_or_404(request.user, reference)
    refused = _guard(request, job, allowed=permissions.may_work_job_on_site(job, request.user),
                     available=states.may_vary(job), unavailable=states.may_vary.message)
    if refused and request.method == "GET":
        return refused
    return _job_action(request, reference, form_class=VariationForm, service=services.job_record_variation,
                       template="jobs/crew_action.html",
                       success="Variation recorded. Every customer on the job is owed another update.")


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_photos_add(request, reference):
    job = _job_or_404(request.user, reference)
    working = job.status in selectors.WORKING_OR_COMPLETED
    refused = _guard(request, job, allowed=permissions.may_work_job_on_site(job, request.user), available=working,
                     unavailable=f"{job.reference} is {job.get_status_display().lower()}: no photos now.")
    if refused and request.method == "GET":
        return refused
    return _job_action(request, reference, form_class=PhotosForm, service=services.job_add_photos,
                       template="jobs/crew_action.html", title="Add photos", success="Photos added.")


@role_required(permissions.may_triage)
@require_http_methods(["GET", "POST"])
def job_site_contact(request, reference):
    return _job_action(request, reference, form_class=SiteContactForm, service=services.job_set_site_contact,
                       title="Site contact and access", success="Site contact and access notes saved.")


@role_required(permissions.may_view_jobs)
@require_http_methods(["GET", "POST"])
def job_update(request, reference):
    job = _job_or_404(request.user, reference)
    refused = _guard(request, job, allowed=permissions.may_update_customers(job, request.user),
                     available=job.status in selectors.WORKING_OR_COMPLETED,
                     unavailable=f"{job.reference} is {job.get_status_display().lower()}: no update to log now.")
    if refused and request.method == "GET":
        return refused
    customer_id = request.GET.get("customer")
    customer_id = int(customer_id) if customer_id and customer_id.isascii() and customer_id.isdigit() \
        and len(customer_id) < 12 else None
    return _job_action(request, reference, form_class=CustomerUpdateForm,
                       service=customer_updates.customer_update_log,
                       template="jobs/update_form.html", title="Log customer update",
                       form_kwargs={"customer_id": customer_id, "user": request.user},
                       success="Customer update logged: e-mails, texts and letters are on their way.")


def _private_file(file_field, *, filename: str, content_type: str | None = None, attachment: bool = False):
    try:
        handle = file_field.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("File missing") from exc
    response = FileResponse(handle, as_attachment=attachment, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(permissions.may_view_jobs)
@require_GET
def job_photo(request, reference, photo_id, size="full"):
    """A photo, only through the job's scope: another contractor's crew gets 404."""
    job = _job_or_404(request.user, reference)
    photo = get_object_or_404(JobPhoto, pk=photo_id, job=job)
    if size == "thumb":
        return _private_file(photo.thumbnail, filename=f"{job.reference}-{photo.pk}-thumb.jpg",
                             content_type="image/jpeg")
    extension = "png" if photo.content_type == "image/png" else "jpg"
    return _private_file(photo.image, filename=f"{job.reference}-{photo.pk}.{extension}",
                         content_type=photo.content_type)


@role_required(permissions.may_view_jobs)
@require_GET
@never_cache
def job_letter(request, reference, letter_id):
    """The letters of one update (names and postal addresses): for the call-centre and case
    managers who post them, and each download is in the access log."""
    job = _job_or_404(request.user, reference)
    if not permissions.may_download_letters(request.user, job):
        raise PermissionDenied
    letter = get_object_or_404(Letter, pk=letter_id, job=job)
    if not letter.file:
        raise Http404("The letter is still being made")
    posted_to = UpdateRecipient.objects.filter(update_id=letter.update_id, channel=ContactChannel.LETTER)
    personal_data_access_record(user=request.user, page=PersonalDataPage.LETTER_DOWNLOAD, reference=job.reference,
                                customer_ids=posted_to.values_list("customer_id", flat=True),
                                client_ip=client_ip(request))
    return _private_file(letter.file, filename=f"{job.reference}-letters-{letter.pk}.pdf",
                         content_type="application/pdf", attachment=True)


@role_required(permissions.may_search_by_customer)
@require_GET
def customer_history(request, customer_id):
    """A customer's enquiries and every update they were sent: for the staff who contact customers,
    in their council scope; the access is logged (Privacy Act 2020)."""
    customer = get_object_or_404(Customer.objects.select_related("council"), pk=customer_id)
    if not permissions.council_in_scope(request.user, customer.council_id) or \
            not permissions.may_view_customer_contact(request.user, customer):
        raise Http404("No such customer")
    personal_data_access_record(user=request.user, customers=[customer], page=PersonalDataPage.CUSTOMER_LOOKUP,
                                reference=f"customer {customer.pk} history", client_ip=client_ip(request))
    enquiries = customer.enquiries.select_related("issue_type", "job").order_by("-received_at", "-id")[:200]
    return render(request, "jobs/customer_history.html", {
        "customer": customer, "enquiries": enquiries,
        "updates": customer_updates.customer_update_history(customer=customer),
        # Higher apps (complaints) add the customer's complaint history and "Log complaint".
        "extras": extensions.collect("customer_page", customer=customer, user=request.user),
    })


def crew_job_context(request, job: Job) -> dict:
    """The crew's job card: where, what was reported, due times, the timeline, photos. No caller's
    name, phone or e-mail, except the site contact's while the job is theirs and open (logged)."""
    enquiries = list(selectors.job_enquiries(job=job))
    customer = next((e.customer for e in enquiries if e.customer_id == job.site_contact_id), None)
    contact = customer_contact(user=request.user, record=job, customer=customer)
    site_contact = contact if contact is not None and not contact.masked else None
    if site_contact is not None:
        personal_data_access_record(user=request.user, customers=[customer], page=PersonalDataPage.JOB_DETAIL,
                                    reference=job.reference, client_ip=client_ip(request))
    return {
        "job": job,
        "progress": selectors.job_progress(job=job),
        "enquiries": enquiries,
        "callers": len({e.customer_id for e in enquiries}),
        "issue_types": sorted({e.issue_type.name for e in enquiries}),
        "site_contact": site_contact,
        "show_access_notes": permissions.may_view_access_notes(request.user, job),
        "timeline": selectors.job_timeline(job=job, user=request.user),
        "actions": selectors.job_actions(job=job, user=request.user),
        "photos": list(job.photos.order_by("uploaded_at", "id")),
        "assessment": job.assessments.select_related("fault_type", "flooding_event").order_by("-at", "-id").first(),
        "instructions": selectors.dispatch_instructions(job=job),
        "note_form": NoteForm(submitter=request.user),
    }
