from django.contrib import admin
from django_fsm_log.admin import StateLogInline

from common.admin import ReadOnlyAdminMixin

from .models import Complaint, ComplaintCategory, ComplaintCause, ComplaintServiceLevel


@admin.register(ComplaintServiceLevel)
class ComplaintServiceLevelAdmin(admin.ModelAdmin):
    list_display = ("name", "acknowledge_business_days", "resolve_business_days", "is_default")


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "dia_measure", "service_level", "sort_order", "is_active")
    list_filter = ("service", "dia_measure", "is_active")
    list_select_related = ("service_level",)


@admin.register(ComplaintCause)
class ComplaintCauseAdmin(admin.ModelAdmin):
    list_display = ("name", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only here: complaints move through the state machine on the complaint page, never by hand."""

    list_display = ("reference", "council", "service", "category", "status", "level", "owner", "received_at")
    list_filter = ("status", "level", "service", "council")
    search_fields = ("reference",)
    list_select_related = ("council", "category", "owner")
    show_full_result_count = False
    inlines = [StateLogInline]
