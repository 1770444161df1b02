class ReadOnlyAdminMixin:
    """Records that change only through the app's services (so every change is logged)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
