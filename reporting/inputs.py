"""What the measures read from the later stages' apps, in one place.

The crew's assessment (issue 9: fault type, wet or dry weather, flooding events with the
habitable floors affected per property), complaints (stage 3) and feedback (stage 4) come
from their own apps. Each reader here says whether its source is there yet; until it is, the
measure falls back to the job's DIA measure (``Job.kpi_class``) and says so on the report.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from jobs.enums import KpiClass
from jobs.models import Job

AWAITS_FIELDWORK = "Needs the crew's assessment of fault type and weather (issue 9): not yet recorded."


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


# Fieldwork (issue 9) -------------------------------------------------------------------

def fieldwork_ready() -> bool:
    return _has_field(Job, "fault_type")


def fault_columns() -> list[str]:
    """Extra values read with each job for the assessment-based measures."""
    return []


def fault_of(values: dict) -> dict:
    return values


def is_overflow_fault(row) -> bool:
    """Wastewater medians count overflows caused by a blockage or other fault. Until the
    assessment records the fault type, every job in the overflow measure counts."""
    return True


def is_dry_weather(row) -> bool:
    return bool(row.fault.get("dry_weather"))


def flooding_events(rows) -> int:
    """Until flooding events are recorded (issue 9), each flooding job is one event."""
    return sum(1 for r in rows if r.kpi_at_arrival == KpiClass.STORMWATER_FLOODING and not r.excluded)


def habitable_floors(rows) -> int | None:
    """Habitable floors affected, each property once per event; None until recorded (issue 9)."""
    return None


# Complaints (stage 3) -----------------------------------------------------------------

def complaint_model():
    model = _model("complaints", "Complaint")
    return model if model is not None and _has_field(model, "category") else None


def complaints_ready() -> bool:
    return complaint_model() is not None


def dia_complaints(*, period, council_ids=None):
    """Complaints in a DIA category received in the period, except those raised on an enquiry
    that the period already counts (each complaint counted once)."""
    Complaint = complaint_model()
    found = Complaint.objects.exclude(category__dia_measure="").filter(
        received_at__gte=period.start, received_at__lt=period.end)
    if council_ids is not None:
        found = found.filter(council_id__in=list(council_ids))
    return found.exclude(
        enquiry__isnull=False, enquiry__issue_type__dia_category__gt="",
        enquiry__received_at__gte=period.start, enquiry__received_at__lt=period.end)


# Feedback (stage 4) -------------------------------------------------------------------

def feedback_model():
    return _model("feedback", "Feedback")


def feedback_ready() -> bool:
    model = feedback_model()
    return model is not None and _has_field(model, "score")


def feedback_scores(*, period, council_ids=None, services=None) -> dict | None:
    """Average feedback score overall and per stage asked about; None until stage 4 records feedback."""
    if not feedback_ready():
        return None
    return None
