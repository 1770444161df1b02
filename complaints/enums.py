from django.db import models


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    UNDERSTOOD = "understood", "Understood"
    DISCUSSED = "discussed", "Discussed"
    AGREED = "agreed", "Next steps agreed"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (
    ComplaintStatus.RECEIVED,
    ComplaintStatus.UNDERSTOOD,
    ComplaintStatus.DISCUSSED,
    ComplaintStatus.AGREED,
)
FINISHED_STATUSES = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN)
# The state line on the complaint page, in the order a complaint runs through it.
STATE_LINE = (
    ComplaintStatus.RECEIVED,
    ComplaintStatus.UNDERSTOOD,
    ComplaintStatus.DISCUSSED,
    ComplaintStatus.AGREED,
    ComplaintStatus.RESOLVED,
    ComplaintStatus.CLOSED,
)


class EscalationLevel(models.TextChoices):
    """How far up the complaint has gone; blank is not escalated. Ordered lowest first."""

    TEAM_LEADER = "team_leader", "Team leader"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"


LEVEL_ORDER = {"": 0, EscalationLevel.TEAM_LEADER: 1, EscalationLevel.MANAGER: 2, EscalationLevel.EXECUTIVE: 3}


class ComplaintEventKind(models.TextChoices):
    """Timeline entries that are not status changes."""

    ACTION_DONE = "action_done", "Next step done"
    ACTION_NOT_DONE = "action_not_done", "Next step not done after all"
