import django_filters
from django import forms

from accounts import permissions
from accounts.models import Organisation
from accounts.selectors import councils_visible_to
from common.widgets import FastSelect
from enquiries.enums import Service

from .enums import ComplaintStatus, EscalationLevel
from .models import Complaint, ComplaintCategory


class ComplaintFilter(django_filters.FilterSet):
    council = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none(), empty_label="Any council",
                                               widget=FastSelect)
    service = django_filters.ChoiceFilter(choices=Service.choices, empty_label="Any service", widget=FastSelect)
    category = django_filters.ModelChoiceFilter(queryset=ComplaintCategory.objects.all(),
                                                empty_label="Any category", widget=FastSelect)
    level = django_filters.ChoiceFilter(label="Escalation level", choices=EscalationLevel.choices,
                                        empty_label="Any level", widget=FastSelect)
    status = django_filters.ChoiceFilter(label="State", choices=ComplaintStatus.choices, empty_label="Any state",
                                         widget=FastSelect)

    class Meta:
        model = Complaint
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_council = permissions.sees_all_councils(user)
        if self.show_council:
            self.filters["council"].queryset = councils_visible_to(user=user)
        else:
            del self.filters["council"]
        self.filters["category"].queryset = ComplaintCategory.objects.order_by("service", "sort_order", "name")
        self.filters["category"].field.label_from_instance = lambda c: f"{c.get_service_display()}: {c.name}"

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        return form
