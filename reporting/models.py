"""Reports: trend reports built by a Celery task, and published periods with their frozen figures."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone

from enquiries.enums import Service

from .enums import ReportKind, ReportStatus
from .periods import Period, period_parse


def reports_storage():
    return FileSystemStorage(location=settings.REPORTS_ROOT)


class Report(models.Model):
    """One report run: who asked, for which council, services and period, and its file.

    A publication is a report run too: its ``figures`` are the measures as published, kept
    as they were; a later re-run of the same period is compared against them, never written
    over them.
    """

    reference = models.CharField(max_length=20, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=ReportKind.choices, default=ReportKind.ON_DEMAND)
    council = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="reports", help_text="Empty: every council together.")
    services = models.JSONField(default=list, help_text="Service codes; the report covers each.")
    period_key = models.CharField("period", max_length=12, help_text="FY2025, FY2025-Q2 or 2025-10.")
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, for the page to show.")
    progress_note = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="%Y/", storage=reports_storage, blank=True)
    figures = models.JSONField(default=dict, blank=True,
                               help_text="The measures as computed (as published, for a publication).")
    jobs_reported = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", help_text="Empty for a scheduled report.")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["-requested_at", "-id"], name="report_newest")]
        constraints = [
            # One publication per council, service set and period: publishing twice is refused.
            models.UniqueConstraint(fields=["council", "period_key", "services"],
                                    condition=models.Q(kind=ReportKind.PUBLICATION), name="report_one_publication"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def period(self) -> Period:
        return period_parse(self.period_key)

    @property
    def service_labels(self) -> str:
        return ", ".join(Service(s).label for s in self.services)

    @property
    def council_label(self) -> str:
        return self.council.name if self.council_id else "All councils"

    @property
    def title(self) -> str:
        return f"{self.council_label}: {self.service_labels.lower()}, {self.period.label}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)


class ReportSubscription(models.Model):
    """An analyst who gets an e-mail with the link when a scheduled report is ready."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    council = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", help_text="Empty: every council's reports.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "council"], name="report_subscription_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.council or 'all councils'})"


class DashboardSnapshot(models.Model):
    """The dashboard's content for one scope (a council or all, the services, the period) as
    computed at ``computed_at``: shown instead of recomputing ~240,000 jobs' figures on every
    page view. Refreshed by a periodic task for the common scopes, and on demand when missing or
    older than ``REPORTING_SNAPSHOT_MINUTES``. A cache of derived figures, never a published one:
    a publication's figures live on its ``Report``."""

    key = models.CharField(max_length=120, unique=True, help_text="Council (or all), period and services.")
    council = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", help_text="Empty: every council together.")
    services = models.JSONField(default=list)
    period_key = models.CharField("period", max_length=12)
    content = models.JSONField(default=dict)
    html = models.TextField(blank=True, help_text="The dashboard's figures as rendered from the content "
                                                  "(templates/reporting/_figures.html).")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0, help_text="How long computing the figures took.")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class MeasureMonth(models.Model):
    """One council's, service's and month's measure tallies before their medians are taken
    (``reporting.fast.Chunk``), so a year's measures add up twelve stored months rather than
    reading a quarter of a million jobs. Exact, never a cache that may be stale: on PostgreSQL
    every change to what the measures read is logged by triggers (``MeasureChange``), and a
    month is used only while the database snapshot it was computed from saw every change logged
    against it (``reporting.rollups``). Derived data: delete any row and it is computed again."""

    council = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    service = models.CharField(max_length=20, choices=Service.choices)
    month = models.DateField(help_text="The month's first day, New Zealand time.")
    snapshot = models.TextField(help_text="The PostgreSQL snapshot (pg_snapshot) the tallies were read in.")
    epoch = models.BigIntegerField(null=True, help_text="MeasureEpoch.n when they were read.")
    counts = models.JSONField(default=dict)
    seconds = models.BinaryField(default=bytes, help_text="Each median's values, ascending, as float8send.")
    computed_at = models.DateTimeField(default=timezone.now)
    seal = models.TextField(blank=True, editable=False,
                            help_text="Written by the month's own trigger: the cluster and the row, digested.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["council", "month", "service"], name="measure_month_unique")]

    def __str__(self) -> str:
        return f"{self.council_id} {self.service} {self.month:%Y-%m}"


class MeasureChange(models.Model):
    """Written by a trigger when a job, a classification or an assessment changes: this
    transaction (``xid``) changed what a council's month of measures reads. Deleted once a
    stored month computed from a snapshot that sees the change replaces the one before it."""

    council_id = models.BigIntegerField()
    month = models.DateField()
    xid = models.BigIntegerField(help_text="pg_current_xact_id() of the changing transaction.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["council_id", "month", "xid"], name="measure_change_unique")]

    def __str__(self) -> str:
        return f"{self.council_id} {self.month:%Y-%m} by {self.xid}"


class MeasureEpoch(models.Model):
    """One row (id 1; none reads as 0), bumped by a trigger on a change that touches every month
    at once (a fault type's service, a truncated table): a stored month from another epoch is
    not used."""

    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"epoch {self.n}"
