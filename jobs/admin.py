from django.contrib import admin
from django_fsm_log.admin import StateLogInline

from common.admin import LabelledListEditableMixin, ReadOnlyAdminMixin

from .models import Category, Classification, ConnectionCount, Contract, Job, Priority, Resolution, ServiceLevel, Visit


@admin.register(Priority)
class PriorityAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ("name", "label", "is_urgent", "attendance_target_hours", "resolution_target_hours",
                    "business_hours", "is_active")
    list_editable = ("is_active",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "kpi_class", "sort_order", "is_active")
    list_filter = ("service", "kpi_class", "is_active")


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    """A council's own targets (its Long-Term Plan) in place of a priority's defaults."""

    list_display = ("council", "service", "priority", "attendance_target_hours", "resolution_target_hours",
                    "business_hours")
    list_filter = ("council", "service")
    list_select_related = ("council", "priority")


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("council", "service", "contractor", "is_usual")
    list_filter = ("council", "service", "contractor")
    list_select_related = ("council", "contractor")


@admin.register(ConnectionCount)
class ConnectionCountAdmin(admin.ModelAdmin):
    list_display = ("council", "service", "financial_year", "connections")
    list_filter = ("financial_year", "service", "council")
    list_select_related = ("council",)


class _FactInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0


class VisitInline(_FactInline):
    model = Visit
    fields = ("arrived_at", "left_at", "by", "recorded_at", "backdate_reason")
    readonly_fields = fields


class ResolutionInline(_FactInline):
    model = Resolution
    fields = ("resolved_at", "by", "recorded_at", "backdate_reason", "note")
    readonly_fields = fields


class ClassificationInline(_FactInline):
    model = Classification
    fields = ("at", "category", "priority", "is_urgent", "kpi_class", "by", "reason")
    readonly_fields = fields


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only here: jobs move through the state machine on the job page, never by hand."""

    list_display = ("reference", "council", "service", "status", "priority", "is_urgent", "kpi_class", "contractor",
                    "notified_at")
    list_filter = ("status", "service", "kpi_class", "excluded_from_measures", "council", "contractor")
    search_fields = ("reference",)
    list_select_related = ("council", "priority", "contractor")
    show_full_result_count = False
    inlines = [VisitInline, ResolutionInline, ClassificationInline, StateLogInline]
