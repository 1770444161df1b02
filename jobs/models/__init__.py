"""The call ticket (``job``), its append-only facts (``facts``), the crew's field work
(``fieldwork``), customer updates and letters (``updates``) and the reference data (``reference``)."""

from .facts import Classification, Resolution, Visit
from .fieldwork import (
    Assessment,
    FaultType,
    FloodedProperty,
    FloodingEvent,
    JobPhoto,
    ResolutionCode,
    Variation,
)
from .job import Job, JobEvent
from .reference import Category, ConnectionCount, Contract, Priority, ServiceLevel, Targets, targets_for
from .updates import CustomerUpdate, Letter, UpdateOwed, UpdateRecipient

__all__ = [
    "Assessment", "Category", "Classification", "ConnectionCount", "Contract", "CustomerUpdate", "FaultType",
    "FloodedProperty", "FloodingEvent", "Job", "JobEvent", "JobPhoto", "Letter", "Priority", "Resolution",
    "ResolutionCode", "ServiceLevel", "Targets", "UpdateOwed", "UpdateRecipient", "Variation", "Visit",
    "targets_for",
]
