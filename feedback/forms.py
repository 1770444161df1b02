from crispy_forms.helper import FormHelper
from django import forms

from enquiries.models import Enquiry

from .enums import CallBackOutcome, FixedAnswer

SCORES = [(n, str(n)) for n in range(1, 6)]


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class RecordCallBackForm(forms.Form):
    attempts = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label="What happened?", choices=CallBackOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="What the customer said. Required when they are not satisfied.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class FeedbackForm(forms.Form):
    """The customer's questions; plain radio buttons, so it works without JavaScript."""

    overall = forms.TypedChoiceField(label="Overall, how satisfied are you? (1 = very unsatisfied, 5 = very satisfied)",
                                     choices=SCORES, coerce=int, widget=forms.RadioSelect)
    timeliness = forms.TypedChoiceField(label="How satisfied are you with how quickly it was done?", choices=SCORES,
                                        coerce=int, widget=forms.RadioSelect)
    communication = forms.TypedChoiceField(label="How satisfied are you with how we kept you informed?",
                                           choices=SCORES, coerce=int, widget=forms.RadioSelect)
    fixed = forms.ChoiceField(label="Was the problem fixed?", choices=FixedAnswer.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label="Anything else you would like to tell us? (optional)", required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def answers(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("overall", "timeliness", "communication", "fixed",
                                                           "comment")}


class StaffFeedbackForm(FeedbackForm):
    enquiry = forms.ModelChoiceField(label="Customer", queryset=Enquiry.objects.none(), empty_label="Choose a customer")

    field_order = ["enquiry"]

    def __init__(self, *args, enquiries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enquiry"].queryset = enquiries
        self.fields["enquiry"].label_from_instance = lambda e: f"{e.customer.name} ({e.reference})"
        self.order_fields(["enquiry", "overall", "timeliness", "communication", "fixed", "comment"])


class StatusLookupForm(forms.Form):
    reference = forms.CharField(label="Your enquiry reference", max_length=20,
                                help_text="For example ENQ-2026-000123, from your acknowledgement.")
    contact = forms.CharField(label="The last 4 digits of your phone number, or your e-mail address",
                              max_length=254)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.fields["reference"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
