import re

from crispy_forms.helper import FormHelper
from django import forms

from accounts.models import Suburb
from accounts.selectors import case_managers, councils_visible_to, suburbs_for_council
from common.forms import LocalDateTimeField, OneTimeSubmitMixin
from enquiries.enums import Service

from .enums import CancelReason, JobSource
from .models import Category, Job, Priority
from .selectors import contractors_for, merge_candidates, usual_contractor_id

NOTE_MAX = 2000  # a note is read on a phone: long enough for the facts, short enough to read


class JobActionForm(forms.Form):
    """Every job form carries the version it was loaded at: a stale one is refused, not applied."""

    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={
        "required": "This form was damaged in transit: open the job again and redo the change.",
        "invalid": "This form was damaged in transit: open the job again and redo the change.",
    })
    submit_label = "Save"

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def service_kwargs(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class CategoriseForm(JobActionForm):
    submit_label = "Categorise"
    category = forms.ModelChoiceField(queryset=Category.objects.none(), empty_label="Choose a category")
    priority = forms.ModelChoiceField(queryset=Priority.objects.filter(is_active=True), empty_label="Choose a priority")
    note = forms.CharField(label="Note for the timeline", required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2, "data-counter": ""}),
                           help_text="Required to change the category or priority after the crew has arrived.")

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(service=job.service, is_active=True)
        self.fields["priority"].label_from_instance = lambda p: f"{p.name} {p.label}: {p.target_summary}"
        if not self.is_bound:
            self.initial.setdefault("category", job.category_id or self._category_from_issue_type(job))
            self.initial.setdefault("priority", job.priority_id)

    def _category_from_issue_type(self, job) -> int | None:
        """The category that matches what the first caller reported, to start from."""
        first = job.enquiries.select_related("issue_type").order_by("received_at", "id").first()
        if first is None:
            return None
        category = category_matching(first.issue_type, list(self.fields["category"].queryset))
        return category.pk if category else None


_STOP_WORDS = {"or", "and", "the", "of", "a", "in", "on", "water", "wastewater", "stormwater", "other"}


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {word[:5] for word in words if word not in _STOP_WORDS}


def category_matching(issue_type, categories):
    """The category whose name shares the most words with the issue type's ('Burst main' ->
    'Water main burst'); the same name wins outright; on a tie, the first in the list; None when
    nothing matches ('No water' has no counterpart by name)."""
    best, best_score = None, 0
    wanted = _stems(issue_type.name)
    for category in categories:
        if category.name.strip().lower() == issue_type.name.strip().lower():
            return category
        score = len(wanted & _stems(category.name))
        if score > best_score:
            best, best_score = category, score
    return best


class AllocateForm(JobActionForm):
    submit_label = "Allocate case manager"
    case_manager = forms.ModelChoiceField(queryset=None, empty_label="Choose a case manager")
    note = forms.CharField(label="Note for the timeline", required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2, "data-counter": ""}))

    def __init__(self, *args, job, user=None, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["case_manager"].queryset = case_managers()
        if not self.is_bound:
            self.initial.setdefault("case_manager", job.case_manager_id or (user.pk if user else None))


class DispatchForm(JobActionForm):
    submit_label = "Dispatch to contractor"
    contractor = forms.ModelChoiceField(queryset=None, empty_label="Choose a contractor")
    note = forms.CharField(label="Instructions for the crew", required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3, "data-counter": ""}))

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        # Only the contractors under contract for this council and service; the usual one first.
        self.fields["contractor"].queryset = contractors_for(council_id=job.council_id, service=job.service)
        self.fields["contractor"].error_messages["invalid_choice"] = (
            "That contractor has no contract for this council and service.")
        if not self.is_bound:
            self.initial.setdefault("contractor", job.contractor_id or usual_contractor_id(
                council_id=job.council_id, service=job.service))


class CancelForm(JobActionForm):
    submit_label = "Cancel job"
    reason = forms.ChoiceField(label="Why", choices=[("", "Choose a reason")] + [
        (value, label) for value, label in CancelReason.choices if value != CancelReason.MERGED])
    note = forms.CharField(label="Details", required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2, "data-counter": ""}),
                           help_text="Required when the reason is Other.")


class ReopenForm(JobActionForm):
    submit_label = "Reopen job"
    reason = forms.CharField(label="Why the job is reopened", max_length=NOTE_MAX,
                             widget=forms.Textarea(attrs={"rows": 3, "data-counter": ""}))


class CloseForm(JobActionForm):
    submit_label = "Close call ticket"
    note = forms.CharField(label="Note for the timeline", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label="Reason to close over the open complaint", required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only a case manager may close a call ticket while a complaint about it is open.")

    def __init__(self, *args, job, user=None, check=None, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        # The override is offered only when an overridable blocker (an open complaint) is all that
        # stands in the way, and only to a case manager.
        if not (check and check.overridable_only and check.may_override):
            del self.fields["override_reason"]
        else:
            self.fields["override_reason"].required = True


class LocationForm(JobActionForm):
    submit_label = "Save location"
    street_address = forms.CharField(max_length=200)
    suburb = forms.ModelChoiceField(queryset=Suburb.objects.none())
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-47.5, max_value=-34.0)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=166.0, max_value=179.0)

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["suburb"].queryset = suburbs_for_council(council_id=job.council_id)
        if not self.is_bound:
            for name in ("street_address", "latitude", "longitude"):
                self.initial.setdefault(name, getattr(job, name))
            self.initial.setdefault("suburb", job.suburb_id)


class ChangeServiceForm(JobActionForm):
    submit_label = "Change service"
    service = forms.ChoiceField(label="The right service", choices=[])
    category = forms.ModelChoiceField(
        label="Category in that service", queryset=Category.objects.none(), required=False,
        help_text="Needed when the job was already categorised.")
    reason = forms.CharField(label="Why", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["service"].choices = [("", "Choose a service")] + [
            (value, label) for value, label in Service.choices if value != job.service]
        self.fields["category"].queryset = (
            Category.objects.filter(is_active=True).exclude(service=job.service).order_by("service", "sort_order"))
        self.fields["category"].label_from_instance = lambda c: f"{c.get_service_display()}: {c.name}"


class MergeForm(JobActionForm):
    submit_label = "Merge into job"
    into = forms.ModelChoiceField(label="The job that stays", queryset=Job.objects.none(),
                                  empty_label="Choose the job this one duplicates")
    reason = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["into"].queryset = merge_candidates(job=job)
        self.fields["into"].label_from_instance = (
            lambda j: f"{j.reference} · {j.street_address}, {j.suburb.name} · {j.get_status_display().lower()}")


class UnlinkForm(JobActionForm):
    submit_label = "Unlink enquiry"
    enquiry = forms.ModelChoiceField(label="Enquiry linked by mistake", queryset=None,
                                     empty_label="Choose the enquiry")
    reason = forms.CharField(label="Why it does not belong here", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["enquiry"].queryset = job.enquiries.select_related("customer").order_by("received_at")
        self.fields["enquiry"].label_from_instance = lambda e: f"{e.reference} · {e.street_address}"


class ExcludeForm(JobActionForm):
    submit_label = "Exclude from measures"
    reason = forms.CharField(label="Why the job should not count in the measures", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}))
    not_our_asset = forms.BooleanField(
        label="Not the council's asset (a private or third-party pipe)", required=False,
        help_text="Then the job leaves the event counts too, not only the median times.")


class IncludeForm(JobActionForm):
    submit_label = "Include in measures"
    reason = forms.CharField(label="Why the job counts in the measures again", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}))


class UnmergeForm(JobActionForm):
    submit_label = "Unmerge"
    reason = forms.CharField(label="Why the two jobs are not the same fault", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}))


class FoundJobForm(OneTimeSubmitMixin, forms.Form):
    """A job with no customer enquiry: found by staff or by network telemetry."""

    council = forms.ModelChoiceField(queryset=None, empty_label="Choose a council")
    service = forms.ChoiceField(choices=[("", "Choose a service")] + Service.choices)
    source = forms.ChoiceField(label="Found by", choices=[("", "Choose")] + [
        (value, label) for value, label in JobSource.choices if value != JobSource.CUSTOMER])
    description = forms.CharField(label="What was found", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    street_address = forms.CharField(max_length=200)
    suburb = forms.ModelChoiceField(queryset=None, empty_label="Choose a suburb")
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-47.5, max_value=-34.0)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=166.0, max_value=179.0)
    found_at = LocalDateTimeField(label="Found at", required=False, help_text="Leave empty for now.")
    backdate_reason = forms.CharField(label="Why earlier than now", max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, submitter=user, **kwargs)
        self.fields["council"].queryset = councils_visible_to(user=user)
        self.fields["suburb"].queryset = Suburb.objects.select_related("council").order_by("council__name", "name")
        self.fields["suburb"].label_from_instance = lambda s: f"{s.name} ({s.council})"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class NoteForm(OneTimeSubmitMixin, forms.Form):
    text = forms.CharField(label="Add an internal note", max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2, "data-counter": ""}))


class EnquiryChoiceField(forms.ModelMultipleChoiceField):
    """Ticked enquiries; a number too big to be a key is an invalid choice, not a database error."""

    def _check_values(self, value):
        for pk in value:
            if str(pk).isascii() and str(pk).isdigit() and int(pk) >= 2**63:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                            params={"value": pk})
        return super()._check_values(value)


class CreateJobForm(OneTimeSubmitMixin, forms.Form):
    enquiries = EnquiryChoiceField(queryset=None, error_messages={
        "required": "Tick the enquiries the job is for.",
        "invalid_choice": "One of the chosen enquiries is no longer available.",
        "invalid_pk_value": "One of the chosen enquiries is no longer available.",
    })
    next = forms.CharField(required=False)

    def __init__(self, *args, enquiries_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enquiries"].queryset = enquiries_queryset
