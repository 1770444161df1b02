from django.conf import settings
from django.db import models
from django.utils import timezone


class ReferenceCounter(models.Model):
    """The last number handed out per prefix and year: references are never reused."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="common_reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


class FormSubmission(models.Model):
    """A create form's one-time token, claimed in the transaction that acts on it.

    The unique token makes a second POST of the same form (a double click, a browser
    retry) find the first one's row instead of creating again; ``result_url`` and
    ``result_label`` say where the first one's result is. See ``common.submissions``.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    result_url = models.CharField(max_length=300)
    result_label = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"{self.result_label} ({self.user}, {self.submitted_at:%Y-%m-%d %H:%M})"
