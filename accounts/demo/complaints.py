"""About 40 complaints in every state and escalation level, some overdue, made through the real services.

Each step runs at a simulated moment (as the jobs' demo activity does), so timelines, due
dates and overdue flags look like a month of real complaint handling.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Organisation, User
from complaints import services
from complaints.enums import ComplaintStatus, EscalationLevel
from complaints.models import Complaint, ComplaintAction, ComplaintCategory, ComplaintCause, ComplaintEvent
from enquiries.enums import ContactChannel, ReceivedChannel
from enquiries.models import Customer, Enquiry

from .activity import _at as _job_at

# (how far it gets, escalation level, how old in days, overdue on purpose)
SCENARIOS = (
    [(ComplaintStatus.RECEIVED, "", 0.2, False)] * 4
    + [(ComplaintStatus.RECEIVED, "", 6, True)] * 2
    + [(ComplaintStatus.UNDERSTOOD, "", 3, False)] * 3
    + [(ComplaintStatus.UNDERSTOOD, EscalationLevel.TEAM_LEADER, 4, False)]
    + [(ComplaintStatus.DISCUSSED, "", 5, False)] * 3
    + [(ComplaintStatus.DISCUSSED, EscalationLevel.MANAGER, 8, False)]
    + [(ComplaintStatus.DISCUSSED, "", 34, True)]
    + [(ComplaintStatus.AGREED, "", 7, False)] * 3
    + [(ComplaintStatus.AGREED, EscalationLevel.TEAM_LEADER, 12, True)]
    + [(ComplaintStatus.AGREED, EscalationLevel.EXECUTIVE, 33, True)]
    + [(ComplaintStatus.AGREED, EscalationLevel.MANAGER, 10, False)]
    + [(ComplaintStatus.RESOLVED, "", 18, False)] * 3
    + [(ComplaintStatus.RESOLVED, EscalationLevel.MANAGER, 25, False)]
    + [(ComplaintStatus.CLOSED, "", 40, False)] * 6
    + [(ComplaintStatus.CLOSED, EscalationLevel.EXECUTIVE, 55, False)]
    + [(ComplaintStatus.WITHDRAWN, "", 15, False)] * 3
    + [("reopened", "", 45, False)] * 2
)
DESCRIPTIONS = {
    "water_supply": ["The water has tasted of chlorine for a week.", "Brown water again after the repair.",
                     "Nobody told us the water would be off all day.", "Pressure still poor after the fix."],
    "wastewater": ["The smell from the pump station is unbearable in the evenings.",
                   "Sewage overflowed into our garden and the crew left a mess.",
                   "Third blockage this year and nobody has looked at the main."],
    "stormwater": ["The drain floods the driveway every time it rains.",
                   "Sump still blocked a month after I reported it."],
}
CAUSE_NOTES = ["Sediment stirred up by the valve operation.", "Crew left without telling the customer.",
               "Old main near end of life.", "Follow-up was never booked.", "Contractor reinstatement poor."]
NEXT_STEPS = ["Flush the hydrant at the end of the street", "Send a written apology", "Book CCTV of the main",
              "Call the customer back with the results", "Reinstate the berm properly",
              "Check the pressure logger readings"]


@contextmanager
def _at(moment: datetime):
    """One step as if it were ``moment``: log rows, events and new rows are stamped with it."""
    before_event = ComplaintEvent.objects.aggregate(m=Max("id"))["m"] or 0
    before_action = ComplaintAction.objects.aggregate(m=Max("id"))["m"] or 0
    with _job_at(moment):
        yield
    ComplaintEvent.objects.filter(id__gt=before_event).update(at=moment)
    ComplaintAction.objects.filter(id__gt=before_action).update(created_at=moment)


class DemoComplaints:
    def __init__(self, *, users: dict[str, User], organisations: dict[str, Organisation], seed: int = 2026):
        self.rng = random.Random(seed)
        self.users = users
        self.organisations = organisations
        self.now = timezone.now()
        self.managers = [users["casemanager"], users["casemanager2"]]
        self.categories = list(ComplaintCategory.objects.filter(is_active=True))
        self.causes = list(ComplaintCause.objects.filter(is_active=True))

    def _call_centre(self, council: Organisation) -> User:
        code = council.short_code
        return self.users["callcentre" if code == "WCC" else f"callcentre-{code.lower()}"]

    def _subject(self, received: datetime):
        """A linked enquiry notified before the complaint (so the complaint is about its job), or a customer alone."""
        enquiry = (
            Enquiry.objects.filter(job__isnull=False, received_at__lt=received - timedelta(hours=2))
            .select_related("job", "customer", "council").order_by("?").first()
        )
        if enquiry is not None and self.rng.random() < 0.8:
            return enquiry.customer, enquiry.job, enquiry if self.rng.random() < 0.4 else None
        customer = Customer.objects.filter(enquiries__received_at__lt=received).order_by("?").first()
        return customer, None, None

    def _one(self, target, level, age_days, overdue) -> Complaint | None:
        received = self.now - timedelta(days=age_days, minutes=self.rng.randint(0, 240))
        customer, job, enquiry = self._subject(received)
        if customer is None:
            return None
        service = job.service if job else self.rng.choice(["water_supply", "wastewater", "stormwater"])
        category = self.rng.choice([c for c in self.categories if c.service == service])
        logger = self._call_centre(customer.council) if self.rng.random() < 0.6 else self.rng.choice(self.managers)
        manager = self.rng.choice(self.managers)
        other = self.managers[1] if manager == self.managers[0] else self.managers[0]
        with _at(received + timedelta(minutes=self.rng.randint(2, 20))):
            complaint = services.complaint_log(
                by=logger, customer=customer, category=category, job=job, enquiry=enquiry,
                description=self.rng.choice(DESCRIPTIONS[service]),
                channel=self.rng.choice([ReceivedChannel.PHONE] * 4 + [ReceivedChannel.EMAIL]),
                received_at=received, backdate_reason="Entered after the call.",
            )
        if target == ComplaintStatus.RECEIVED:
            return complaint
        # Overdue ones are slow at every step; the others keep inside the service levels.
        span = (received - self.now) * -1
        step = span / (8 if not overdue else 6)
        moment = received + step * self.rng.uniform(0.3, 0.9)
        with _at(moment):
            complaint = services.complaint_understand(complaint=complaint, cause=self.rng.choice(self.causes),
                                                      notes=self.rng.choice(CAUSE_NOTES), by=manager)
        if level:
            moment += step * 0.3
            with _at(moment):
                complaint = services.complaint_escalate(
                    complaint=complaint, level=level, owner=other, by=manager,
                    reason=self.rng.choice(["The customer asked for a manager.", "Repeat complaint.",
                                            "Councillor involved.", "Media enquiry."]))
        if target == ComplaintStatus.UNDERSTOOD:
            return complaint
        if target == ComplaintStatus.WITHDRAWN:
            with _at(moment + step):
                return services.complaint_withdraw(complaint=complaint, reason="Customer happy now; withdrew.",
                                                   by=self._call_centre(customer.council))
        moment += step
        with _at(moment):
            complaint = services.complaint_record_contact(
                complaint=complaint, channel=self.rng.choice(list(ContactChannel.values)), by=manager,
                contacted_at=moment - timedelta(minutes=10),
                summary="Explained what went wrong and what we will do next.")
        if target == ComplaintStatus.DISCUSSED:
            return complaint
        moment += step
        for n in range(self.rng.choice([1, 2, 2, 3])):
            owner = self.rng.choice(self.managers + [self._call_centre(customer.council)])
            due = timezone.localdate(moment) + timedelta(days=self.rng.randint(1, 6))
            with _at(moment + timedelta(minutes=n)):
                complaint = services.complaint_agree_next_step(complaint=complaint, owner=owner, due_on=due,
                                                               text=self.rng.choice(NEXT_STEPS), by=manager)
        steps = list(complaint.actions.order_by("id"))
        finishing = target in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, "reopened")
        moment += step
        for index, action in enumerate(steps):
            if finishing or (not overdue and index == 0):
                with _at(moment + timedelta(minutes=index)):
                    services.complaint_action_set_done(action=action, done=True, by=action.owner)
        if target == ComplaintStatus.AGREED:
            return complaint
        moment += step
        with _at(moment):
            complaint = services.complaint_resolve(
                complaint=complaint, by=manager, customer_accepts=self.rng.random() < 0.8,
                outcome=self.rng.choice(["Main flushed and the customer's taps run clear.",
                                         "Apology sent and the berm reinstated.", "Credit applied; CCTV booked."]))
        if target == ComplaintStatus.RESOLVED:
            return complaint
        moment += step
        with _at(moment):
            complaint = services.complaint_close(complaint=complaint, by=manager)
        if target == "reopened":
            with _at(moment + step):
                complaint = services.complaint_reopen(complaint=complaint, by=manager,
                                                      reason="The customer rang: the problem is back.")
        return complaint

    def run(self) -> int:
        # Escalation e-mails go to the outbox as usual; keep delivery in memory while seeding.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for target, level, age, overdue in SCENARIOS:
                self._one(target, level, age, overdue)
        return Complaint.objects.count()
