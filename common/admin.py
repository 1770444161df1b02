from django.contrib import admin

from .models import ReferenceCounter


class ReadOnlyAdminMixin:
    """Records that change only through the app's services (so every change is logged)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("prefix", "year", "last_value")
