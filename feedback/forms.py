from crispy_forms.helper import FormHelper
from django import forms
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


# The public pages' forms, written out in Python ---------------------------------------------------
# The public pages must answer in under 10 ms (issue 11). Crispy's layout templates and Django's
# template-based widgets cost 4 to 8 ms a page there, so the public forms are rendered here instead,
# with the same markup: every input has its label, its help text and its error tied to it by
# aria-describedby, a group of radio buttons is a fieldset with a legend, and a bound form shows
# again what the user typed or chose. Everything from the form or the user is escaped.

def _error_list(bound) -> list[str]:
    return [escape(error) for error in bound.errors]


def public_text_input(bound) -> SafeString:
    """A required or optional text input as crispy's Bootstrap 5 pack lays it out."""
    field, name, errors = bound.field, bound.html_name, _error_list(bound)
    input_id = f"id_{name}"
    value = bound.value()
    attrs = [f'type="text" name="{name}"']
    if value not in (None, ""):
        attrs.append(f'value="{escape(value)}"')
    attrs += [f'{key}="{escape(val)}"' for key, val in field.widget.attrs.items()]
    attrs.append(f'class="textinput form-control{" is-invalid" if errors else ""}"')
    if field.required:
        attrs.append("required")
    described = ([f"{input_id}_helptext"] if field.help_text else []) + ([f"{input_id}_error"] if errors else [])
    if errors:
        attrs.append('aria-invalid="true"')
    if described:
        attrs.append(f'aria-describedby="{" ".join(described)}"')
    attrs.append(f'id="{input_id}"')
    required_mark = '<span class="asteriskField">*</span>' if field.required else ""
    parts = [f'<div id="div_{input_id}" class="mb-3"> <label for="{input_id}" class="form-label'
             f'{" requiredField" if field.required else ""}"> {escape(bound.label)}{required_mark} </label> '
             f'<input {" ".join(attrs)}>']
    if errors:
        spans = " ".join(f'<span id="error_{n}_{input_id}"><strong>{error}</strong></span>'
                         for n, error in enumerate(errors, start=1))
        parts.append(f' <div id="{input_id}_error" class="invalid-feedback"> {spans} </div>')
    if field.help_text:
        parts.append(f' <div id="{input_id}_helptext" class="form-text">{escape(field.help_text)}</div>')
    parts.append(" </div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def public_radio_group(bound) -> SafeString:
    """A fieldset with its legend and one radio button a choice, the user's choice checked."""
    name, errors = bound.html_name, _error_list(bound)
    invalid = " is-invalid" if errors else ""
    current = str(bound.value())
    required = " required" if bound.field.required else ""
    described = f' aria-describedby="{name}-error"' if errors else ""
    parts = [f'<fieldset class="mb-3"{described}>\n'
             f'  <legend class="fs-6 fw-semibold">{escape(bound.label)}</legend>\n']
    for index, (value, label) in enumerate(bound.field.choices):
        input_id = f"id_{name}_{index}"
        checked = " checked" if str(value) == current else ""
        parts.append(f'  <div class="form-check form-check-inline">\n'
                     f'    <input class="form-check-input{invalid}" type="radio" name="{name}" id="{input_id}" '
                     f'value="{escape(value)}"{checked}{required}>\n'
                     f'    <label class="form-check-label" for="{input_id}">{escape(label)}</label>\n  </div>\n')
    if errors:
        parts.append(f'  <div class="text-danger small" id="{name}-error">{" ".join(errors)}</div>\n')
    parts.append("</fieldset>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def public_textarea(bound) -> SafeString:
    name, errors = bound.html_name, _error_list(bound)
    field = bound.field
    input_id = f"id_{name}"
    value = bound.value()
    rows = field.widget.attrs.get("rows", 4)
    maxlength = f' maxlength="{field.max_length}"' if getattr(field, "max_length", None) else ""
    described = f' aria-describedby="{name}-error"' if errors else ""
    parts = [f'<div class="mb-3">\n  <label class="form-label" for="{input_id}">{escape(bound.label)}</label>\n'
             f'  <textarea class="form-control{" is-invalid" if errors else ""}" name="{name}" id="{input_id}" '
             f'rows="{escape(rows)}"{maxlength}{" required" if field.required else ""}{described}>'
             f'{escape("" if value is None else value)}</textarea>\n']
    if errors:
        parts.append(f'  <div class="invalid-feedback" id="{name}-error">{" ".join(errors)}</div>\n')
    parts.append("</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


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

    def public_html(self) -> SafeString:
        """The fields for the public feedback page (see public_text_input's note above)."""
        return mark_safe("".join(  # noqa: S308 - each part escapes what it shows
            public_textarea(bound) if isinstance(bound.field.widget, forms.Textarea) else public_radio_group(bound)
            for bound in self))

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

    def public_html(self) -> SafeString:
        """The fields for the public status page (see public_text_input's note above)."""
        return mark_safe("".join(public_text_input(bound) for bound in self))  # noqa: S308 - escaped in each
