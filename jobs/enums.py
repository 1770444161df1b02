from django.db import models


class Stage(models.TextChoices):
    ENQUIRY = "enquiry", "Enquiry"
    UPDATES = "updates", "Updates"
    MANAGE = "manage", "Manage"
    CLOSE = "close", "Close"
    REPORTING = "reporting", "Reporting"


class JobStatus(models.TextChoices):
    LOGGED = "logged", "Logged"
    TRIAGED = "triaged", "Triaged"
    ALLOCATED = "allocated", "Allocated"
    DISPATCHED = "dispatched", "Dispatched"
    ATTENDED = "attended", "Attended"
    ASSESSED = "assessed", "Assessed"
    IN_REPAIR = "in_repair", "In repair"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    REPORTED = "reported", "Reported"
    CANCELLED = "cancelled", "Cancelled"


# The stage is derived from the status, never stored.
STAGE_OF_STATUS = {
    JobStatus.LOGGED: Stage.ENQUIRY,
    JobStatus.TRIAGED: Stage.ENQUIRY,
    JobStatus.ALLOCATED: Stage.ENQUIRY,
    JobStatus.DISPATCHED: Stage.ENQUIRY,
    JobStatus.ATTENDED: Stage.UPDATES,
    JobStatus.ASSESSED: Stage.UPDATES,
    JobStatus.IN_REPAIR: Stage.MANAGE,
    JobStatus.COMPLETED: Stage.MANAGE,
    JobStatus.CLOSED: Stage.CLOSE,
    JobStatus.REPORTED: Stage.REPORTING,
    JobStatus.CANCELLED: None,
}

OPEN_STATUSES = (
    JobStatus.LOGGED,
    JobStatus.TRIAGED,
    JobStatus.ALLOCATED,
    JobStatus.DISPATCHED,
    JobStatus.ATTENDED,
    JobStatus.ASSESSED,
    JobStatus.IN_REPAIR,
    JobStatus.COMPLETED,
)
# Until the crew arrives, the attendance target is the one that matters.
AWAITING_ATTENDANCE = (JobStatus.LOGGED, JobStatus.TRIAGED, JobStatus.ALLOCATED, JobStatus.DISPATCHED)
# Work still to do before the resolution target is met.
AWAITING_RESOLUTION = AWAITING_ATTENDANCE + (JobStatus.ATTENDED, JobStatus.ASSESSED, JobStatus.IN_REPAIR)
TO_TRIAGE = (JobStatus.LOGGED, JobStatus.TRIAGED)
CREW_VISIBLE_STATUSES = (
    JobStatus.DISPATCHED,
    JobStatus.ATTENDED,
    JobStatus.ASSESSED,
    JobStatus.IN_REPAIR,
    JobStatus.COMPLETED,
    JobStatus.CLOSED,
    JobStatus.REPORTED,
    JobStatus.CANCELLED,
)
CREW_ACTIVE_STATUSES = (JobStatus.DISPATCHED, JobStatus.ATTENDED, JobStatus.ASSESSED, JobStatus.IN_REPAIR)


class JobEventKind(models.TextChoices):
    NOTE = "note", "Internal note"
    ENQUIRY_LINKED = "enquiry_linked", "Enquiry linked"
    ENQUIRY_UNLINKED = "enquiry_unlinked", "Enquiry unlinked"
    LOCATION_CHANGED = "location_changed", "Location changed"
    SERVICE_CHANGED = "service_changed", "Service changed"
    RECLASSIFIED = "reclassified", "Reclassified after arrival"
    MERGED_IN = "merged_in", "Duplicate job merged in"
    EXCLUDED = "excluded", "Excluded from measures"
    INCLUDED = "included", "Included in measures again"
    UNMERGED = "unmerged", "Duplicate job unmerged"
    VARIATION = "variation", "Variation"
    CUSTOMER_UPDATE = "customer_update", "Customer update"
    PHOTOS = "photos", "Photos added"
    SITE_CONTACT = "site_contact", "Site contact"


class JobSource(models.TextChoices):
    """How the utility learned of the fault."""

    CUSTOMER = "customer", "Customer enquiry"
    STAFF = "staff", "Found by staff"
    TELEMETRY = "telemetry", "Network telemetry"


class KpiClass(models.TextChoices):
    """Which DIA call-out measure a job feeds, fixed from its category when categorised."""

    WATER_FAULT = "water_fault", "Water supply fault or unplanned interruption"
    WASTEWATER_OVERFLOW = "wastewater_overflow", "Wastewater overflow: blockage or other fault"
    STORMWATER_FLOODING = "stormwater_flooding", "Stormwater flooding event"
    NOT_CALLOUT = "not_callout", "Not a call-out (e.g. planned work)"


class CancelReason(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate of another job"
    MERGED = "merged", "Merged into another job"
    NO_FAULT = "no_fault", "No fault found"
    NOT_OUR_ASSET = "not_our_asset", "Private or third-party asset"
    CUSTOMER_WITHDREW = "customer_withdrew", "Customer withdrew the request"
    OTHER = "other", "Other"


class Complexity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Weather(models.TextChoices):
    """For wastewater overflows: the DIA counts dry-weather overflows."""

    DRY = "dry", "Dry weather"
    WET = "wet", "Wet weather"


class VariationKind(models.TextChoices):
    SCOPE = "scope", "Scope"
    TIMEFRAME = "timeframe", "Timeframe"
    BOTH = "both", "Scope and timeframe"


class UpdateReason(models.TextChoices):
    ASSESSMENT = "assessment", "After the assessment"
    VARIATION = "variation", "After a variation"
    OTHER = "other", "Other"


class LetterStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


PHOTO_STAGES = ("assessment", "repair", "variation", "completion")
