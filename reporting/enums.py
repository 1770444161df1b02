from django.db import models


class ReportKind(models.TextChoices):
    ON_DEMAND = "on_demand", "Trend report"
    MONTHLY = "monthly", "Monthly report"
    ANNUAL = "annual", "Financial-year report"
    PUBLICATION = "publication", "Published period"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
