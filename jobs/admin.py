from django.contrib import admin
from django_fsm_log.admin import StateLogInline

from common.admin import LabelledListEditableMixin, ReadOnlyAdminMixin

from .models import Category, Job, Priority


@admin.register(Priority)
class PriorityAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ("name", "label", "is_urgent", "attendance_target_hours", "resolution_target_hours",
                    "business_hours", "is_active")
    list_editable = ("is_active",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "sort_order", "is_active")
    list_filter = ("service", "is_active")


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only here: jobs move through the state machine on the job page, never by hand."""

    list_display = ("reference", "council", "service", "status", "priority", "contractor", "notified_at")
    list_filter = ("status", "service", "council", "contractor")
    search_fields = ("reference",)
    list_select_related = ("council", "priority", "contractor")
    show_full_result_count = False
    inlines = [StateLogInline]
