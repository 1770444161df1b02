from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import Truncator
from django_fsm_log.admin import StateLogInline

from .enums import OutboxStatus
from .models import OutboxMessage, ReferenceCounter
from .outbox import outbox_retry


def _labelled(form_class, name_of_row):
    """The form with an aria-label on every input: the admin's table columns have no <label>."""

    class LabelledForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            row = name_of_row(self)
            for field in self.fields.values():
                label = str(field.label or "")
                field.widget.attrs.setdefault("aria-label", f"{label} of {row}" if row else label)

    LabelledForm.__name__ = form_class.__name__
    return LabelledForm


class LabelledListEditableMixin:
    """Editable list columns get a label each ("Sort order of Leak"), for screen readers and axe."""

    def get_changelist_form(self, request, **kwargs):
        return _labelled(super().get_changelist_form(request, **kwargs), lambda form: str(form.instance))


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs are labelled by column and row ("Name of new suburb")."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        verbose = self.model._meta.verbose_name
        formset.form = _labelled(formset.form,
                                 lambda form: str(form.instance) if form.instance.pk else f"new {verbose}")
        return formset


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every e-mail and SMS and where its delivery stands; "Retry" for those that failed for good."""

    list_display = ("created_at", "channel", "recipient", "subject", "status", "attempts", "last_attempt_at",
                    "next_attempt_at", "short_error")
    list_filter = ("status", "channel")
    search_fields = ("recipient", "subject", "key")
    readonly_fields = ("key", "channel", "recipient", "subject", "body", "status", "about_type", "about_id",
                       "created_at", "next_attempt_at", "attempts", "last_attempt_at", "sent_at", "claim",
                       "last_error")
    exclude = ("html_body", "attachments")
    show_full_result_count = False
    actions = ["retry_messages"]
    inlines = [StateLogInline]

    @admin.display(description="last error")
    def short_error(self, message):
        return Truncator(message.last_error).chars(80)

    @admin.action(description="Retry the selected failed messages")
    def retry_messages(self, request, queryset):
        retried, refused = 0, 0
        for message in queryset.filter(status=OutboxStatus.FAILED):
            try:
                outbox_retry(message=message, by=request.user)
            except (PermissionDenied, ValidationError):
                refused += 1
            else:
                retried += 1
        skipped = queryset.exclude(status=OutboxStatus.FAILED).count()
        self.message_user(request, f"{retried} queued again."
                                   + (f" {refused} refused." if refused else "")
                                   + (f" {skipped} not failed, left as they are." if skipped else ""))
