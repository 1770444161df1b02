from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from common.admin import LabelledTabularInline

from .enums import ROLE_FIELDS as ROLE_FIELD_OF
from .models import Organisation, Suburb, User

ROLE_FIELDS = tuple(ROLE_FIELD_OF.values())


class SuburbInline(LabelledTabularInline):
    model = Suburb
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "short_code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_code")
    inlines = [SuburbInline]


@admin.register(Suburb)
class SuburbAdmin(admin.ModelAdmin):
    list_display = ("name", "council")
    list_filter = ("council",)
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "organisation", "role_list", "is_active")
    list_filter = ("organisation", *ROLE_FIELDS, "is_active")
    list_select_related = ("organisation",)
    fieldsets = BaseUserAdmin.fieldsets + (("Organisation and roles", {"fields": ("organisation", *ROLE_FIELDS)}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Organisation and roles", {"fields": ("organisation", *ROLE_FIELDS)}),
    )

    def has_delete_permission(self, request, obj=None):
        # A user who ever acted is named in the append-only history (the state log, facts), which
        # the database refuses to change: people who leave are made inactive, never deleted.
        return False

    @admin.display(description="roles")
    def role_list(self, obj):
        return ", ".join(role.label for role in obj.roles)
