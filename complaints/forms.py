from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from common.forms import LocalDateTimeField
from enquiries.enums import ContactChannel, ReceivedChannel

from .enums import LEVEL_ORDER, EscalationLevel
from .models import ComplaintCategory, ComplaintCause
from .selectors import owner_candidates


def _now_for_input() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class _Crispy:
    def _crispy(self):
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ComplaintLogForm(_Crispy, forms.Form):
    submit_label = "Log complaint"
    customer = forms.ModelChoiceField(queryset=None, empty_label=None, widget=forms.RadioSelect,
                                      label="Which customer is complaining")
    category = forms.ModelChoiceField(queryset=None, empty_label="Choose a category")
    channel = forms.ChoiceField(label="Received by", choices=ReceivedChannel.choices, initial=ReceivedChannel.PHONE)
    received_at = LocalDateTimeField(label="Received", required=False,
                                      help_text="When the customer complained; leave as now for a live call.")
    backdate_reason = forms.CharField(label="Why earlier than now", max_length=200, required=False)
    description = forms.CharField(label="What the customer says", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, customers, service=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._crispy()
        self.fields["customer"].queryset = customers
        if customers.count() == 1:
            self.fields["customer"].initial = customers.first().pk
            self.fields["customer"].widget = forms.HiddenInput()
        categories = ComplaintCategory.objects.filter(is_active=True).order_by("service", "sort_order", "name")
        if service:
            categories = categories.filter(service=service)
        self.fields["category"].queryset = categories
        self.fields["category"].label_from_instance = (
            lambda c: c.name if service else f"{c.get_service_display()}: {c.name}"
        )
        if not self.is_bound:
            self.initial.setdefault("received_at", _now_for_input())


class ComplaintStepForm(_Crispy, forms.Form):
    """Every step's form carries the version it was loaded at: a stale one is refused, not applied."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    submit_label = "Save"

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self._crispy()

    def service_kwargs(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class UnderstandForm(ComplaintStepForm):
    submit_label = "Record cause"
    cause = forms.ModelChoiceField(queryset=ComplaintCause.objects.filter(is_active=True),
                                   empty_label="Choose the cause")
    notes = forms.CharField(label="What the complaint is really about", widget=forms.Textarea(attrs={"rows": 3}))


class ContactForm(ComplaintStepForm):
    submit_label = "Log discussion"
    channel = forms.ChoiceField(label="How we contacted them", choices=ContactChannel.choices,
                                initial=ContactChannel.PHONE)
    contacted_at = LocalDateTimeField(label="When")
    summary = forms.CharField(label="What was discussed", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("contacted_at", _now_for_input())


class _OwnerForm(ComplaintStepForm):
    owner = forms.ModelChoiceField(queryset=None, empty_label="Choose the owner")

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["owner"].queryset = owner_candidates(council_id=complaint.council_id)
        self.fields["owner"].label_from_instance = (
            lambda u: f"{u} ({u.organisation.label})" if u.organisation_id else str(u)
        )


class AgreeForm(_OwnerForm):
    submit_label = "Agree next step"
    text = forms.CharField(label="Next step", max_length=300)
    due_on = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    field_order = ["text", "owner", "due_on"]


class EscalateForm(_OwnerForm):
    submit_label = "Escalate"
    level = forms.ChoiceField(label="Escalate to")
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}))
    field_order = ["level", "owner", "reason"]

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, complaint=complaint, **kwargs)
        current = LEVEL_ORDER.get(complaint.level, 0)
        self.fields["level"].choices = [("", "Choose the level")] + [
            (value, label) for value, label in EscalationLevel.choices if LEVEL_ORDER[value] > current
        ]


class ResolveForm(ComplaintStepForm):
    submit_label = "Resolve"
    outcome = forms.CharField(label="Outcome", widget=forms.Textarea(attrs={"rows": 3}))
    customer_accepts = forms.TypedChoiceField(
        label="Does the customer accept it?", choices=[("yes", "Yes, they accept it"), ("no", "No, they do not")],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
    )


class CloseForm(ComplaintStepForm):
    submit_label = "Close complaint"
    note = forms.CharField(label="Note for the timeline", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(ComplaintStepForm):
    submit_label = "Record withdrawal"
    reason = forms.CharField(label="What the customer said", widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(ComplaintStepForm):
    submit_label = "Reopen complaint"
    reason = forms.CharField(label="Why the complaint is reopened", widget=forms.Textarea(attrs={"rows": 3}))


class ActionDoneForm(forms.Form):
    version = forms.IntegerField(min_value=0, max_value=2**31 - 1)
    done = forms.TypedChoiceField(choices=[("1", "done"), ("0", "not done")], coerce=lambda value: value == "1")


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label="Find the customer by phone or name", max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
