from django.contrib import admin

from .models import DashboardSnapshot, Report, ReportSubscription


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["reference", "kind", "council", "period_key", "status", "requested_by", "requested_at"]
    list_filter = ["kind", "status", "council"]
    search_fields = ["reference"]
    readonly_fields = [f.name for f in Report._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # published figures stay as they were published


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "council"]
    autocomplete_fields = ["user"]


@admin.register(DashboardSnapshot)
class DashboardSnapshotAdmin(admin.ModelAdmin):
    """Read-only: a snapshot is computed, never edited; deleting one makes the next view compute it."""

    list_display = ["key", "computed_at", "seconds"]
    list_filter = ["period_key", "council"]
    exclude = ["content"]
    readonly_fields = ["key", "council", "services", "period_key", "computed_at", "seconds"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
