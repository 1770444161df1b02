"""The crew's field work: what was found (assessment), flooding events, variations and photos.

``Assessment``, ``Variation`` and ``FloodedProperty`` are append-only facts (a measure reads the
weather flag of an overflow and the habitable floors of a flooding event); a correction is a new
row. On PostgreSQL a trigger refuses any UPDATE or DELETE of them (see ``facts``).
A flooding event spans several jobs: each affected property is counted once per event
(``FloodedProperty`` is unique per event and property), however many jobs report it.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from common.history import append_only_triggers
from enquiries.enums import Service

from ..enums import Complexity, VariationKind, Weather
from .facts import _AppendOnly


def _private_storage():
    return storages["private"]


class FaultType(models.Model):
    """What the crew found, per service (reference data)."""

    service = models.CharField(max_length=20, choices=Service.choices)
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    asks_weather = models.BooleanField(
        "asks wet or dry weather", default=False,
        help_text="An overflow: the crew says whether it was wet or dry weather (the DIA dry-weather measure).")
    is_flooding = models.BooleanField(
        "a flooding event", default=False,
        help_text="The crew records the flooding event and the habitable floors affected.")
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="fault_type_unique_per_service")]

    def __str__(self) -> str:
        return self.name


class ResolutionCode(models.Model):
    """How the job was resolved (reference data); blank service means every service."""

    service = models.CharField(max_length=20, choices=Service.choices, blank=True)
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class FloodingEvent(models.Model):
    """One flooding event (a storm), which may span many jobs and properties."""

    council = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="flooding_events")
    name = models.CharField(max_length=120, help_text="e.g. 'Storm of 12 March, Kilbirnie'.")
    area = models.CharField(max_length=200, help_text="Where: suburbs or streets affected.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({timezone.localtime(self.started_at):%d/%m/%Y})"


class FloodedProperty(_AppendOnly):
    """A property whose habitable floors a flooding event affected: counted once per event."""

    event = models.ForeignKey(FloodingEvent, on_delete=models.PROTECT, related_name="properties")
    property_key = models.CharField(max_length=200, help_text="The address, normalised.")
    street_address = models.CharField(max_length=200)
    habitable_floors = models.PositiveSmallIntegerField()
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="flooded_properties",
                            help_text="The job that first recorded it.")
    recorded_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")

    class Meta:
        ordering = ["event", "street_address"]
        verbose_name_plural = "flooded properties"
        constraints = [models.UniqueConstraint(fields=["event", "property_key"], name="flooded_property_once")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.street_address}: {self.habitable_floors} habitable floor(s)"


class Assessment(_AppendOnly):
    """'Record assessment': what the crew found. The latest row is the one in force."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="assessments")
    fault_type = models.ForeignKey(FaultType, on_delete=models.PROTECT, related_name="+")
    weather = models.CharField(max_length=5, choices=Weather.choices, blank=True)
    complexity = models.CharField(max_length=10, choices=Complexity.choices)
    expected_completion_at = models.DateTimeField()
    # Two kinds of words, kept apart: notes are for staff (access, hazards, neighbours); the
    # public summary is what a customer may read, and the only text customer updates start from.
    notes = models.TextField(blank=True, help_text="Internal: staff only, never sent to a customer.")
    public_summary = models.TextField(blank=True, help_text="What customers may read about what was found.")
    flooding_event = models.ForeignKey(FloodingEvent, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="assessments")
    habitable_floors = models.PositiveSmallIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="assessment_job_at")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.job_id} {self.fault_type}"


class Variation(_AppendOnly):
    """'Record variation': the scope or the timeframe changed; a job may have many."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="variations")
    kind = models.CharField(max_length=10, choices=VariationKind.choices)
    reason = models.TextField(help_text="Internal: staff only, never sent to a customer.")
    public_reason = models.TextField(blank=True, help_text="What customers may read about the change.")
    expected_completion_at = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="variation_job_at")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.job_id} variation ({self.get_kind_display()})"


def _photo_path(photo, filename: str) -> str:
    return f"jobs/{photo.job_id}/photos/{filename}"


class JobPhoto(models.Model):
    """A photo from the crew's phone: private storage, location stripped, served through a scoped view."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(storage=_private_storage, upload_to=_photo_path, max_length=300)
    thumbnail = models.FileField(storage=_private_storage, upload_to=_photo_path, max_length=300)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    stage = models.CharField(max_length=20, help_text="The step it was taken at: assessment, completion, ...")
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["job", "uploaded_at"], name="photo_job_uploaded")]

    def __str__(self) -> str:
        return f"{self.job_id} photo {self.pk}"
