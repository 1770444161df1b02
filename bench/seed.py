"""Bulk seed of the benchmark database: N enquiries with their customers, jobs and timelines.

Everything is planned in Python (times in epoch seconds, so the arithmetic is cheap),
then streamed into PostgreSQL with COPY (psycopg 3 ``cursor.copy()``) in one
transaction that first truncates the tables, so the rows go in with COPY FREEZE (no
vacuum needed afterwards). Secondary indexes are dropped before the load and built
again afterwards; foreign-key triggers are off for the load (``session_replication_role
= replica``): the rows are consistent by construction.

What is made, for N enquiries (about 2 years of work):

* ~70% of enquiries are on jobs, 1-3 enquiries a job (70/20/10%), so ~0.5 N jobs;
* job times follow the demo's schedule (accounts/demo/activity.py): created 10-50 min
  after the first call, triaged, allocated, dispatched, attended and resolved within
  the priority's targets (15% late), closed 2-40 h after completion and reported 3-9
  days later (90%); 5% cancelled; ~1% of recent jobs stall (stay open, overdue). So
  the old jobs are closed or reported and a few thousand recent ones are open at 1M;
* every state change is a django-fsm-log StateLog row (jobs and enquiries), every
  linked enquiry a JobEvent ("Enquiry linked"), ~12% of jobs carry a note;
* about 0.3% of enquiries are "new" (the last ~3 days), the rest resolved at first
  contact; ~8% of enquiries come from a returning customer.
"""

from __future__ import annotations

import bisect
import json
import random
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg

UTC = UTC
N = "\\N"
DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0
SPAN_DAYS = 730

# Tables that the seed fills (truncated first). Order matters for COPY FREEZE only in
# that every one of them is truncated in the same transaction.
TABLES = [
    "enquiries_customer",
    "enquiries_enquiry",
    "jobs_job",
    "jobs_jobevent",
    "jobs_visit",
    "jobs_resolution",
    "jobs_classification",
    "complaints_complaint",
    "complaints_complaintcontact",
    "complaints_complaintaction",
    "complaints_complaintevent",
    "django_fsm_log_statelog",
    "feedback_callback",
    "feedback_feedbackrequest",
    "feedback_feedback",
]
META_TABLE = "bench_meta"

# Local hour-of-day weights for when calls come in (NZ time).
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 9, 9, 9, 9, 8, 8, 7, 6, 5, 4, 3, 2, 1]

JOB_CHAIN = [
    # (transition, source, target)
    ("create", None, "logged"),
    ("categorise", "logged", "triaged"),
    ("allocate", "triaged", "allocated"),
    ("dispatch", "allocated", "dispatched"),
    ("record_arrival", "dispatched", "attended"),
    ("record_assessment", "attended", "assessed"),
    ("start_repair", "assessed", "in_repair"),
    ("complete", "in_repair", "completed"),
    ("close", "completed", "closed"),
    ("mark_reported", "closed", "reported"),
]
AWAITING_ATTENDANCE = {"logged", "triaged", "allocated", "dispatched"}
AWAITING_RESOLUTION = AWAITING_ATTENDANCE | {"attended", "assessed", "in_repair"}

CANCEL_REASONS = [
    ("duplicate", "Duplicate of another job"),
    ("no_fault", "No fault found"),
    ("not_our_asset", "Private or third-party asset"),
    ("customer_withdrew", "Customer withdrew the request"),
]
ASSESSMENTS = [
    "Cracked 100 mm cast iron main, excavation needed.",
    "Failed joint on service pipe.",
    "Root intrusion in the lateral, cutter and CCTV needed.",
    "Sump full of leaves, cleared partly.",
    "Toby valve seized, replaced.",
]
DISPATCH_NOTES = ["", "", "Traffic management needed.", "Customer home after 3pm."]
NOTES = [
    "Called the customer: crew expected this afternoon.",
    "Parts on order, crew to return.",
    "Traffic management plan approved.",
    "Customer asked for an update; told the job is in progress.",
    "Photos taken on site, see the asset system.",
]
OUTCOMES = [
    "Planned shutdown notice explained; supply back at 4pm.",
    "Private pipe on the customer's side: advised to call a plumber.",
    "Told about the boil-water notice and where to find updates.",
]
BEST_TIMES = ["after 5pm", "mornings", "any time", "lunchtime"]


def ts(x: float | None) -> str:
    if x is None:
        return N
    return datetime.fromtimestamp(x, UTC).isoformat(" ")


def txt(value) -> str:
    """A text value for COPY's text format (\\N for NULL, specials escaped)."""
    if value is None:
        return N
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def num(value) -> str:
    return N if value is None else str(value)


# The plan ----------------------------------------------------------------------------


class PJob:
    __slots__ = (
        "id", "ref", "council", "service", "issue", "priority", "category", "manager", "case_manager",
        "contractor", "crew", "closer", "street", "suburb_id", "key", "lat", "lng", "t0", "times", "reached",
        "cancel_at", "cancel_reason", "status", "att_due", "res_due", "assessment", "dispatch_note",
        "enqs", "intake", "note", "updated",
    )


class PEnq:
    __slots__ = (
        "id", "ref", "received", "logged", "council", "service", "issue", "suburb_id", "street", "lat", "lng",
        "desc", "callback", "best", "channel", "status", "job", "link_at", "link_by", "close_at", "close_by",
        "close_desc", "outcome", "resolved_at", "backdate", "customer_id", "customer_name",
    )


class Reference:
    """Everything the plan needs from the database (ids, names), loaded once via the ORM."""

    def __init__(self):
        from django.contrib.contenttypes.models import ContentType
        from django.utils import timezone  # noqa: F401  (settings must be configured)

        from accounts.demo.activity import (
            CATEGORY_BY_ISSUE,
            COUNCIL_WEIGHTS,
            DESCRIPTIONS,
            PRIORITY_BY_ISSUE,
            SERVICE_WEIGHTS,
        )
        from accounts.demo.places import CONTRACTORS, COUNCILS, FIRST_NAMES, LAST_NAMES
        from accounts.models import Organisation, Suburb, User
        from enquiries.models import Enquiry, IssueType
        from jobs.models import Category, Job, Priority

        orgs = {o.name: o for o in Organisation.objects.all()}
        self.councils = {}  # code -> id
        self.places = {}  # code -> [(suburb_id, street, lat, lng)]
        suburbs = {(s.council_id, s.name): s.pk for s in Suburb.objects.all()}
        for name, code, streets in COUNCILS:
            council = orgs[name]
            self.councils[code] = council.pk
            self.places[code] = [
                (suburbs[(council.pk, suburb)], street, lat, lng)
                for suburb, rows in streets.items() for street, lat, lng in rows
            ]
        self.council_codes = list(COUNCIL_WEIGHTS)
        self.council_cum = _cum(COUNCIL_WEIGHTS.values())
        self.services = list(SERVICE_WEIGHTS)
        self.service_cum = _cum(SERVICE_WEIGHTS.values())
        self.contractors = {name: orgs[name].pk for name in CONTRACTORS}
        users = {u.username: u for u in User.objects.all()}
        self.user_id = {name: u.pk for name, u in users.items()}
        self.user_name = {u.pk: str(u) for u in users.values()}
        self.call_centre = {
            code: users["callcentre" if code == "WCC" else f"callcentre-{code.lower()}"].pk for code in self.councils
        }
        self.managers = [users["casemanager"].pk, users["casemanager2"].pk]
        self.crew_of = {orgs["Citycare"].pk: users["crew"].pk, orgs["Fulton Hogan"].pk: users["crew-fh"].pk}
        self.contractor_name = {orgs[name].pk: name for name in CONTRACTORS}
        self.analyst = users["analyst"].pk
        self.issue_types = {}  # service -> [(id, code, name)]
        for it in IssueType.objects.filter(is_active=True).order_by("service", "sort_order"):
            self.issue_types.setdefault(it.service, []).append((it.pk, it.code, it.name))
        self.priorities = {
            p.name: (p.pk, p.label, float(p.attendance_target_hours), float(p.resolution_target_hours),
                     p.business_hours, p.is_urgent)
            for p in Priority.objects.all()
        }
        self.categories = {(c.service, c.name): c.pk for c in Category.objects.all()}
        self.category_name = {c.pk: c.name for c in Category.objects.all()}
        self.category_kpi = {c.pk: c.kpi_class for c in Category.objects.all()}
        self.priority_by_issue = PRIORITY_BY_ISSUE
        self.category_by_issue = CATEGORY_BY_ISSUE
        self.descriptions = DESCRIPTIONS
        self.first_names = FIRST_NAMES
        self.last_names = LAST_NAMES
        self.ct_job = ContentType.objects.get_for_model(Job).pk
        self.ct_enquiry = ContentType.objects.get_for_model(Enquiry).pk
        self.models = {"job": Job, "enquiry": Enquiry}


def _cum(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


class Planner:
    def __init__(self, ref: Reference, *, enquiries: int, seed: int, now: float):
        from django.conf import settings

        self.ref = ref
        self.n = enquiries
        self.rng = random.Random(seed)
        self.now = now
        # The one business-hours rule, the application's own (on floats, ~1 us a call).
        from jobs.due_dates import business_calendar

        now_year = datetime.fromtimestamp(now, UTC).year
        self.business_time_after = business_calendar(first_year=now_year - 3, last_year=now_year + 2).add
        self.hour_cum = _cum(HOUR_WEIGHTS)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.jobs: list[PJob] = []
        self.enqs: list[PEnq] = []

    # Picking ---------------------------------------------------------------------------

    def _call_time(self, *, oldest_days: float, newest_s: float) -> float:
        """A moment in the window with the daily rhythm of a call centre."""
        rng = self.rng
        while True:
            day = self.now - rng.random() * oldest_days * DAY
            local = datetime.fromtimestamp(day, self.tz)
            midnight = day - (local.hour * HOUR + local.minute * MINUTE + local.second)
            hour = bisect.bisect_left(self.hour_cum, rng.random() * self.hour_cum[-1])
            moment = midnight + hour * HOUR + rng.random() * HOUR
            if moment <= self.now - newest_s:
                return round(moment, 6)

    def _place(self, code: str):
        suburb_id, street, lat, lng = self.rng.choice(self.ref.places[code])
        lat += self.rng.uniform(-0.002, 0.002)
        lng += self.rng.uniform(-0.003, 0.003)
        return suburb_id, street, lat, lng

    def _due(self, t0: float, priority: str) -> tuple[float, float]:
        _pk, _label, attend, resolve, business = self.ref.priorities[priority][:5]
        if business:
            after = self.business_time_after
            return after(t0, attend), after(t0, resolve)
        return t0 + attend * HOUR, t0 + resolve * HOUR

    def _new_enquiry(self, *, code, service, issue, received, place, near=False) -> PEnq:
        rng = self.rng
        e = PEnq()
        e.received = received
        e.logged = min(received + rng.randint(1, 6) * MINUTE + rng.random(), self.now)
        e.council = code
        e.service = service
        e.issue = issue
        suburb_id, street, lat, lng = place
        if near:  # another caller a few doors down
            lat += rng.uniform(-0.0006, 0.0006)
            lng += rng.uniform(-0.0006, 0.0006)
        e.suburb_id = suburb_id
        e.street = f"{rng.randint(1, 240)} {street}"
        e.lat, e.lng = lat, lng
        e.desc = rng.choice(self.ref.descriptions[issue[1]])
        e.callback = rng.random() < 0.35
        e.best = rng.choice(BEST_TIMES) if e.callback else ""
        e.channel = rng.choice(("phone", "phone", "phone", "phone", "phone", "phone", "email", "web"))
        e.status = "new"
        e.job = None
        e.link_at = e.link_by = e.close_at = e.close_by = e.close_desc = e.resolved_at = None
        e.outcome = ""
        e.backdate = ""
        self.enqs.append(e)
        return e

    # Jobs ------------------------------------------------------------------------------

    def plan_job(self) -> None:
        rng, ref, now = self.rng, self.ref, self.now
        code = ref.council_codes[bisect.bisect_left(ref.council_cum, rng.random() * ref.council_cum[-1])]
        service = ref.services[bisect.bisect_left(ref.service_cum, rng.random() * ref.service_cum[-1])]
        issue = rng.choice(ref.issue_types[service])
        priority = rng.choice(ref.priority_by_issue[issue[1]])
        category = ref.categories[(service, rng.choice(ref.category_by_issue[(service, issue[1])]))]
        t0 = self._call_time(oldest_days=SPAN_DAYS, newest_s=HOUR)
        att_due, res_due = self._due(t0, priority)

        j = PJob()
        j.council, j.service, j.issue, j.priority, j.category = code, service, issue, priority, category
        j.t0, j.att_due, j.res_due = t0, att_due, res_due
        j.manager = rng.choice(ref.managers)
        j.case_manager = rng.choice(ref.managers)
        j.contractor = ref.contractors["Citycare"] if rng.random() < 0.7 else ref.contractors["Fulton Hogan"]
        j.crew = ref.crew_of[j.contractor]
        j.closer = ref.call_centre[code]
        place = self._place(code)
        j.suburb_id, j.street, j.lat, j.lng = place[0], f"{rng.randint(1, 240)} {place[1]}", place[2], place[3]

        created = t0 + rng.randint(10, 50) * MINUTE + rng.random()
        wait = rng.randint(3, 20) * MINUTE if rng.random() < 0.9 else rng.uniform(1, 8) * HOUR
        triaged = created + wait
        allocated = triaged + rng.randint(2, 10) * MINUTE
        dispatched = allocated + rng.randint(3, 15) * MINUTE
        late = rng.random() < 0.15
        attended = max(t0 + (att_due - t0) * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.3, 0.95)),
                       dispatched + 10 * MINUTE)
        assessed = attended + rng.randint(15, 50) * MINUTE
        in_repair = assessed + rng.randint(10, 40) * MINUTE
        completed = max(t0 + (res_due - t0) * (rng.uniform(1.05, 1.5) if late else rng.uniform(0.4, 0.95)),
                        in_repair + 30 * MINUTE)
        closed = completed + rng.randint(2, 40) * HOUR
        reported = closed + rng.randint(3, 9) * DAY if rng.random() < 0.9 else None
        times = [created, triaged, allocated, dispatched, attended, assessed, in_repair, completed, closed, reported]
        j.cancel_at = None
        j.cancel_reason = None
        fate = rng.random()
        limit = len(times)
        if fate < 0.05:
            j.cancel_at = triaged + rng.randint(20, 180) * MINUTE
            limit = 2
        elif fate < 0.06 and now - t0 < 120 * DAY:
            limit = rng.choice([4, 5, 7, 8])  # stalled at dispatched / attended / in repair / completed
        reached = 0
        for moment in times[:limit]:
            if moment is None or moment > now:
                break
            reached += 1
        j.times = times
        j.reached = reached  # >= 1: created is at most 50 min after t0 <= now - 1 h
        if j.cancel_at is not None and j.cancel_at <= now and reached >= 2:
            j.status = "cancelled"
        else:
            j.cancel_at = None
            j.status = JOB_CHAIN[reached - 1][2]
        if j.status == "cancelled":
            j.cancel_reason = rng.choice(CANCEL_REASONS)
        j.assessment = rng.choice(ASSESSMENTS) if reached >= 6 else ""
        j.dispatch_note = rng.choice(DISPATCH_NOTES)
        end = j.cancel_at if j.status == "cancelled" else (times[8] if reached >= 9 else now)

        # Its enquiries: the first call, then 0-2 more from neighbours.
        j.enqs, j.intake = [], []
        first = self._new_enquiry(code=code, service=service, issue=issue, received=t0, place=place)
        first.logged = min(first.logged, created)
        j.enqs.append(first)
        extra = rng.choices((0, 1, 2), weights=(70, 20, 10))[0]
        for n in range(extra):
            received = t0 + rng.randint(5, 50) * MINUTE * (n + 1) + rng.random()
            if received >= now:
                continue
            e = self._new_enquiry(code=code, service=service, issue=issue, received=received, place=place, near=True)
            if e.logged <= created:
                j.enqs.append(e)  # still new when the job was made from them: in "Created from"
            elif e.logged < end:
                j.intake.append(e)  # the call-centre linked it at intake
            else:
                self.enqs.pop()  # the job was finished before this call: leave it out
        for e in j.enqs:
            e.job, e.link_at, e.link_by = j, created, j.manager
        for e in j.intake:
            e.job, e.link_at, e.link_by = j, e.logged, ref.call_centre[code]
        closed_or_cancelled = j.status in ("closed", "reported", "cancelled")
        for e in j.enqs + j.intake:
            if closed_or_cancelled:
                e.status = "closed"
                if j.status == "cancelled":
                    e.close_at, e.close_by = j.cancel_at, j.manager
                else:
                    e.close_at, e.close_by = times[8], j.closer
            else:
                e.status = "linked"
        last = j.cancel_at if j.status == "cancelled" else times[reached - 1]
        if j.intake:
            last = max(last, max(e.logged for e in j.intake))
        j.updated = last
        j.note = None
        if reached >= 4 and rng.random() < 0.12:
            j.note = (created + rng.random() * (min(end, now) - created), rng.choice([j.manager, j.crew]),
                      rng.choice(NOTES))
        self.jobs.append(j)

    def plan(self) -> None:
        rng, ref, now = self.rng, self.ref, self.now
        n_new = max(20, round(self.n * 0.003))
        target_linked = round(self.n * 0.70)
        while len(self.enqs) < target_linked:
            self.plan_job()
        n_new = min(n_new, max(0, self.n - len(self.enqs)))
        # New enquiries: the last ~3 days, a third of them near an open job.
        open_jobs = [j for j in self.jobs if j.status not in ("closed", "reported", "cancelled")]
        for i in range(n_new):
            received = now - (rng.random() ** 2) * 72 * HOUR - rng.randint(2, 30) * MINUTE
            if open_jobs and i % 3 == 0:
                j = rng.choice(open_jobs)
                self._new_enquiry(code=j.council, service=j.service, issue=j.issue, received=received,
                                  place=(j.suburb_id, j.street.split(" ", 1)[1], j.lat, j.lng), near=True)
                continue
            code = ref.council_codes[bisect.bisect_left(ref.council_cum, rng.random() * ref.council_cum[-1])]
            service = ref.services[bisect.bisect_left(ref.service_cum, rng.random() * ref.service_cum[-1])]
            self._new_enquiry(code=code, service=service, issue=rng.choice(ref.issue_types[service]),
                              received=received, place=self._place(code))
        # Resolved at first contact: the rest, over the two years.
        while len(self.enqs) < self.n:
            code = ref.council_codes[bisect.bisect_left(ref.council_cum, rng.random() * ref.council_cum[-1])]
            service = ref.services[bisect.bisect_left(ref.service_cum, rng.random() * ref.service_cum[-1])]
            received = self._call_time(oldest_days=SPAN_DAYS, newest_s=20 * MINUTE)
            e = self._new_enquiry(code=code, service=service, issue=rng.choice(ref.issue_types[service]),
                                  received=received, place=self._place(code))
            if rng.random() < 0.03:  # an after-hours voicemail, logged next morning
                e.received = received - rng.uniform(1, 10) * HOUR
                e.backdate = "After-hours voicemail, logged when the office opened."
            e.status = "resolved"
            e.outcome = rng.choice(OUTCOMES)
            e.resolved_at = min(e.logged + rng.randint(2, 10) * MINUTE, now)

    # Numbering --------------------------------------------------------------------------

    def _local_year(self):
        boundaries = []  # (epoch of 1 Jan local, year)
        year0 = datetime.fromtimestamp(self.now, UTC).year - 4
        for year in range(year0, year0 + 7):
            boundaries.append(datetime(year, 1, 1, tzinfo=self.tz).timestamp())
        starts = boundaries

        def year_of(t: float) -> int:
            return year0 + bisect.bisect_right(starts, t) - 1

        return year_of

    def number(self) -> dict[tuple[str, int], int]:
        """Ids and references in the order things were logged, customers with them."""
        year_of = self._local_year()
        counters: dict[tuple[str, int], int] = {}
        self.enqs.sort(key=lambda e: e.logged)
        for i, e in enumerate(self.enqs, start=1):
            e.id = i
            year = year_of(e.logged)
            value = counters[("ENQ", year)] = counters.get(("ENQ", year), 0) + 1
            e.ref = f"ENQ-{year}-{value:06d}"
        self.jobs.sort(key=lambda j: j.times[0])
        for i, j in enumerate(self.jobs, start=1):
            j.id = i
            year = year_of(j.times[0])
            value = counters[("JOB", year)] = counters.get(("JOB", year), 0) + 1
            j.ref = f"JOB-{year}-{value:06d}"
        return counters


# Writing ---------------------------------------------------------------------------------


def _columns(model, expected: list[str]) -> list[str]:
    actual = {f.column for f in model._meta.concrete_fields}
    if set(expected) != actual:
        raise RuntimeError(f"{model.__name__} columns changed: missing {actual - set(expected)}, "
                           f"unknown {set(expected) - actual}; update bench/seed.py")
    return expected


def _copy(cur, table: str, columns: list[str], lines, *, chunk: int = 4000) -> int:
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)") as copy:
        buffer = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= chunk:
                copy.write("".join(buffer))
                count += len(buffer)
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            count += len(buffer)
    return count


CUSTOMER_COLUMNS = ["id", "council_id", "name", "phone", "phone_digits", "email", "postal_address",
                    "preferred_channel", "created_at"]
ENQUIRY_COLUMNS = ["id", "reference", "council_id", "customer_id", "street_address", "suburb_id", "latitude",
                   "longitude", "asset_id", "service", "issue_type_id", "description", "callback_requested",
                   "callback_best_time", "channel", "received_at", "backdate_reason", "logged_at", "logged_by_id",
                   "status", "job_id", "outcome"]
JOB_COLUMNS = ["id", "reference", "council_id", "service", "category_id", "priority_id", "status", "case_manager_id",
               "contractor_id", "street_address", "suburb_id", "street_key", "latitude", "longitude", "notified_at",
               "attendance_due_at", "resolution_due_at", "next_due_at", "created_at", "created_by_id",
               "categorised_at", "allocated_at", "dispatched_at", "attended_at", "assessed_at", "repair_started_at",
               "completed_at", "closed_at", "reported_at", "cancelled_at", "cancel_reason", "assessment", "version",
               "updated_at", "updated_by_id", "source", "description", "is_urgent", "kpi_class", "targets_from",
               "reopened_at", "found_at", "merged_into_id", "excluded_from_measures", "excluded_reason",
               "expected_completion_at", "site_contact_id", "access_notes"]
VISIT_COLUMNS = ["job_id", "arrived_at", "left_at", "by_id", "recorded_at", "backdate_reason"]
RESOLUTION_COLUMNS = ["job_id", "resolved_at", "by_id", "recorded_at", "backdate_reason", "note", "code_id"]
CLASSIFICATION_COLUMNS = ["job_id", "at", "category_id", "priority_id", "is_urgent", "kpi_class", "by_id", "reason"]
EVENT_COLUMNS = ["job_id", "kind", "at", "by_id", "text", "enquiry_id"]
CALLBACK_COLUMNS = ["id", "job_id", "enquiry_id", "resolution_id", "council_id", "status", "due_at", "attempts",
                    "notified_attempt", "outcome", "created_at", "finished_at"]
FEEDBACK_REQUEST_COLUMNS = ["id", "job_id", "customer_id", "enquiry_id", "job_closed_at", "channel", "code",
                            "sent_at", "expires_at", "reminder_sent_at", "answered_at"]
FEEDBACK_COLUMNS = ["id", "job_id", "request_id", "customer_id", "source", "overall", "timeliness",
                    "communication", "fixed", "comment", "given_at", "recorded_by_id"]
LOG_COLUMNS = ["timestamp", "by_id", "source_state", "state", "transition", "content_type_id", "object_id",
               "description"]


class Writer:
    def __init__(self, planner: Planner):
        self.p = planner
        self.ref = planner.ref

    def customer_lines(self):
        """Customers, made as their first enquiry is logged; ~8% of calls are from a returning one."""
        from enquiries.text import phone_digits

        rng = random.Random(self.p.rng.random())
        ref = self.ref
        known: dict[str, list[tuple[int, str]]] = {}
        next_id = 1
        channels = ("phone",) * 5 + ("email", "sms", "letter")
        for e in self.p.enqs:
            council_known = known.setdefault(e.council, [])
            if council_known and rng.random() < 0.08:
                e.customer_id, e.customer_name, _has_email = rng.choice(council_known)
                continue
            first, last = rng.choice(ref.first_names), rng.choice(ref.last_names)
            name = f"{first} {last}"
            channel = rng.choice(channels)
            phone = f"{rng.choice(('021', '022', '027', '04'))} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            email = (f"{first}.{last}".lower().replace(" ", "") + f"{rng.randint(1, 999)}@example.co.nz"
                     if channel == "email" or rng.random() < 0.3 else "")
            postal = f"PO Box {rng.randint(100, 9999)}, Wellington" if channel == "letter" else ""
            e.customer_id, e.customer_name = next_id, name
            council_known.append((next_id, name, bool(email)))
            yield (f"{next_id}\t{ref.councils[e.council]}\t{txt(name)}\t{phone}\t{phone_digits(phone)}\t{email}\t"
                   f"{txt(postal)}\t{channel}\t{ts(e.logged)}\n")
            next_id += 1

    def enquiry_lines(self):
        ref = self.ref
        for e in self.p.enqs:
            yield "\t".join((
                str(e.id), e.ref, str(ref.councils[e.council]), str(e.customer_id), txt(e.street), str(e.suburb_id),
                f"{e.lat:.6f}", f"{e.lng:.6f}", "", e.service, str(e.issue[0]), txt(e.desc),
                "t" if e.callback else "f", e.best, e.channel, ts(e.received), e.backdate, ts(e.logged),
                str(ref.call_centre[e.council]), e.status, str(e.job.id) if e.job is not None else N,
                txt(e.outcome),
            )) + "\n"

    def job_lines(self):
        from enquiries.text import street_key

        ref = self.ref
        for j in self.jobs_sorted():
            t = j.times
            r = j.reached
            status = j.status
            categorised = r >= 2
            attended_at = t[4] if r >= 5 else None
            if status in AWAITING_ATTENDANCE and attended_at is None:
                next_due = j.att_due if categorised else None
            elif status in AWAITING_RESOLUTION:
                next_due = j.res_due
            else:
                next_due = None
            version = r + (1 if status == "cancelled" else 0) + len(j.intake)
            yield "\t".join((
                str(j.id), j.ref, str(ref.councils[j.council]), j.service,
                str(j.category) if categorised else N,
                str(ref.priorities[j.priority][0]) if categorised else N,
                status,
                str(j.case_manager) if r >= 3 else N,
                str(j.contractor) if r >= 4 else N,
                txt(j.street), str(j.suburb_id), txt(street_key(j.street)), f"{j.lat:.6f}", f"{j.lng:.6f}",
                ts(j.t0),
                ts(j.att_due) if categorised else N,
                ts(j.res_due) if categorised else N,
                ts(next_due),
                ts(t[0]), str(j.manager),
                ts(t[1]) if r >= 2 else N, ts(t[2]) if r >= 3 else N, ts(t[3]) if r >= 4 else N,
                ts(attended_at), ts(t[5]) if r >= 6 else N, ts(t[6]) if r >= 7 else N,
                ts(t[7]) if r >= 8 else N, ts(t[8]) if r >= 9 else N, ts(t[9]) if r >= 10 else N,
                ts(j.cancel_at), j.cancel_reason[0] if j.cancel_reason else "", txt(j.assessment),
                str(version), ts(j.updated), str(j.manager),  # the case manager stands in for the last editor
                "customer", "",
                ("t" if ref.priorities[j.priority][5] else "f") if categorised else N,
                ref.category_kpi[j.category] if categorised else "",
                ts(j.t0), N, N, N, "f", "",
                ts(t[5] + 8 * 3600) if r >= 6 else N, N, "",  # expected completion: 8 h after the assessment
            )) + "\n"

    def visit_lines(self):
        for j in self.p.jobs:
            if j.reached >= 5:
                yield f"{j.id}\t{ts(j.times[4])}\t{N}\t{j.crew}\t{ts(j.times[4])}\t\n"

    def resolution_lines(self):
        for j in self.p.jobs:
            if j.reached >= 8:
                at = ts(j.times[7])
                yield f"{j.id}\t{at}\t{j.crew}\t{at}\t\tRepaired and site reinstated.\t{N}\n"

    def _resolution_ids(self) -> dict[int, int]:
        """jobs_resolution ids as COPY gives them: one per completed job, in job order."""
        if not hasattr(self, "_resolutions"):
            self._resolutions = {j.id: n for n, j in enumerate((j for j in self.p.jobs if j.reached >= 8), start=1)}
        return self._resolutions

    def callback_lines(self):
        """A call-back per enquiry that asked for one, on every completed job: done (mostly satisfied)
        once the job is closed, still scheduled (due an hour after completion) while it is not."""
        rng = random.Random(self.p.rng.random())
        ref, resolutions = self.ref, self._resolution_ids()
        next_id = 1
        for j in self.p.jobs:
            if j.reached < 8 or j.status == "cancelled":
                continue
            completed = j.times[7]
            for e in j.enqs + j.intake:
                if not e.callback:
                    continue
                due = completed + HOUR
                if j.reached >= 9:
                    attempts = 1 if rng.random() < 0.8 else 2
                    outcome = rng.choices(("satisfied", "not_satisfied", "wrong_number"), weights=(85, 10, 5))[0]
                    status = "wrong_number" if outcome == "wrong_number" else "done"
                    finished = min(j.times[8], due + (attempts - 1) * 2 * HOUR + rng.randint(1, 60) * MINUTE)
                    yield (f"{next_id}\t{j.id}\t{e.id}\t{resolutions[j.id]}\t{ref.councils[j.council]}\t{status}\t"
                           f"{ts(due)}\t{attempts}\t{attempts}\t{outcome}\t{ts(completed)}\t{ts(finished)}\n")
                else:
                    yield (f"{next_id}\t{j.id}\t{e.id}\t{resolutions[j.id]}\t{ref.councils[j.council]}\tscheduled\t"
                           f"{ts(due)}\t0\t0\t\t{ts(completed)}\t{N}\n")
                next_id += 1

    def feedback_request_lines(self):
        """Each closed job's first customer was asked for feedback; about a third answered."""
        rng = random.Random(self.p.rng.random())
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        self._answers = []
        next_id = 1
        for j in self.p.jobs:
            if j.reached < 9 or j.status == "cancelled":
                continue
            e = j.enqs[0]
            closed = j.times[8]
            code = "".join(rng.choice(alphabet) for _ in range(10))
            answered = closed + rng.randint(1, 72) * HOUR if rng.random() < 0.35 else None
            if answered is not None and answered > self.p.now:
                answered = None
            reminded = closed + 7 * DAY if answered is None and closed + 7 * DAY < self.p.now else None
            yield (f"{next_id}\t{j.id}\t{e.customer_id}\t{e.id}\t{ts(closed)}\temail\t{code}\t{ts(closed)}\t"
                   f"{ts(closed + 30 * DAY)}\t{ts(reminded)}\t{ts(answered)}\n")
            if answered is not None:
                self._answers.append((next_id, j.id, e.customer_id, answered))
            next_id += 1

    def feedback_lines(self):
        rng = random.Random(self.p.rng.random())
        for n, (request_id, job_id, customer_id, answered) in enumerate(self._answers, start=1):
            overall = rng.choices((1, 2, 3, 4, 5), weights=(4, 6, 15, 40, 35))[0]
            timeliness = max(1, min(5, overall + rng.choice((-1, 0, 0, 1))))
            communication = max(1, min(5, overall + rng.choice((-1, 0, 0, 1))))
            fixed = "yes" if rng.random() < 0.9 else "no"
            yield (f"{n}\t{job_id}\t{request_id}\t{customer_id}\tlink\t{overall}\t{timeliness}\t"
                   f"{communication}\t{fixed}\t\t{ts(answered)}\t{N}\n")

    def classification_lines(self):
        ref = self.ref
        for j in self.p.jobs:
            if j.reached >= 2:
                urgent = "t" if ref.priorities[j.priority][5] else "f"
                yield (f"{j.id}\t{ts(j.times[1])}\t{j.category}\t{ref.priorities[j.priority][0]}\t{urgent}\t"
                       f"{ref.category_kpi[j.category]}\t{j.manager}\t\n")

    def jobs_sorted(self):
        return self.p.jobs  # already in id order after number()

    def event_lines(self):
        for j in self.p.jobs:
            rows = [(e.link_at, e) for e in j.enqs] + [(e.link_at, e) for e in j.intake]
            for at, e in rows:
                text = f"{e.ref} linked: {e.issue[2]} reported by the customer"
                yield f"{j.id}\tenquiry_linked\t{ts(at)}\t{e.link_by}\t{txt(text)}\t{e.id}\n"
            if j.note is not None:
                at, by, text = j.note
                yield f"{j.id}\tnote\t{ts(at)}\t{by}\t{txt(text)}\t{N}\n"

    def job_log_lines(self):
        ref = self.ref
        ct = ref.ct_job
        for j in self.p.jobs:
            t = j.times
            priority = ref.priorities[j.priority]
            for step in range(j.reached):
                name, source, target = JOB_CHAIN[step]
                by = j.manager
                if name == "create":
                    desc = "Created from " + ", ".join(e.ref for e in j.enqs)
                elif name == "categorise":
                    desc = f"Category {ref.category_name[j.category]}; priority {j.priority} ({priority[1]})"
                elif name == "allocate":
                    desc = f"Case manager {ref.user_name[j.case_manager]}"
                elif name == "dispatch":
                    desc = f"Dispatched to {ref.contractor_name[j.contractor]}"
                    if j.dispatch_note:
                        desc += f". {j.dispatch_note}"
                elif name == "record_assessment":
                    by, desc = j.crew, j.assessment
                elif name == "complete":
                    by, desc = j.crew, "Repaired and site reinstated."
                elif name in ("record_arrival", "start_repair"):
                    by, desc = j.crew, None
                elif name == "close":
                    by, desc = j.closer, "Customer told the work is done."
                else:  # mark_reported
                    by, desc = ref.analyst, None
                yield (f"{ts(t[step])}\t{by}\t{source or N}\t{target}\t{name}\t{ct}\t{j.id}\t"
                       f"{txt(desc)}\n")
            if j.status == "cancelled":
                desc = f"Cancelled: {j.cancel_reason[1]}"
                yield f"{ts(j.cancel_at)}\t{j.manager}\ttriaged\tcancelled\tcancel\t{ct}\t{j.id}\t{desc}\n"

    def enquiry_log_lines(self):
        ct = self.ref.ct_enquiry
        for e in self.p.enqs:
            if e.job is not None:
                yield f"{ts(e.link_at)}\t{e.link_by}\tnew\tlinked\tlink_to_job\t{ct}\t{e.id}\tLinked to {e.job.ref}\n"
                if e.close_at is not None:
                    verb = "cancelled" if e.job.status == "cancelled" else "closed"
                    yield (f"{ts(e.close_at)}\t{e.close_by}\tlinked\tclosed\tclose\t{ct}\t{e.id}\t"
                           f"{e.job.ref} {verb}\n")
            elif e.status == "resolved":
                yield (f"{ts(e.resolved_at)}\t{self.ref.call_centre[e.council]}\tnew\tresolved\t"
                       f"resolve_at_first_contact\t{ct}\t{e.id}\t{txt(e.outcome)}\n")


# Database work ----------------------------------------------------------------------------


def ensure_database(url: str) -> bool:
    """Create the database if missing; True when it was created."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.get("dbname")
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def meta_get(conn, key: str, default=None):
    conn.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
    row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = %s", (key,)).fetchone()
    return row[0] if row else default


def meta_set(conn, key: str, value) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
    conn.execute(
        f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (key, json.dumps(value)),
    )


def restore_indexes(conn, log=print) -> int:
    """Build again any index a previous (interrupted) seed dropped."""
    saved = meta_get(conn, "dropped_indexes", [])
    if not saved:
        return 0
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    for name, definition in saved:
        started = time.perf_counter()
        conn.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
                     .replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1))
        log(f"    index {name}: {time.perf_counter() - started:.1f}s")
    meta_set(conn, "dropped_indexes", [])
    return len(saved)


def secondary_indexes(conn) -> list[tuple[str, str]]:
    """Indexes on the seeded tables that no constraint owns (primary and unique keys stay)."""
    return conn.execute(
        """
        SELECT i.indexname, i.indexdef
        FROM pg_indexes i
        JOIN pg_class c ON c.relname = i.indexname
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
        ORDER BY i.tablename, i.indexname
        """,
        (TABLES,),
    ).fetchall()


COMPLAINT_CHILD_TABLES = ("complaints_complaintcontact", "complaints_complaintaction", "complaints_complaintevent")


def complaint_copies(plan):
    """The complaint tables' COPY steps (bench/seed_complaints.py plans them)."""
    from django_fsm_log.models import StateLog
    from seed_complaints import ACTION_COLUMNS, COMPLAINT_COLUMNS, CONTACT_COLUMNS
    from seed_complaints import EVENT_COLUMNS as COMPLAINT_EVENT_COLUMNS

    from complaints.models import ComplaintAction, ComplaintContact, ComplaintEvent

    return [
        ("complaints_complaint", plan.model, COMPLAINT_COLUMNS, plan.complaint_lines()),
        ("complaints_complaintcontact", ComplaintContact, CONTACT_COLUMNS + ["id"], plan.contact_lines()),
        ("complaints_complaintaction", ComplaintAction, ACTION_COLUMNS + ["id"], plan.action_lines()),
        ("complaints_complaintevent", ComplaintEvent, COMPLAINT_EVENT_COLUMNS + ["id"], plan.event_lines()),
        ("django_fsm_log_statelog#complaints", StateLog, LOG_COLUMNS + ["id"], plan.log_lines()),
    ]


def seed(url: str, *, enquiries: int, seed_value: int = 2026, log=print) -> dict:
    """Plan and load; returns figures for the report."""
    figures = {}
    started = time.perf_counter()
    ref = Reference()
    now = time.time()
    planner = Planner(ref, enquiries=enquiries, seed=seed_value, now=now)
    planner.plan()
    counters = planner.number()
    from seed_complaints import ComplaintPlan

    complaint_plan = ComplaintPlan(planner, seed=seed_value + 1)
    counters.update(complaint_plan.plan())
    figures["plan_s"] = time.perf_counter() - started
    log(f"  planned {len(planner.enqs):,} enquiries, {len(planner.jobs):,} jobs in {figures['plan_s']:.1f}s")

    writer = Writer(planner)
    with psycopg.connect(url, autocommit=True) as conn:
        restore_indexes(conn, log)
        meta_set(conn, "seed", {"state": "loading", "enquiries": enquiries})
        indexes = secondary_indexes(conn)
        meta_set(conn, "dropped_indexes", indexes)

        load_started = time.perf_counter()
        counts = {}
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")  # no FK triggers while loading
            conn.execute("SET LOCAL synchronous_commit = off")
            conn.execute(f"TRUNCATE {', '.join(TABLES)}, django_session RESTART IDENTITY CASCADE")
            # The stored months of measures (reporting.rollups) are derived from these tables; the
            # triggers that would log the load are off with the foreign keys', so drop them here.
            conn.execute("TRUNCATE reporting_measuremonth, reporting_measurechange")
            for name, _definition in indexes:
                conn.execute(f'DROP INDEX IF EXISTS "{name}"')
            with conn.cursor() as cur:
                from django_fsm_log.models import StateLog

                from enquiries.models import Customer
                from feedback.models import CallBack, Feedback, FeedbackRequest
                from jobs.models import Classification, JobEvent, Resolution, Visit

                for table, model, columns, lines in (
                    ("enquiries_customer", Customer, CUSTOMER_COLUMNS, writer.customer_lines()),
                    ("jobs_job", ref.models["job"], JOB_COLUMNS, writer.job_lines()),
                    ("enquiries_enquiry", ref.models["enquiry"], ENQUIRY_COLUMNS, writer.enquiry_lines()),
                    ("jobs_jobevent", JobEvent, EVENT_COLUMNS + ["id"], writer.event_lines()),
                    ("jobs_visit", Visit, VISIT_COLUMNS + ["id"], writer.visit_lines()),
                    ("jobs_resolution", Resolution, RESOLUTION_COLUMNS + ["id"], writer.resolution_lines()),
                    ("jobs_classification", Classification, CLASSIFICATION_COLUMNS + ["id"],
                     writer.classification_lines()),
                    ("django_fsm_log_statelog", StateLog, LOG_COLUMNS + ["id"], writer.job_log_lines()),
                    ("django_fsm_log_statelog#enquiries", StateLog, LOG_COLUMNS + ["id"],
                     writer.enquiry_log_lines()),
                    *complaint_copies(complaint_plan),
                    ("feedback_callback", CallBack, CALLBACK_COLUMNS, writer.callback_lines()),
                    ("feedback_feedbackrequest", FeedbackRequest, FEEDBACK_REQUEST_COLUMNS,
                     writer.feedback_request_lines()),
                    ("feedback_feedback", Feedback, FEEDBACK_COLUMNS, writer.feedback_lines()),
                ):
                    _columns(model, columns)
                    table_name = table.split("#")[0]
                    copy_columns = [c for c in columns if c != "id"] if table_name in (
                        "jobs_jobevent", "jobs_visit", "jobs_resolution", "jobs_classification",
                        "django_fsm_log_statelog", *COMPLAINT_CHILD_TABLES) else columns
                    step_started = time.perf_counter()
                    counts[table] = _copy(cur, table_name, copy_columns, lines)
                    log(f"  COPY {table}: {counts[table]:,} rows in {time.perf_counter() - step_started:.1f}s")
            conn.execute("DELETE FROM common_referencecounter")
            for (prefix, year), value in sorted(counters.items()):
                conn.execute("INSERT INTO common_referencecounter (prefix, year, last_value) VALUES (%s, %s, %s)",
                             (prefix, year, value))
            for table in TABLES:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        figures["copy_s"] = time.perf_counter() - load_started

        index_started = time.perf_counter()
        log(f"  building {len(indexes)} indexes")
        restore_indexes(conn, log)
        figures["index_s"] = time.perf_counter() - index_started

        analyze_started = time.perf_counter()
        # VACUUM as well as ANALYZE: autovacuum keeps a live database's visibility map set, which
        # index-only scans (the reporting reads of classifications, say) depend on; rows loaded by
        # COPY a minute ago have none until a vacuum.
        conn.execute("VACUUM (ANALYZE)")
        figures["analyze_s"] = time.perf_counter() - analyze_started
        figures["counts"] = {
            "enquiries": counts["enquiries_enquiry"], "customers": counts["enquiries_customer"],
            "jobs": counts["jobs_job"], "job_events": counts["jobs_jobevent"],
            "state_logs_jobs": counts["django_fsm_log_statelog"],
            "state_logs_enquiries": counts["django_fsm_log_statelog#enquiries"],
            "complaints": counts["complaints_complaint"],
            "state_logs_complaints": counts["django_fsm_log_statelog#complaints"],
            "call_backs": counts["feedback_callback"], "feedback_requests": counts["feedback_feedbackrequest"],
            "feedback": counts["feedback_feedback"],
        }
        figures["total_s"] = time.perf_counter() - started
        meta_set(conn, "seed", {
            "state": "done", "enquiries": enquiries, "seeded_at": now, "seed": seed_value,
            "counts": figures["counts"], "seconds": round(figures["total_s"], 1),
        })
    return figures
