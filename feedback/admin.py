from django.contrib import admin

from common.admin import ReadOnlyAdminMixin

from .models import CallBack, CallBackAttempt, Feedback, FeedbackRequest


class CallBackAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CallBackAttempt
    fields = ("number", "outcome", "at", "by", "note")
    readonly_fields = fields
    extra = 0


@admin.register(CallBack)
class CallBackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: call-backs change only through "Record call-back" (every attempt kept and logged)."""

    list_display = ("enquiry", "job", "council", "status", "due_at", "attempts", "outcome")
    list_filter = ("status", "outcome", "council")
    list_select_related = ("enquiry", "job", "council")
    search_fields = ("enquiry__reference", "job__reference")
    inlines = [CallBackAttemptInline]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("job", "channel", "sent_at", "expires_at", "reminder_sent_at", "answered_at")
    list_filter = ("channel",)
    list_select_related = ("job",)
    search_fields = ("job__reference",)
    exclude = ("code",)  # the code opens the customer's feedback form: not shown to staff here


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("job", "source", "overall", "timeliness", "communication", "fixed", "given_at")
    list_filter = ("source", "fixed", "overall")
    list_select_related = ("job",)
    search_fields = ("job__reference",)
