
import django_filters
from django import forms

from accounts import permissions
from accounts.models import Organisation
from accounts.selectors import councils_visible_to
from common.widgets import FastSelect

from .enums import EnquiryStatus, Service
from .models import Enquiry, IssueType
from .selectors import enquiry_search


class EnquiryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search",
                                  widget=forms.TextInput(attrs={"placeholder": "Reference, name, phone or address",
                                                                "type": "search"}))
    status = django_filters.ChoiceFilter(choices=EnquiryStatus.choices, empty_label="Any status", widget=FastSelect)
    council = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(), empty_label="Any council",
                                               widget=FastSelect)
    service = django_filters.ChoiceFilter(choices=Service.choices, empty_label="Any service", widget=FastSelect)
    issue_type = django_filters.ModelChoiceFilter(queryset=IssueType.objects.all(), empty_label="Any issue type",
                                                  widget=FastSelect)
    received_from = django_filters.DateFilter(field_name="received_at", lookup_expr="date__gte", label="Received from",
                                              widget=forms.DateInput(attrs={"type": "date"}))
    received_to = django_filters.DateFilter(field_name="received_at", lookup_expr="date__lte", label="Received to",
                                            widget=forms.DateInput(attrs={"type": "date"}))
    callback_requested = django_filters.BooleanFilter(
        label="Call-back", widget=FastSelect(choices=[("", "Call-back: any"), ("true", "Call-back requested"),
                                                        ("false", "No call-back")]))

    class Meta:
        model = Enquiry
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_customer = permissions.may_search_by_customer(user)
        if not self.by_customer:
            self.filters["q"].extra["widget"] = forms.TextInput(
                attrs={"placeholder": "Reference or address", "type": "search"})
        self.show_council = permissions.sees_all_councils(user)
        if self.show_council:
            self.filters["council"].queryset = councils_visible_to(user=user)
        else:
            del self.filters["council"]

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        return form

    def search(self, queryset, name, value):
        return enquiry_search(queryset, value, by_customer=self.by_customer)
