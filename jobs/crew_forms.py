"""The crew's forms (phone first) and the customer-update form. Each carries the job version."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from enquiries.enums import ContactChannel
from enquiries.privacy import customer_contact

from .customer_updates import PREFERRED, channel_plan, job_customers, sms_affixes, update_prefill
from .enums import Complexity, VariationKind, Weather
from .forms import JobActionForm
from .models import FaultType, FloodingEvent, ResolutionCode
from .photos import photos_check

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def _when(label, *, required=False, help_text=""):
    return forms.DateTimeField(
        label=label, required=required, input_formats=DATETIME_FORMATS, help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from the phone's camera or gallery; each checked by content, not by name."""

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/*", "multiple": True})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"JPEG or PNG, up to {settings.PHOTO_MAX_MB} MB each; up to "
                                       f"{settings.PHOTO_MAX_FILES} at once.")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError("Choose at least one photo.")
            return []
        return photos_check(files)


class PhotoFormMixin:
    """A refused photo loses nothing else typed: the form comes back with every other field filled."""

    def add_photo_hint(self):
        if "photos" in self.errors:
            self.errors["photos"].append("Your other entries are kept: choose the photos again.")


class ArrivalForm(JobActionForm):
    submit_label = "Record arrival"
    arrived_at = _when("Arrived at", help_text="Leave empty for now. An earlier time needs a reason.")
    backdate_reason = forms.CharField(label="Why earlier than now", max_length=200, required=False)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssessmentForm(PhotoFormMixin, JobActionForm):
    submit_label = "Record assessment"
    fault_type = forms.ModelChoiceField(label="What was found", queryset=FaultType.objects.none(),
                                        empty_label="Choose the fault")
    weather = forms.ChoiceField(label="Weather (overflows)", required=False,
                                choices=[("", "Not an overflow")] + Weather.choices,
                                help_text="For a wastewater overflow: wet or dry weather.")
    complexity = forms.ChoiceField(choices=[("", "Choose")] + Complexity.choices)
    expected_completion_at = _when("Expected completion", required=True)
    public_summary = forms.CharField(
        label="For customers: the fault in plain words", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Plain words the customer update starts from. No names, access details or hazards.")
    notes = forms.CharField(label="Internal notes (staff only)", required=False,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="Never sent to a customer: access, hazards, neighbours, what to bring.")
    flooding_event = forms.ModelChoiceField(
        label="Flooding event", required=False, queryset=FloodingEvent.objects.none(),
        empty_label="A new flooding event (below)", help_text="For flooding: the event this property is part of.")
    event_name = forms.CharField(label="New event: name", max_length=120, required=False)
    event_area = forms.CharField(label="New event: area", max_length=200, required=False)
    event_started_at = _when("New event: started")
    event_ended_at = _when("New event: ended", help_text="Leave empty while it goes on.")
    habitable_floors = forms.IntegerField(label="Habitable floors affected at this property", required=False,
                                          min_value=0, max_value=50)
    photos = PhotosField()

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["fault_type"].queryset = FaultType.objects.filter(service=job.service, is_active=True)
        self.fields["flooding_event"].queryset = FloodingEvent.objects.filter(
            council_id=job.council_id, ended_at__isnull=True).order_by("-started_at")[:20]
        if job.service != "wastewater":
            del self.fields["weather"]
        if job.service != "stormwater":
            for name in ("flooding_event", "event_name", "event_area", "event_started_at", "event_ended_at",
                         "habitable_floors"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        self.add_photo_hint()
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "fault_type": data["fault_type"], "complexity": data["complexity"], "notes": data.get("notes", ""),
            "public_summary": data.get("public_summary", ""),
            "expected_completion_at": data["expected_completion_at"], "weather": data.get("weather", ""),
            "photos": data.get("photos") or [],
        }
        if "habitable_floors" in self.fields:
            kwargs["habitable_floors"] = data.get("habitable_floors")
            kwargs["flooding_event"] = data.get("flooding_event")
            if data.get("flooding_event") is None and data.get("event_name"):
                if not data.get("event_started_at"):
                    raise ValidationError({"event_started_at": "Say when the flooding event started."})
                kwargs["new_flooding_event"] = {
                    "name": data["event_name"], "area": data.get("event_area") or "",
                    "started_at": data["event_started_at"], "ended_at": data.get("event_ended_at")}
        return kwargs


class StartRepairForm(JobActionForm):
    submit_label = "Start repair"
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VariationForm(PhotoFormMixin, JobActionForm):
    submit_label = "Record variation"
    kind = forms.ChoiceField(label="What changed", choices=[("", "Choose")] + VariationKind.choices)
    reason = forms.CharField(label="Why (staff only)", widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Never sent to a customer.")
    public_reason = forms.CharField(
        label="For customers: the change in plain words", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Plain words the next customer update starts from.")
    expected_completion_at = _when("New expected completion", required=True)
    photos = PhotosField()

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        if not self.is_bound and job.expected_completion_at:
            self.initial.setdefault("expected_completion_at", job.expected_completion_at)

    def clean(self):
        data = super().clean()
        self.add_photo_hint()
        return data


class CompleteForm(PhotoFormMixin, JobActionForm):
    submit_label = "Complete job"
    completed_at = _when("Resolution confirmed at", help_text="Leave empty for now. An earlier time needs a reason.")
    backdate_reason = forms.CharField(label="Why earlier than now", max_length=200, required=False)
    code = forms.ModelChoiceField(label="How it was resolved", queryset=ResolutionCode.objects.none(),
                                  empty_label="Choose")
    note = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField()

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["code"].queryset = ResolutionCode.objects.filter(is_active=True).filter(
            service__in=["", job.service])

    def clean(self):
        data = super().clean()
        self.add_photo_hint()
        return data


class PhotosForm(PhotoFormMixin, JobActionForm):
    submit_label = "Add photos"
    photos = PhotosField(required=True)

    def clean(self):
        data = super().clean()
        self.add_photo_hint()
        return data


class SiteContactForm(JobActionForm):
    submit_label = "Save"
    customer = forms.ModelChoiceField(label="Site contact", queryset=None, required=False,
                                      empty_label="No site contact",
                                      help_text="The crew sees this customer's phone and e-mail, and no one else's.")
    access_notes = forms.CharField(label="Access notes for the crew", required=False, max_length=1000,
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="Gate codes, dogs, where to park, which door.")

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        self.fields["customer"].queryset = job_customers(job=job)
        if not self.is_bound:
            self.initial.setdefault("customer", job.site_contact_id)
            self.initial.setdefault("access_notes", job.access_notes)


class CustomerUpdateForm(JobActionForm):
    """'Log customer update': prefilled from the assessment; staff edit it before sending."""

    submit_label = "Log customer update"
    recipients = forms.ChoiceField(label="To", choices=[])
    channel = forms.ChoiceField(label="By", choices=[(PREFERRED, "Each customer's preferred channel")]
                                + ContactChannel.choices)
    issue = forms.CharField(label="The issue", max_length=500)
    complexity = forms.ChoiceField(choices=[("", "Not said")] + Complexity.choices, required=False)
    expected_completion_at = _when("Expected timeframe: finished by")
    questions_answered = forms.CharField(label="Questions answered", required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    message = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 7}),
                              help_text="Sent as the e-mail and SMS text, and printed in the letter.")

    ALL = "all"

    def __init__(self, *args, job, customer_id=None, user=None, **kwargs):
        super().__init__(*args, job=job, **kwargs)
        customers = list(job_customers(job=job).only("pk", "name", "phone", "email", "postal_address",
                                                      "preferred_channel"))
        self.customers = {str(c.pk): c for c in customers}
        # A crew picks a caller by name only for the site contact; the others by their place in the list.
        self.fields["recipients"].choices = [(self.ALL, f"Every customer on the job ({len(customers)})")] + [
            (str(c.pk), self._label(c, number, user)) for number, c in enumerate(customers, start=1)]
        self.fields["channel"].help_text = self._plan_text(customers, user)
        prefix, suffix = sms_affixes(job)
        # The counter in the browser (static/js/site.js) counts the text as it will be sent.
        self.fields["message"].widget.attrs.update({"data-sms-prefix": prefix, "data-sms-suffix": suffix})
        if not self.is_bound:
            prefill = update_prefill(job=job)
            self.initial.setdefault("recipients", str(customer_id) if customer_id else self.ALL)
            self.initial.setdefault("issue", prefill.issue)
            self.initial.setdefault("complexity", prefill.complexity)
            self.initial.setdefault("expected_completion_at", prefill.expected_completion_at)
            self.initial.setdefault("message", prefill.message)

    def _label(self, customer, number: int, user) -> str:
        if user is None:
            return customer.name
        contact = customer_contact(user=user, record=self.job, customer=customer)
        return f"Caller {number}" if contact.masked else contact.name

    def _plan_text(self, customers, user) -> str:
        """Before sending: whose preferred channel cannot reach them, and what they get instead."""
        def name(customer):
            return customer_contact(user=user, record=self.job, customer=customer).name if user else customer.name

        instead = [f"{name(p.customer)} prefers {ContactChannel(p.wanted).label.lower()} but has {p.why_not}: "
                   f"{ContactChannel(p.channel).label.lower()} instead"
                   for p in channel_plan(customers) if p.why_not]
        if not instead:
            return "With each customer's preferred channel, everyone gets it the way they asked."
        return ("With each customer's preferred channel: " + "; ".join(instead[:5])
                + (f"; and {len(instead) - 5} more" if len(instead) > 5 else "") + ".")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        chosen = data["recipients"]
        return {
            "customers": None if chosen == self.ALL else [self.customers[chosen]],
            "channel": data["channel"], "issue": data["issue"], "complexity": data["complexity"],
            "expected_completion_at": data["expected_completion_at"],
            "questions_answered": data["questions_answered"], "message": data["message"],
        }
