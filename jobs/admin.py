from django.contrib import admin
from django_fsm_log.admin import StateLogInline

from common.admin import LabelledListEditableMixin, ReadOnlyAdminMixin

from .models import (
    Assessment,
    Category,
    Classification,
    ConnectionCount,
    Contract,
    FaultType,
    FloodedProperty,
    FloodingEvent,
    Job,
    Letter,
    Priority,
    Resolution,
    ResolutionCode,
    ServiceLevel,
    UpdateOwed,
    Variation,
    Visit,
)


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


class AssessmentInline(_FactInline):
    model = Assessment
    fields = ("at", "fault_type", "weather", "complexity", "expected_completion_at", "flooding_event",
              "habitable_floors", "by", "notes")
    readonly_fields = fields


class VariationInline(_FactInline):
    model = Variation
    fields = ("at", "kind", "reason", "expected_completion_at", "by")
    readonly_fields = fields


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
    inlines = [VisitInline, AssessmentInline, VariationInline, ResolutionInline, ClassificationInline, StateLogInline]


# Field work and customer updates -----------------------------------------------------------

@admin.register(FaultType)
class FaultTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "code", "asks_weather", "is_flooding", "sort_order", "is_active")
    list_filter = ("service", "is_active")


@admin.register(ResolutionCode)
class ResolutionCodeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "service", "sort_order", "is_active")
    list_filter = ("service", "is_active")


class FloodedPropertyInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FloodedProperty
    extra = 0
    fields = ("street_address", "habitable_floors", "job", "recorded_at", "by")
    readonly_fields = fields


@admin.register(FloodingEvent)
class FloodingEventAdmin(admin.ModelAdmin):
    """Events are recorded by crews; here their name, area and end can be put right."""

    list_display = ("name", "council", "area", "started_at", "ended_at")
    list_filter = ("council",)
    readonly_fields = ("created_at", "created_by")
    inlines = [FloodedPropertyInline]


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("job", "status", "pages", "created_at", "rendered_at", "attempts")
    list_filter = ("status",)
    list_select_related = ("job",)


@admin.register(UpdateOwed)
class UpdateOwedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("job", "customer", "reason", "due_at", "cleared_at")
    list_filter = ("reason",)
    list_select_related = ("job", "customer")
