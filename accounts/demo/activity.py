"""About 300 enquiries and 200 jobs in every status, made through the real services.

Each step runs at a simulated moment (``timezone.now`` patched), so timelines, due
dates and overdue flags look like a real fortnight's work: some jobs late, most not.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

import pgtrigger
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.models import Organisation, Suburb, User
from enquiries import services as enquiry_services
from enquiries.enums import ContactChannel, ReceivedChannel
from enquiries.models import Enquiry, IssueType
from feedback import demo as closeout_demo
from jobs import services as job_services
from jobs.customer_updates import PREFERRED, customer_update_log, letter_render, update_prefill
from jobs.due_dates import due_dates_for
from jobs.enums import CancelReason, JobSource, JobStatus, LetterStatus
from jobs.models import Category, Contract, FaultType, Job, JobEvent, Letter, Priority

from .places import COUNCILS, FIRST_NAMES, LAST_NAMES, house_position

STATUS_MIX = [
    (JobStatus.LOGGED, 12), (JobStatus.TRIAGED, 12), (JobStatus.ALLOCATED, 12), (JobStatus.DISPATCHED, 24),
    (JobStatus.ATTENDED, 12), (JobStatus.ASSESSED, 12), (JobStatus.IN_REPAIR, 16), (JobStatus.COMPLETED, 20),
    (JobStatus.CLOSED, 45), (JobStatus.REPORTED, 25), (JobStatus.CANCELLED, 10),
]
STEP_ORDER = [JobStatus.LOGGED, JobStatus.TRIAGED, JobStatus.ALLOCATED, JobStatus.DISPATCHED, JobStatus.ATTENDED,
              JobStatus.ASSESSED, JobStatus.IN_REPAIR, JobStatus.COMPLETED, JobStatus.CLOSED, JobStatus.REPORTED]
SERVICE_WEIGHTS = {"water_supply": 55, "wastewater": 30, "stormwater": 15}
COUNCIL_WEIGHTS = {"WCC": 40, "HCC": 22, "UHCC": 12, "PCC": 16, "SWDC": 10}

PRIORITY_BY_ISSUE = {
    "burst_main": ["P1", "P1", "P2"], "no_water": ["P1", "P2"], "overflow": ["P2", "P2", "P1"],
    "flooding": ["P1", "P2"], "leak": ["P3", "P3", "P4", "P2"], "low_pressure": ["P3", "P4"],
    "water_clarity": ["P2", "P3"], "water_taste": ["P3"], "water_odour": ["P3"], "fault": ["P2", "P3"],
    "blocked_drain": ["P2", "P3"], "odour": ["P4", "P5"], "other": ["P4", "P5"],
}
CATEGORY_BY_ISSUE = {
    ("water_supply", "leak"): ["Water main leak", "Service pipe leak", "Toby, meter or valve fault"],
    ("water_supply", "burst_main"): ["Water main burst"],
    ("water_supply", "no_water"): ["Supply outage"],
    ("water_supply", "low_pressure"): ["Low pressure or flow"],
    ("water_supply", "water_clarity"): ["Water quality"],
    ("water_supply", "water_taste"): ["Water quality"],
    ("water_supply", "water_odour"): ["Water quality"],
    ("wastewater", "fault"): ["Pump station fault"],
    ("water_supply", "other"): ["Toby, meter or valve fault"],
    ("wastewater", "blocked_drain"): ["Wastewater main blockage", "Lateral blockage"],
    ("wastewater", "overflow"): ["Dry-weather overflow", "Wet-weather overflow"],
    ("wastewater", "odour"): ["Odour"],
    ("wastewater", "other"): ["Pump station fault"],
    ("stormwater", "blocked_drain"): ["Sump or inlet blockage", "Stormwater pipe blockage"],
    ("stormwater", "flooding"): ["Flooding: property or road", "Flooding: habitable floor"],
    ("stormwater", "other"): ["Stream or open channel"],
}
DESCRIPTIONS = {
    "leak": ["Water bubbling up through the footpath outside the house.", "Steady leak from the toby by the gate.",
             "Water running down the gutter for two days, no rain."],
    "burst_main": ["Water gushing out of the road, traffic slowing.", "Big burst at the intersection, road flooding."],
    "no_water": ["No water at the tap since this morning.", "Whole street has no water."],
    "low_pressure": ["Shower barely runs, pressure dropped last week.", "Very low pressure upstairs."],
    "water_clarity": ["Tap water is brown after the works nearby.", "Cloudy water from every tap this morning."],
    "water_taste": ["Water tastes strongly of chlorine.", "Metallic taste in the tap water since Monday."],
    "water_odour": ["Tap water smells musty.", "Rotten-egg smell from the cold tap."],
    "fault": ["Pump station alarm light flashing.", "Manhole lid lifted and gurgling."],
    "blocked_drain": ["Gully trap overflowing in the back yard.", "Drain in the street blocked, water pooling."],
    "overflow": ["Sewage coming out of the manhole in the park.", "Wastewater overflowing onto the footpath."],
    "odour": ["Strong sewer smell near the pump station.", "Bad smell from the drains in the evenings."],
    "flooding": ["Road flooded after the downpour, water near the garage.", "Stormwater flooding the driveway."],
    "other": ["Manhole lid rattling when cars drive over it.", "Valve cover missing on the berm."],
}


@contextmanager
def _at(moment: datetime):
    """Run one step as if it were ``moment``; log rows and events are stamped with it."""
    before_log = StateLog.objects.aggregate(m=Max("id"))["m"] or 0
    before_event = JobEvent.objects.aggregate(m=Max("id"))["m"] or 0
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
    # The state log is append-only in PostgreSQL (common.history); the demo's made-up history
    # alone may restamp the rows it has just written with their simulated moment.
    with pgtrigger.ignore("common.StateLogHistory:append_only_update"):
        StateLog.objects.filter(id__gt=before_log).update(timestamp=moment)
    JobEvent.objects.filter(id__gt=before_event).update(at=moment)


def _demo_photos(rng: random.Random, count: int) -> list:
    """Phone-sized stand-ins for site photos (a coloured frame with a label), through the real checks."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from jobs.photos import photos_check

    uploads = []
    for n in range(count):
        image = Image.new("RGB", (960, 720), (rng.randint(60, 120), rng.randint(80, 140), rng.randint(90, 160)))
        ImageDraw.Draw(image).text((40, 40), f"Site photo {n + 1}", fill=(255, 255, 255))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        uploads.append(SimpleUploadedFile(f"site-{n + 1}.jpg", out.getvalue(), "image/jpeg"))
    return photos_check(uploads)


class DemoActivity:
    def __init__(self, *, users: dict[str, User], organisations: dict[str, Organisation], seed: int = 2026):
        self.rng = random.Random(seed)
        self.users = users
        self.organisations = organisations
        self.now = timezone.now()
        self.callback_share = 0.35  # of callers who ask for a call-back
        self.callback_plans_shown: list = []  # each call-back outcome shown once first (feedback.demo)
        self.places = {code: streets for _name, code, streets in COUNCILS}
        self.suburbs = {(s.council_id, s.name): s for s in Suburb.objects.all()}
        self.issue_types = {(i.service, i.code): i for i in IssueType.objects.all()}
        self.priorities = {p.name: p for p in Priority.objects.all()}
        self.categories = {(c.service, c.name): c for c in Category.objects.all()}
        self.case_managers = [users["casemanager"], users["casemanager2"]]
        self.crews = {organisations["Citycare"].pk: users["crew"], organisations["Fulton Hogan"].pk: users["crew-fh"]}
        self.open_places = []  # (council code, service, place) of open jobs, for nearby new enquiries

    # Picking things ------------------------------------------------------------------

    def _weighted(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _assessment(self, job: Job) -> dict:
        """A plausible assessment for the job's service (the flooding ones join one storm)."""
        fault = self.rng.choice(list(FaultType.objects.filter(service=job.service, is_flooding=False)))
        kwargs = {
            "fault_type": fault, "complexity": self.rng.choice(["low", "medium", "medium", "high"]),
            "expected_completion_at": timezone.now() + timedelta(hours=self.rng.choice([4, 8, 24, 48])),
            "notes": self.rng.choice([
                "Cracked 100 mm cast iron main, excavation needed.", "Failed joint on service pipe.",
                "Root intrusion in the lateral, cutter and CCTV needed.", "Sump full of leaves, cleared partly.",
            ]),
        }
        if fault.asks_weather:
            kwargs["weather"] = self.rng.choice(["dry", "wet"])
        return kwargs

    def _update(self, job: Job, by: User, *, channel: str = ContactChannel.PHONE) -> None:
        """The case manager's update to every customer on the job, prefilled from the assessment."""
        prefill = update_prefill(job=job)
        customer_update_log(job=job, by=by, issue=prefill.issue, complexity=prefill.complexity,
                            expected_completion_at=prefill.expected_completion_at, message=prefill.message,
                            channel=channel)

    def _call_centre(self, code: str) -> User:
        return self.users["callcentre" if code == "WCC" else f"callcentre-{code.lower()}"]

    def _place(self, code: str):
        suburb = self.rng.choice(list(self.places[code]))
        street, lat, lng = self.rng.choice(self.places[code][suburb])
        return suburb, street, lat, lng, self.rng.randint(1, 240)

    def _customer_details(self) -> dict:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        channel = self.rng.choice([ContactChannel.PHONE] * 5 + [ContactChannel.EMAIL, ContactChannel.SMS,
                                                                 ContactChannel.LETTER])
        prefix = self.rng.choice(["021", "022", "027", "04"])
        phone = f"{prefix} {self.rng.randint(200, 999)} {self.rng.randint(1000, 9999)}"  # valid NZ numbers
        email = f"{first}.{last}".lower().replace(" ", "") + "@example.co.nz"
        return {
            "name": f"{first} {last}", "phone": phone,
            "email": email if channel == ContactChannel.EMAIL or self.rng.random() < 0.3 else "",
            "postal_address": f"PO Box {self.rng.randint(100, 9999)}, Wellington" if channel == ContactChannel.LETTER
            else "",
            "preferred_channel": channel,
        }

    def _log(self, *, code, service, issue, received_at, place, near=False, link_job=None):
        suburb_name, street, lat, lng, number = place
        if near:  # another caller a few doors along
            number = max(1, number + self.rng.choice([-6, -4, -2, -1, 1, 2, 4, 6]))
        lat, lng = house_position(street=street, latitude=lat, longitude=lng, number=number)
        council = self.organisations[code]
        with _at(received_at + timedelta(minutes=self.rng.randint(1, 6))):
            return enquiry_services.enquiry_log(
                by=self._call_centre(code), council=council, customer_details=self._customer_details(),
                street_address=f"{number} {street}",
                suburb=self.suburbs[(council.pk, suburb_name)],
                latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lng:.6f}"),
                service=service, issue_type=issue, description=self.rng.choice(DESCRIPTIONS[issue.code]),
                callback_requested=self.rng.random() < self.callback_share,
                callback_best_time=self.rng.choice(["after 5pm", "mornings", "any time", "lunchtime"]),
                channel=self.rng.choice([ReceivedChannel.PHONE] * 6 + [ReceivedChannel.EMAIL, ReceivedChannel.WEB]),
                received_at=received_at, link_job=link_job,
            )

    # Jobs ------------------------------------------------------------------------------

    def _schedule(self, t0: datetime, priority: Priority, target: JobStatus) -> dict:
        """When each step happens, as offsets that respect the priority's targets."""
        attend_due, resolve_due = due_dates_for(notified_at=t0, priority=priority)
        created = t0 + timedelta(minutes=self.rng.randint(10, 50))
        steps = {JobStatus.LOGGED: created}
        steps[JobStatus.TRIAGED] = created + timedelta(minutes=self.rng.randint(3, 20))
        steps[JobStatus.ALLOCATED] = steps[JobStatus.TRIAGED] + timedelta(minutes=self.rng.randint(2, 10))
        steps[JobStatus.DISPATCHED] = steps[JobStatus.ALLOCATED] + timedelta(minutes=self.rng.randint(3, 15))
        late = self.rng.random() < 0.15
        attend_span = (attend_due - t0) * (self.rng.uniform(1.05, 1.6) if late else self.rng.uniform(0.3, 0.95))
        steps[JobStatus.ATTENDED] = max(t0 + attend_span, steps[JobStatus.DISPATCHED] + timedelta(minutes=10))
        steps[JobStatus.ASSESSED] = steps[JobStatus.ATTENDED] + timedelta(minutes=self.rng.randint(15, 50))
        steps[JobStatus.IN_REPAIR] = steps[JobStatus.ASSESSED] + timedelta(minutes=self.rng.randint(10, 40))
        resolve_span = (resolve_due - t0) * (self.rng.uniform(1.05, 1.5) if late else self.rng.uniform(0.4, 0.95))
        steps[JobStatus.COMPLETED] = max(t0 + resolve_span, steps[JobStatus.IN_REPAIR] + timedelta(minutes=30))
        steps[JobStatus.CLOSED] = steps[JobStatus.COMPLETED] + timedelta(hours=self.rng.randint(2, 40))
        steps[JobStatus.REPORTED] = steps[JobStatus.CLOSED] + timedelta(days=self.rng.randint(3, 9))
        if target == JobStatus.CANCELLED:
            steps = {k: steps[k] for k in (JobStatus.LOGGED, JobStatus.TRIAGED)}
            steps[JobStatus.CANCELLED] = steps[JobStatus.TRIAGED] + timedelta(minutes=self.rng.randint(20, 180))
        return steps

    def _job(self, target: JobStatus, *, t0: datetime | None = None, code: str | None = None,
             service: str | None = None, issue_code: str | None = None, place=None) -> None:
        code = code or self._weighted(COUNCIL_WEIGHTS)
        service = service or self._weighted(SERVICE_WEIGHTS)
        issue = (self.issue_types[(service, issue_code)] if issue_code else
                 self.rng.choice([i for (s, _c), i in self.issue_types.items() if s == service]))
        priority = self.priorities[self.rng.choice(PRIORITY_BY_ISSUE[issue.code])]
        category = self.categories[(service, self.rng.choice(CATEGORY_BY_ISSUE[(service, issue.code)]))]
        finished = target in (JobStatus.CLOSED, JobStatus.REPORTED, JobStatus.CANCELLED)
        age = timedelta(days=self.rng.uniform(12, 80)) if finished else timedelta(hours=self.rng.uniform(0.5, 60))
        t0 = t0 or self.now - age
        steps = self._schedule(t0, priority, target)
        for _ in range(5):  # move the whole story back until its last step is in the past
            overshoot = steps[target] - (self.now - timedelta(minutes=5))
            if overshoot <= timedelta(0):
                break
            t0 -= overshoot + timedelta(minutes=self.rng.randint(5, 90))
            steps = self._schedule(t0, priority, target)

        place = place or self._place(code)
        first = self._log(code=code, service=service, issue=issue, received_at=t0, place=place)
        manager = self.rng.choice(self.case_managers)
        with _at(steps[JobStatus.LOGGED]):
            job = job_services.job_create_from_enquiries(enquiries=[first], by=manager)
        extra = self.rng.choices([0, 1, 2], weights=[75, 20, 5])[0]
        for n in range(extra):
            later = t0 + timedelta(minutes=self.rng.randint(5, 50) * (n + 1))
            if later < self.now:
                self._log(code=code, service=service, issue=issue, received_at=later, place=place, near=True,
                          link_job=job)
                job.refresh_from_db()
        if target == JobStatus.LOGGED:
            self.open_places.append((code, service, issue, place))
            return
        with _at(steps[JobStatus.TRIAGED]):
            job = job_services.job_categorise(job=job, category=category, priority=priority, by=manager)
        if target == JobStatus.CANCELLED:
            reason = self.rng.choice([CancelReason.DUPLICATE, CancelReason.NO_FAULT, CancelReason.NOT_OUR_ASSET,
                                      CancelReason.CUSTOMER_WITHDREW])
            with _at(steps[JobStatus.CANCELLED]):
                job_services.job_cancel(job=job, reason=reason, by=manager)
            return
        if target == JobStatus.TRIAGED:
            self.open_places.append((code, service, issue, place))
            return
        with _at(steps[JobStatus.ALLOCATED]):
            job = job_services.job_allocate(job=job, case_manager=self.rng.choice(self.case_managers), by=manager)
        if target == JobStatus.ALLOCATED:
            self.open_places.append((code, service, issue, place))
            return
        contracts = list(Contract.objects.filter(council=job.council, service=service).order_by("-is_usual", "id"))
        contractor = (contracts[0] if self.rng.random() < 0.7 else self.rng.choice(contracts)).contractor
        crew = self.crews[contractor.pk]
        with _at(steps[JobStatus.DISPATCHED]):
            job = job_services.job_dispatch(job=job, contractor=contractor, by=manager,
                                            note=self.rng.choice(["", "Traffic management needed.",
                                                                  "Customer home after 3pm."]))
        if target == JobStatus.DISPATCHED:
            self.open_places.append((code, service, issue, place))
            return
        with _at(steps[JobStatus.ATTENDED]):
            job = job_services.job_record_arrival(job=job, by=crew)
        if target == JobStatus.ATTENDED:
            return
        with _at(steps[JobStatus.ASSESSED]):
            job = job_services.job_record_assessment(job=job, by=crew, **self._assessment(job))
        if target != JobStatus.ASSESSED or self.rng.random() < 0.4:
            # Most customers were told; some assessed jobs still owe their update (the triage tab).
            with _at(steps[JobStatus.ASSESSED] + timedelta(minutes=self.rng.randint(20, 90))):
                self._update(job, manager)
        if target == JobStatus.ASSESSED:
            return
        with _at(steps[JobStatus.IN_REPAIR]):
            job = job_services.job_start_repair(job=job, by=crew)
        if target == JobStatus.IN_REPAIR:
            return
        with _at(steps[JobStatus.COMPLETED]):
            job = job_services.job_complete(job=job, by=crew, note="Repaired and site reinstated.")
        # Stage 4: the call-centre rings back; a requested call-back holds the ticket open until made.
        last_call = closeout_demo.make_callbacks(job=job, by=self._call_centre(code), at_moment=_at, rng=self.rng,
                                                 finish=target != JobStatus.COMPLETED, now=self.now,
                                                 shown=self.callback_plans_shown)
        if target == JobStatus.COMPLETED:
            return
        close_at = max(steps[JobStatus.CLOSED], (last_call or steps[JobStatus.CLOSED]) + timedelta(minutes=30))
        if close_at >= self.now or job.callbacks.filter(status="scheduled").exists():
            return
        with _at(close_at):
            job = job_services.job_close(job=job, by=self._call_centre(code), note="Customer told the work is done.")
        closeout_demo.give_feedback(job=job, staff=self._call_centre(code), at_moment=_at, rng=self.rng,
                                    now=self.now)
        reported_at = max(steps[JobStatus.REPORTED], close_at + timedelta(days=1))
        if target == JobStatus.CLOSED or reported_at >= self.now:
            return
        with _at(reported_at):
            job_services.job_mark_reported(job=job, by=self.users["analyst"])

    def _loose_enquiries(self) -> None:
        """New enquiries not yet on a job (some close to open jobs), and some answered on the call."""
        for n in range(30):
            received = self.now - timedelta(minutes=self.rng.randint(5, 36 * 60))
            if self.open_places and n % 3 == 0:
                code, service, issue, place = self.rng.choice(self.open_places)
                self._log(code=code, service=service, issue=issue, received_at=received, place=place, near=True)
                continue
            code = self._weighted(COUNCIL_WEIGHTS)
            service = self._weighted(SERVICE_WEIGHTS)
            issue = self.rng.choice([i for (s, _c), i in self.issue_types.items() if s == service])
            self._log(code=code, service=service, issue=issue, received_at=received, place=self._place(code))
        for _ in range(15):
            received = self.now - timedelta(hours=self.rng.uniform(1, 24 * 20))
            code = self._weighted(COUNCIL_WEIGHTS)
            service = self._weighted(SERVICE_WEIGHTS)
            issue = self.rng.choice([i for (s, _c), i in self.issue_types.items() if s == service])
            enquiry = self._log(code=code, service=service, issue=issue, received_at=received, place=self._place(code))
            with _at(received + timedelta(minutes=8)):
                enquiry_services.enquiry_resolve_at_first_contact(
                    enquiry=enquiry, by=self._call_centre(code),
                    outcome=self.rng.choice([
                        "Planned shutdown notice explained; supply back at 4pm.",
                        "Private pipe on the customer's side: advised to call a plumber.",
                        "Told about the boil-water notice and where to find updates.",
                    ]))

    def _corrections(self) -> None:
        """A few jobs that show the history the measures keep: a revisit after a reopen, a change of
        urgency after arrival, an exclusion, a job found by telemetry, a merged duplicate."""
        manager = self.users["casemanager"]
        closed = Job.objects.filter(status=JobStatus.CLOSED, attended_at__isnull=False).order_by("id").first()
        if closed is not None:
            start = max(closed.closed_at, self.now - timedelta(days=3))
            with _at(start + timedelta(hours=1)):
                job = job_services.job_reopen(job=closed, reason="Customer says the leak is back", by=manager)
            with _at(start + timedelta(hours=2)):
                job = job_services.job_dispatch(job=job, contractor=job.contractor, by=manager,
                                                note="Revisit: check the repair")
            with _at(start + timedelta(hours=4)):
                job_services.job_record_arrival(job=job, by=self.crews[job.contractor_id])
        attended = list(Job.objects.filter(status=JobStatus.ATTENDED, is_urgent=True).order_by("id")[:1])
        for job in attended:
            slower = Priority.objects.filter(is_urgent=False, business_hours=False).order_by("sort_order").first()
            with _at(max(job.attended_at, self.now - timedelta(minutes=20))):
                job_services.job_categorise(job=job, category=job.category, priority=slower, by=manager,
                                            note="On site: a slow seep, not a burst")
        assessed = Job.objects.filter(status=JobStatus.ASSESSED).order_by("id").first()
        if assessed is not None:
            with _at(self.now - timedelta(minutes=10)):
                job_services.job_exclude_from_measures(
                    job=assessed, by=manager, reason="Private pipe on the customer's side: not our asset")
        council = self.organisations["WCC"]
        suburb = self.suburbs[(council.pk, "Kilbirnie")]
        with _at(self.now - timedelta(minutes=30)):
            job_services.job_create_found(
                by=manager, council=council, service="wastewater", source=JobSource.TELEMETRY,
                street_address="Rongotai Road pump station", suburb=suburb, latitude=Decimal("-41.317000"),
                longitude=Decimal("174.796000"), description="High-level alarm: overflow likely at the pump station",
                found_at=self.now - timedelta(hours=2), backdate_reason="Alarm overnight, logged at the morning check")
        place = self._place("HCC")
        issue = self.issue_types[("water_supply", "burst_main")]
        received = self.now - timedelta(hours=3)
        first = self._log(code="HCC", service="water_supply", issue=issue, received_at=received, place=place)
        second = self._log(code="HCC", service="water_supply", issue=issue, received_at=received + timedelta(minutes=9),
                           place=place, near=True)
        with _at(received + timedelta(minutes=20)):
            survivor = job_services.job_create_from_enquiries(enquiries=[first], by=manager)
            duplicate = job_services.job_create_from_enquiries(enquiries=[second], by=manager)
        with _at(received + timedelta(minutes=35)):
            job_services.job_merge(job=duplicate, into=survivor, by=manager, reason="Same burst, two callers")

    def _fieldwork(self) -> None:
        """Stages 2-3 at a glance: variations, photos, site contacts, updates by every channel with
        their letters, and a storm whose flooding spans several jobs (each property counted once)."""
        manager = self.users["casemanager"]
        for job in Job.objects.filter(status=JobStatus.IN_REPAIR).order_by("id")[:4]:
            crew = self.crews[job.contractor_id]
            with _at(self.now - timedelta(minutes=self.rng.randint(30, 90))):
                job_services.job_record_variation(
                    job=job, by=crew, kind=self.rng.choice(["scope", "timeframe", "both"]),
                    reason=self.rng.choice(["A second break found under the kerb.",
                                            "Parts on back order until tomorrow.",
                                            "Traffic management only allowed after 7 pm."]),
                    expected_completion_at=self.now + timedelta(hours=self.rng.choice([12, 24, 36])))
                job_services.job_add_photos(job=job, by=crew, photos=_demo_photos(self.rng, 2))
        # Updates by each customer's own channel (e-mails, texts and a letter PDF) on the latest jobs.
        working = [JobStatus.ASSESSED, JobStatus.IN_REPAIR, JobStatus.COMPLETED]
        by_letter = Job.objects.filter(status__in=working, enquiries__customer__preferred_channel="letter")
        by_message = Job.objects.filter(status__in=working, enquiries__customer__preferred_channel__in=["email", "sms"]
                                        ).exclude(pk__in=by_letter.values("pk"))
        for job in list(by_letter.distinct().order_by("-id")[:2]) + list(by_message.distinct().order_by("-id")[:3]):
            with _at(self.now - timedelta(minutes=self.rng.randint(5, 25))):
                self._update(job, manager, channel=PREFERRED)
        # Their task renders the letters after the commit; seeding inside a transaction (a test) renders them here.
        for letter_id in Letter.objects.filter(status=LetterStatus.PENDING).values_list("pk", flat=True):
            letter_render(letter_id=letter_id)
        for job in Job.objects.filter(status=JobStatus.DISPATCHED).order_by("id")[:3]:
            customer = job.enquiries.select_related("customer").first().customer
            job_services.job_set_site_contact(job=job, by=manager, customer=customer)
        self._storm(manager)

    def _storm(self, manager: User) -> None:
        """A stormwater flooding event on three Kilbirnie properties, two of them reported twice."""
        council = self.organisations["WCC"]
        issue = self.issue_types[("stormwater", "flooding")]
        category = Category.objects.filter(service="stormwater", kpi_class="stormwater_flooding").first()
        priority = self.priorities["P2"]
        contractor = Contract.objects.filter(council=council, service="stormwater", is_usual=True).get().contractor
        crew = self.crews[contractor.pk]
        flooding = FaultType.objects.get(service="stormwater", is_flooding=True)
        start = self.now - timedelta(hours=7)
        event = None
        houses = [("Kilbirnie", "Evans Bay Parade", -41.3175, 174.7945, 1), ("Kilbirnie", "Evans Bay Parade", -41.3175,
                  174.7945, 1), ("Kilbirnie", "Onepu Road", -41.3190, 174.7930, 2)]
        for n, (suburb, street, lat, lng, floors) in enumerate(houses):
            received = start + timedelta(minutes=20 * n)
            # Two callers at the same house: same address on both jobs, counted once in the event.
            number = 12 if n < 2 else 7
            enquiry = self._log(code="WCC", service="stormwater", issue=issue, received_at=received,
                                place=(suburb, street, lat, lng, number))
            with _at(received + timedelta(minutes=10)):
                job = job_services.job_create_from_enquiries(enquiries=[enquiry], by=manager)
                job = job_services.job_update_location(
                    job=job, by=manager, street_address=f"{number} {street}", suburb=job.suburb,
                    latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lng:.6f}"))
                job = job_services.job_categorise(job=job, category=category, priority=priority, by=manager)
                job = job_services.job_allocate(job=job, case_manager=manager, by=manager)
                job = job_services.job_dispatch(job=job, contractor=contractor, by=manager,
                                                note="Storm: check habitable floors.")
            with _at(received + timedelta(minutes=50)):
                job = job_services.job_record_arrival(job=job, by=crew)
            with _at(received + timedelta(minutes=70)):
                new_event = None if event else {"name": "Storm of " + f"{timezone.localtime(start):%-d %B}",
                                                "area": "Kilbirnie: Evans Bay Parade and Onepu Road",
                                                "started_at": start}
                job = job_services.job_record_assessment(
                    job=job, by=crew, fault_type=flooding, complexity="medium",
                    expected_completion_at=self.now + timedelta(hours=10), notes="Water through the ground floor.",
                    habitable_floors=floors, flooding_event=event, new_flooding_event=new_event,
                    photos=_demo_photos(self.rng, 1))
                event = event or job.assessments.get().flooding_event

    def run(self) -> int:
        jobs = [status for status, count in STATUS_MIX for _ in range(count)]
        self.rng.shuffle(jobs)
        # Acknowledgement e-mails and update texts would flood the console: keep them in memory while seeding.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                               SMS_BACKEND="common.sms.LocmemBackend"):
            for target in jobs:
                self._job(target)
            self._loose_enquiries()
            self._corrections()
            self._fieldwork()
            closeout_demo.printable_link()
        return Enquiry.objects.count()
