"""Close blocker: an open complaint about the job holds its call ticket open (registered in
ComplaintsConfig.ready into jobs.states); a case manager may close over it with a reason."""

from __future__ import annotations

from jobs.states import CloseBlocker

from .enums import OPEN_STATUSES
from .models import Complaint


def open_complaints(job) -> list[CloseBlocker]:
    references = list(Complaint.objects.filter(job=job, status__in=OPEN_STATUSES).order_by("id")
                      .values_list("reference", flat=True))
    return [CloseBlocker(f"Complaint {reference} about this job is open: close it first, or a case manager "
                         f"may close the call ticket over it with a reason.", overridable=True)
            for reference in references]
