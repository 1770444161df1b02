"""The call ticket (``job``), its append-only facts (``facts``) and the reference data (``reference``)."""

from .facts import Classification, Resolution, Visit
from .job import Job, JobEvent
from .reference import Category, ConnectionCount, Contract, Priority, ServiceLevel, Targets, targets_for

__all__ = [
    "Category", "Classification", "ConnectionCount", "Contract", "Job", "JobEvent", "Priority", "Resolution",
    "ServiceLevel", "Targets", "Visit", "targets_for",
]
