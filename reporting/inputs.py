"""What the measures read from the later stages' apps, in one place.

The crew's assessment (issue 9: fault type, wet or dry weather, flooding events with the
habitable floors affected per property), complaints (stage 3) and feedback (stage 4) come
from their own apps. Each reader here says whether its source is there yet; until it is, the
measure falls back to the job's DIA measure (``Job.kpi_class``) and says so on the report.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from jobs.enums import CancelReason, KpiClass

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
# The crew's assessment in force is the latest ``jobs.Assessment`` row: its fault type (a
# wastewater fault type is an overflow, a blockage or another fault), its weather (the
# dry-weather measure) and its flooding event with the habitable floors per property.

def assessment_model():
    return _model("jobs", "Assessment")


def fieldwork_ready() -> bool:
    return assessment_model() is not None


def fault_annotations() -> dict:
    """Values read with each job from its latest assessment (none until issue 9 is there)."""
    Assessment = assessment_model()
    if Assessment is None:
        return {}
    from django.db.models import OuterRef, Subquery

    latest = Assessment.objects.filter(job=OuterRef("pk")).order_by("-at", "-id")
    return {
        "fault_service": Subquery(latest.values("fault_type__service")[:1]),
        "fault_weather": Subquery(latest.values("weather")[:1]),
        "fault_event": Subquery(latest.values("flooding_event_id")[:1]),
        "fault_floors": Subquery(latest.values("habitable_floors")[:1]),
    }


def fault_columns() -> list[str]:
    return list(fault_annotations())


def is_overflow_fault(row) -> bool:
    """Wastewater medians count overflows caused by a blockage or other fault: a job whose
    assessed fault type is a wastewater one (overflow, blockage, other fault). A job not yet
    assessed counts by its DIA measure alone."""
    service = row.fault.get("fault_service")
    return service is None or service == "wastewater"


# An exclusion whose reason says the asset is not the council's takes the job out of the event
# counts too. The reason is the case manager's text (``Job.excluded_reason``); it says so when it
# starts with the cancel reason's code or label (``CancelReason.NOT_OUR_ASSET``).
NOT_OUR_ASSET_PREFIXES = tuple(p.lower() for p in (CancelReason.NOT_OUR_ASSET.label, CancelReason.NOT_OUR_ASSET.value))


def not_our_asset(reason: str) -> bool:
    return (reason or "").lower().startswith(NOT_OUR_ASSET_PREFIXES)


def not_our_asset_sql(column: str) -> str:
    """``not_our_asset`` in SQL, over a text column (the prefixes are code constants)."""
    return "(" + " OR ".join(f"left(lower({column}), {len(p)}) = '{p}'" for p in NOT_OUR_ASSET_PREFIXES) + ")"


def is_dry_weather(row) -> bool:
    return row.fault.get("fault_weather") == "dry"


def flooding_rows(rows):
    """The flooding jobs the event counts keep: by the job's one DIA measure, every job but one
    excluded as not the council's asset."""
    return [r for r in rows if r.kpi_class == KpiClass.STORMWATER_FLOODING and r.in_events]


def flooding_events(rows) -> int:
    """Recorded flooding events among the jobs (an event spanning several jobs counts once),
    plus each flooding job with no event recorded as its own event."""
    flooding = flooding_rows(rows)
    events = {r.fault.get("fault_event") for r in flooding if r.fault.get("fault_event")}
    return len(events) + sum(1 for r in flooding if not r.fault.get("fault_event"))


def habitable_floors(rows) -> int | None:
    """Habitable floors affected: each property once per event (``FloodedProperty``), plus the
    floors on the assessment of a flooding job with no event; None until issue 9 is there."""
    if not fieldwork_ready():
        return None
    flooding = flooding_rows(rows)
    events = {r.fault.get("fault_event") for r in flooding if r.fault.get("fault_event")}
    floors = sum(r.fault.get("fault_floors") or 0 for r in flooding if not r.fault.get("fault_event"))
    if events:
        from django.db.models import Sum

        FloodedProperty = _model("jobs", "FloodedProperty")
        floors += FloodedProperty.objects.filter(event_id__in=events).aggregate(n=Sum("habitable_floors"))["n"] or 0
    return floors


# Complaints (stage 3) -----------------------------------------------------------------

def complaint_model():
    model = _model("complaints", "Complaint")
    return model if model is not None and _has_field(model, "category") else None


def complaints_ready() -> bool:
    return complaint_model() is not None


# The rules' "response to any of these" categories (water 4(f), wastewater 4(d)).
RESPONSE_CATEGORIES = ("water_response", "wastewater_response")


def dia_complaints(*, period, council_ids=None):
    """Complaints in a DIA category received in the period, each counted once: one raised on an
    enquiry the period already counts is not counted again, unless it is about our response and
    its enquiry was counted under another matter (it then counts under "response")."""
    from django.db.models import F, Q

    Complaint = complaint_model()
    found = Complaint.objects.exclude(category__dia_measure="").filter(
        received_at__gte=period.start, received_at__lt=period.end)
    if council_ids is not None:
        found = found.filter(council_id__in=list(council_ids))
    enquiry_counted = Q(enquiry__isnull=False, enquiry__issue_type__dia_category__gt="",
                        enquiry__received_at__gte=period.start, enquiry__received_at__lt=period.end)
    same_matter = ~Q(category__dia_measure__in=RESPONSE_CATEGORIES) | Q(
        category__dia_measure=F("enquiry__issue_type__dia_category"))
    return found.exclude(enquiry_counted & same_matter)


# Feedback (stage 4) -------------------------------------------------------------------
# ``feedback.Feedback``: overall satisfaction, timeliness and communication, each 1 to 5.

FEEDBACK_QUESTIONS = [
    ("overall", "Overall satisfaction"),
    ("timeliness", "Timeliness of the work (the Manage stage)"),
    ("communication", "Customer updates (the Updates stage)"),
]


def feedback_model():
    return _model("feedback", "Feedback")


def feedback_ready() -> bool:
    model = feedback_model()
    return model is not None and _has_field(model, "overall")


def feedback_scores(*, period, council_ids=None, services=None) -> dict | None:
    """Average scores for feedback given in the period, per question; the worst-rated stage is
    the lowest of timeliness and communication. None until stage 4 records feedback."""
    if not feedback_ready():
        return None
    from django.db.models import Avg, Count

    given = feedback_model().objects.filter(given_at__gte=period.start, given_at__lt=period.end)
    if council_ids is not None:
        given = given.filter(job__council_id__in=list(council_ids))
    if services is not None:
        given = given.filter(job__service__in=list(services))
    figures = given.aggregate(count=Count("id"), **{name: Avg(name) for name, _label in FEEDBACK_QUESTIONS})
    if not figures["count"]:
        return None
    rows = [{"label": label, "average": figures[name], "count": figures["count"]}
            for name, label in FEEDBACK_QUESTIONS]
    worst = min(rows[1:], key=lambda r: r["average"])
    return {"count": figures["count"], "scale": 5, "rows": rows, "worst_stage": worst}
