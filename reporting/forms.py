from django import forms

from accounts.selectors import councils_visible_to
from enquiries.enums import Service

from .periods import last_complete, period_choices, period_parse


class ScopeForm(forms.Form):
    """The dashboard's and the report's choice: council (or all), services, period."""

    council = forms.ModelChoiceField(queryset=None, required=False, empty_label="All councils")
    service = forms.MultipleChoiceField(label="Services", choices=Service.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    period = forms.ChoiceField(choices=())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = councils_visible_to(user=user).order_by("name")
        self.fields["period"].choices = period_choices()
        self.user = user

    def clean_service(self):
        return self.cleaned_data["service"] or list(Service.values)

    def clean_period(self):
        return period_parse(self.cleaned_data["period"])

    def clean(self):
        cleaned = super().clean()
        from accounts import permissions

        if not cleaned.get("council") and not permissions.sees_all_councils(self.user):
            raise forms.ValidationError("Choose your council.")
        return cleaned

    @classmethod
    def initial_for(cls) -> dict:
        return {"period": last_complete("year").key, "service": list(Service.values)}


class PublishForm(forms.Form):
    council = forms.ModelChoiceField(queryset=None, empty_label="Choose the council")
    service = forms.ChoiceField(choices=Service.choices)
    period = forms.ChoiceField(choices=())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = councils_visible_to(user=user).order_by("name")
        self.fields["period"].choices = period_choices()

    def clean_period(self):
        return period_parse(self.cleaned_data["period"])
