from django import forms
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Suburb
from accounts.selectors import councils_visible_to, suburbs_for_council
from common.forms import LocalDateTimeField, OneTimeSubmitMixin

from .enums import ContactChannel, ReceivedChannel
from .models import Customer, IssueType
from .selectors import customers_visible_to, issue_types_active
from .text import PHONE_HELP, phone_normalise

DESCRIPTION_MAX = 2000
POSTAL_ADDRESS_MAX = 300

NZ_LATITUDE = (-47.5, -34.0)
NZ_LONGITUDE = (166.0, 179.0)


class GroupedIssueTypeField(forms.ModelChoiceField):
    """Issue types grouped under their service, so the select reads 'Wastewater > Overflow'."""

    def _grouped(self):
        groups = {}
        for issue_type in self.queryset:
            groups.setdefault(issue_type.get_service_display(), []).append((issue_type.pk, issue_type.name))
        return [("", "Choose the issue")] + list(groups.items())

    def _get_choices(self):
        return self._grouped()

    choices = property(_get_choices, forms.ChoiceField.choices.fset)


class EnquiryForm(OneTimeSubmitMixin, forms.Form):
    """'Log enquiry': built for a live call, customer first, then where and what."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, widget=forms.HiddenInput)
    customer_name = forms.CharField(label="Customer name", max_length=120)
    customer_phone = forms.CharField(label="Phone", max_length=40, required=False, help_text=PHONE_HELP,
                                     widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    customer_email = forms.EmailField(label="Email", required=False)
    customer_postal_address = forms.CharField(label="Postal address", required=False, max_length=POSTAL_ADDRESS_MAX,
                                              widget=forms.Textarea(attrs={"rows": 1, "data-counter": ""}))
    preferred_channel = forms.ChoiceField(label="Preferred contact channel", choices=ContactChannel.choices,
                                          initial=ContactChannel.PHONE)

    council = forms.ModelChoiceField(queryset=Organisation.objects.none(), empty_label="Choose the council")
    street_address = forms.CharField(label="Street address", max_length=200,
                                     help_text="Number and street, e.g. 12 Cuba Street.")
    suburb = forms.ModelChoiceField(queryset=Suburb.objects.none(), empty_label="Choose the suburb")
    latitude = forms.DecimalField(label="Latitude", required=False, max_digits=9, decimal_places=6,
                                  min_value=NZ_LATITUDE[0], max_value=NZ_LATITUDE[1],
                                  help_text="Optional, from a map or GPS, e.g. -41.2924.")
    longitude = forms.DecimalField(label="Longitude", required=False, max_digits=9, decimal_places=6,
                                   min_value=NZ_LONGITUDE[0], max_value=NZ_LONGITUDE[1],
                                   help_text="Optional, e.g. 174.7787.")
    asset_id = forms.CharField(label="Property or asset id", max_length=60, required=False)

    # The issue type says the service: one select, typed to pick ("Leak", "Overflow").
    issue_type = GroupedIssueTypeField(label="Issue type", queryset=IssueType.objects.none(),
                                       help_text="Type the first letters to pick it.")
    description = forms.CharField(label="What the customer says", max_length=DESCRIPTION_MAX,
                                  widget=forms.Textarea(attrs={"rows": 3, "data-counter": ""}))

    callback_requested = forms.BooleanField(label="Customer wants a call-back", required=False)
    callback_best_time = forms.CharField(label="Best time to call", max_length=120, required=False)
    channel = forms.ChoiceField(label="Received by", choices=ReceivedChannel.choices, initial=ReceivedChannel.PHONE)
    received_at = LocalDateTimeField(
        label="Received at", required=False,
        help_text="Leave as now unless logging an earlier call (after hours, say).",
    )
    backdate_reason = forms.CharField(label="Why earlier than now", max_length=200, required=False,
                                      widget=forms.TextInput(attrs={"data-counter": ""}))
    link_job = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, submitter=user, **kwargs)
        self.user = user
        councils = councils_visible_to(user=user)
        self.fields["council"].queryset = councils
        self.fields["customer"].queryset = customers_visible_to(user=user)
        self.fields["issue_type"].queryset = issue_types_active()
        only_council = councils.first() if councils.count() == 1 else None
        if only_council is not None:
            self.fields["council"].initial = only_council.pk
            self.fields["council"].widget = forms.HiddenInput()
        self.council_id = self._council_id(only_council)
        self.fields["suburb"].queryset = suburbs_for_council(council_id=self.council_id)
        if not self.is_bound and not self.initial.get("received_at"):
            self.initial["received_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

        duplicates_url = reverse("enquiries:duplicate-candidates")
        watch = {"hx-get": duplicates_url, "hx-target": "#duplicates", "hx-include": "#enquiry-form",
                 "hx-sync": "#enquiry-form:replace"}
        for name in ("suburb", "latitude", "longitude", "issue_type"):
            self.fields[name].widget.attrs.update(watch | {"hx-trigger": "change"})
        self.fields["street_address"].widget.attrs.update(
            watch | {"hx-trigger": "keyup changed delay:500ms, change", "autocomplete": "off"}
        )
        if only_council is None:
            self.fields["council"].widget.attrs.update({
                "hx-get": reverse("enquiries:suburb-options"), "hx-target": "#id_suburb",
                "hx-trigger": "change", "hx-include": "#id_council",
            })
        self.fields["customer_name"].widget.attrs["autocomplete"] = "off"
        # "Why earlier than now" is shown once the received time is changed from what the page loaded with.
        loaded = self.data.get("received_at", "") if self.is_bound else self.initial.get("received_at", "")
        self.fields["received_at"].widget.attrs["data-initial"] = loaded
        for name in ("customer_postal_address", "description", "backdate_reason"):
            self.fields[name].widget.attrs["maxlength"] = self.fields[name].max_length

    def _council_id(self, only_council) -> int | None:
        if only_council is not None:
            return only_council.pk
        raw = self.data.get("council") if self.is_bound else self.initial.get("council")
        try:
            return int(raw) if raw else None
        except (TypeError, ValueError):
            return None

    def clean_customer_phone(self):
        try:
            return phone_normalise(self.cleaned_data["customer_phone"])
        except ValueError as exc:
            raise forms.ValidationError(f"{exc} Enter it as, say, 021 555 0101, 04 555 0199 or 0800 123 456.") \
                from exc

    def clean(self):
        cleaned = super().clean()
        issue_type = cleaned.get("issue_type")
        if issue_type:
            cleaned["service"] = issue_type.service
        if cleaned.get("callback_requested") and not cleaned.get("customer_phone") \
                and "customer_phone" not in self.errors:
            self.add_error("customer_phone", "A call-back needs a phone number.")
        # Only when both values are usable: an out-of-range one already has its own message.
        if "latitude" not in self.errors and "longitude" not in self.errors \
                and (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            self.add_error("longitude", "Give both latitude and longitude, or neither.")
        return cleaned

    def customer_details(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["customer_name"],
            "phone": data.get("customer_phone", ""),
            "email": data.get("customer_email", ""),
            "postal_address": data.get("customer_postal_address", ""),
            "preferred_channel": data["preferred_channel"],
        }


class ResolveForm(forms.Form):
    outcome = forms.CharField(label="What the customer was told", max_length=DESCRIPTION_MAX,
                              widget=forms.Textarea(attrs={"rows": 3, "data-counter": ""}))


class LinkToJobForm(OneTimeSubmitMixin, forms.Form):
    job_reference = forms.CharField(label="Job reference", max_length=20,
                                    widget=forms.TextInput(attrs={"placeholder": "JOB-2026-000123"}))

    def clean_job_reference(self):
        return self.cleaned_data["job_reference"].strip().upper()
