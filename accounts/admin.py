from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Organisation, Suburb, User


class SuburbInline(admin.TabularInline):
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
    list_filter = (
        "organisation",
        "role_call_centre",
        "role_case_manager",
        "role_crew",
        "role_analyst",
        "role_admin",
        "is_active",
    )
    list_select_related = ("organisation",)
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "Organisation and roles",
            {
                "fields": (
                    "organisation",
                    "role_call_centre",
                    "role_case_manager",
                    "role_crew",
                    "role_analyst",
                    "role_admin",
                )
            },
        ),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Organisation and roles", {"fields": ("organisation", "role_call_centre", "role_case_manager",
                                                "role_crew", "role_analyst", "role_admin")}),
    )

    @admin.display(description="roles")
    def role_list(self, obj):
        return ", ".join(role.label for role in obj.roles)
