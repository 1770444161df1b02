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


class DiaMeasure(models.TextChoices):
    """The DIA non-financial performance measure (2013 rules) a complaint category is counted in."""

    WATER_CLARITY = "water_clarity", "Water supply: drinking water clarity"
    WATER_TASTE = "water_taste", "Water supply: drinking water taste"
    WATER_ODOUR = "water_odour", "Water supply: drinking water odour"
    WATER_PRESSURE = "water_pressure", "Water supply: drinking water pressure or flow"
    WATER_CONTINUITY = "water_continuity", "Water supply: continuity of supply"
    WATER_RESPONSE = "water_response", "Water supply: the response to any of these"
    WASTEWATER_ODOUR = "wastewater_odour", "Wastewater: sewage odour"
    WASTEWATER_FAULTS = "wastewater_faults", "Wastewater: sewerage system faults"
    WASTEWATER_BLOCKAGES = "wastewater_blockages", "Wastewater: sewerage system blockages"
    WASTEWATER_RESPONSE = "wastewater_response", "Wastewater: the response to these issues"
    STORMWATER_PERFORMANCE = "stormwater_performance", "Stormwater: the performance of the stormwater system"


# Which service each measure belongs to: a category may only feed its own service's measures.
DIA_MEASURE_SERVICE = {
    DiaMeasure.WATER_CLARITY: "water_supply",
    DiaMeasure.WATER_TASTE: "water_supply",
    DiaMeasure.WATER_ODOUR: "water_supply",
    DiaMeasure.WATER_PRESSURE: "water_supply",
    DiaMeasure.WATER_CONTINUITY: "water_supply",
    DiaMeasure.WATER_RESPONSE: "water_supply",
    DiaMeasure.WASTEWATER_ODOUR: "wastewater",
    DiaMeasure.WASTEWATER_FAULTS: "wastewater",
    DiaMeasure.WASTEWATER_BLOCKAGES: "wastewater",
    DiaMeasure.WASTEWATER_RESPONSE: "wastewater",
    DiaMeasure.STORMWATER_PERFORMANCE: "stormwater",
}


class ComplaintEventKind(models.TextChoices):
    """Timeline entries that are not status changes."""

    ACTION_DONE = "action_done", "Next step done"
    ACTION_NOT_DONE = "action_not_done", "Next step not done after all"
