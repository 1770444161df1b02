from django.contrib import admin
from django_fsm_log.admin import StateLogInline

from common.admin import LabelledListEditableMixin, ReadOnlyAdminMixin

from .models import Customer, Enquiry, IssueType, PersonalDataAccess


@admin.register(IssueType)
class IssueTypeAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ("name", "service", "code", "dia_category", "duplicate_radius_m", "is_urgent", "sort_order",
                    "is_active")
    list_filter = ("service", "dia_category", "is_urgent", "is_active")
    list_editable = ("duplicate_radius_m", "is_urgent", "sort_order", "is_active")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "council", "phone", "email", "preferred_channel")
    list_filter = ("council", "preferred_channel")
    search_fields = ("name", "phone", "email")
    list_select_related = ("council",)
    show_full_result_count = False


@admin.register(Enquiry)
class EnquiryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only here: enquiries change through the app's screens, so every change is logged."""

    list_display = ("reference", "council", "service", "issue_type", "status", "received_at")
    list_filter = ("status", "service", "council")
    search_fields = ("reference",)
    list_select_related = ("council", "issue_type")
    show_full_result_count = False
    inlines = [StateLogInline]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who was shown which customer's personal data (Privacy Act 2020): read-only, append-only."""

    list_display = ("at", "user", "customer", "page", "reference", "client_ip")
    list_filter = ("page",)
    search_fields = ("reference", "user__username", "customer__name")
    list_select_related = ("user", "customer")
    date_hierarchy = "at"
    show_full_result_count = False
