"""Facts a measure may have read: append-only rows. A correction is a new row, never an edit.

- ``Visit``: each arrival on site. The job's ``attended_at`` (the DIA attendance time) is the
  first visit's arrival; a revisit after a reopen is kept beside it.
- ``Resolution``: each confirmed resolution. A reopen keeps the earlier ones. The resolution
  the measures use is the **last** one (``Job.completed_at``): a reopen says the fault was not
  in fact resolved, so the customer waited until the final confirmed resolution. The earlier
  resolution times stay here for audit.
- ``Classification``: each categorisation, with the urgency and the DIA measure (KPI class)
  stamped from the priority and category at that moment. Editing the reference data later
  never reclassifies a job; a measure reads the classification in force when its event
  happened (arrival for attendance, resolution for resolution time).

Append-only is enforced twice: ``save()`` and ``delete()`` refuse on every database, and on
PostgreSQL a trigger refuses UPDATE and DELETE of the rows however they are issued
(``QuerySet.update()``, ``QuerySet.delete()``, raw SQL): see ``common.history``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.history import append_only_triggers

from ..enums import KpiClass


class _AppendOnly(models.Model):
    """Saved once; a second save of the same row is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only: record a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only.")


class Visit(_AppendOnly):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="visits")
    arrived_at = models.DateTimeField("arrived on site")
    left_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", help_text="Who recorded it; empty for the system.")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    backdate_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["arrived_at", "id"]
        indexes = [models.Index(fields=["job", "arrived_at"], name="visit_job_arrived")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.job_id} arrived {self.arrived_at:%Y-%m-%d %H:%M}"


class Resolution(_AppendOnly):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="resolutions")
    resolved_at = models.DateTimeField("resolution confirmed")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    backdate_reason = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    code = models.ForeignKey("jobs.ResolutionCode", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name="resolution code")

    class Meta:
        ordering = ["resolved_at", "id"]
        indexes = [models.Index(fields=["job", "resolved_at"], name="resolution_job_resolved")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.job_id} resolved {self.resolved_at:%Y-%m-%d %H:%M}"


class Classification(_AppendOnly):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="classifications")
    at = models.DateTimeField(default=timezone.now)
    category = models.ForeignKey("jobs.Category", on_delete=models.PROTECT, related_name="+")
    priority = models.ForeignKey("jobs.Priority", on_delete=models.PROTECT, related_name="+")
    is_urgent = models.BooleanField()
    kpi_class = models.CharField(max_length=30, choices=KpiClass.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="classification_job_at")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.job_id} {'urgent' if self.is_urgent else 'non-urgent'} {self.kpi_class}"
