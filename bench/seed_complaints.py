"""Complaints for the benchmark: 50,000 per 1,000,000 enquiries (5%), planned beside the jobs.

Most complaints are about a job (its first enquiry's customer), a fifth about a resolved
enquiry's customer with no job. Times follow the complaint's steps (logged, cause recorded,
discussed, one to three next steps agreed and done, resolved, closed); ~15% are escalated
(team leader 8%, manager 5%, executive 2%), ~4% withdrawn, ~8% stall at an open step (the
overdue ones). Service levels are the default's: acknowledge within 2 business days,
resolve within 20, added with the seed's business clock. Every step is a StateLog row, a
discussion a contact row, a next step an action row, a step done an event row.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from seed import DAY, HOUR, MINUTE, N, ts, txt

RATIO = 0.05
COMPLAINT_COLUMNS = [
    "id", "reference", "council_id", "customer_id", "job_id", "enquiry_id", "service", "category_id", "channel",
    "received_at", "backdate_reason", "description", "logged_at", "logged_by_id", "status", "owner_id", "level",
    "cause_id", "cause_notes", "outcome", "customer_accepts", "acknowledge_due_at", "resolve_due_at", "next_due_at",
    "acknowledged_at", "understood_at", "discussed_at", "agreed_at", "escalated_at", "resolved_at", "closed_at",
    "withdrawn_at", "version", "updated_at", "updated_by_id",
]
CONTACT_COLUMNS = ["complaint_id", "channel", "at", "summary", "by_id", "created_at"]
ACTION_COLUMNS = ["complaint_id", "text", "owner_id", "due_on", "done_at", "done_by_id", "created_at",
                  "created_by_id"]
EVENT_COLUMNS = ["complaint_id", "kind", "at", "by_id", "text"]
TABLES = ["complaints_complaint", "complaints_complaintcontact", "complaints_complaintaction",
          "complaints_complaintevent"]
OPEN = ("received", "understood", "discussed", "agreed")
LEVELS = [("", 85), ("team_leader", 8), ("manager", 5), ("executive", 2)]
LEVEL_LABEL = {"team_leader": "team leader", "manager": "manager", "executive": "executive"}
STEPS = ["Flush the hydrant", "Send a written apology", "Book CCTV of the main", "Call the customer back",
         "Reinstate the berm", "Check the pressure logger"]


class PComplaint:
    __slots__ = ("id", "ref", "council", "enq", "job", "with_enquiry", "service", "category", "channel", "received",
                 "logger", "manager", "other", "status", "level", "cause", "ack_due", "res_due", "t", "steps",
                 "escalated", "withdrawn", "accepts")


class ComplaintPlan:
    def __init__(self, planner, *, seed: int):
        from django.contrib.contenttypes.models import ContentType

        from complaints.models import Complaint, ComplaintCategory, ComplaintCause, ComplaintServiceLevel

        self.p = planner
        self.rng = random.Random(seed)
        self.categories = {}
        for c in ComplaintCategory.objects.filter(is_active=True).order_by("id"):
            self.categories.setdefault(c.service, []).append((c.pk, c.name))
        self.causes = list(ComplaintCause.objects.filter(is_active=True).values_list("pk", "name"))
        level = ComplaintServiceLevel.objects.filter(is_default=True).first()
        self.ack_days = level.acknowledge_business_days if level else 2
        self.res_days = level.resolve_business_days if level else 20
        from complaints.due_dates import business_day_hours

        self.day_hours = business_day_hours()
        self.ct = ContentType.objects.get_for_model(Complaint).pk
        self.model = Complaint
        self.items: list[PComplaint] = []

    def plan(self) -> dict[tuple[str, int], int]:
        p, rng, now = self.p, self.rng, self.p.now
        ref = p.ref
        with_job = [j for j in p.jobs if j.enqs]
        resolved = [e for e in p.enqs if e.status == "resolved"]
        count = round(len(p.enqs) * RATIO)
        level_names = [name for name, _w in LEVELS]
        level_weights = [w for _n, w in LEVELS]
        for _ in range(count):
            c = PComplaint()
            if with_job and (rng.random() < 0.8 or not resolved):
                j = rng.choice(with_job)
                c.job, c.enq = j, j.enqs[0]
                c.with_enquiry = rng.random() < 0.3
                start = j.t0
            else:
                c.job, c.enq, c.with_enquiry = None, rng.choice(resolved), True
                start = c.enq.received
            c.received = start + HOUR + rng.random() * 12 * DAY
            if c.received > now - 10 * MINUTE:
                c.received = now - rng.random() * 2 * DAY - 10 * MINUTE
            c.council = c.enq.council
            c.service = c.enq.service
            c.category = rng.choice(self.categories[c.service])
            c.channel = rng.choice(("phone", "phone", "phone", "email", "web"))
            c.logger = ref.call_centre[c.council] if rng.random() < 0.6 else rng.choice(ref.managers)
            c.manager = rng.choice(ref.managers)
            c.other = ref.managers[1] if c.manager == ref.managers[0] else ref.managers[0]
            c.cause = rng.choice(self.causes)
            c.level = rng.choices(level_names, level_weights)[0]
            c.ack_due = p.business_time_after(c.received, self.ack_days * self.day_hours)
            c.res_due = p.business_time_after(c.received, self.res_days * self.day_hours)
            c.accepts = rng.random() < 0.8
            # Step times: understood, discussed, agreed, next steps done, resolved, closed.
            t = [c.received + rng.uniform(0.5, 30) * HOUR]
            t.append(t[-1] + rng.uniform(1, 72) * HOUR)
            t.append(t[-1] + rng.uniform(1, 48) * HOUR)
            c.steps = []
            for n in range(rng.choice((1, 2, 2, 3))):
                due = t[2] + rng.uniform(2, 10) * DAY
                done = t[2] + rng.uniform(1, 9) * DAY
                c.steps.append((rng.choice(STEPS), c.manager if n % 2 == 0 else ref.call_centre[c.council], due,
                                done))
            t.append(max(done for _s, _o, _d, done in c.steps) + rng.uniform(1, 30) * HOUR)
            t.append(t[-1] + rng.uniform(1, 5) * DAY)
            c.t = t
            c.escalated = t[0] + (t[1] - t[0]) * 0.5 if c.level else None
            c.withdrawn = None
            roll = rng.random()
            stall = rng.choice(OPEN) if roll < 0.08 else None
            if 0.08 <= roll < 0.12:
                c.withdrawn = t[1] + HOUR
            reached = 0  # how many of the six steps happened
            for moment in t:
                if moment > now - MINUTE:
                    break
                reached += 1
            if stall is not None:
                reached = min(reached, OPEN.index(stall))
            if c.withdrawn is not None and (reached < 2 or c.withdrawn > now):
                c.withdrawn = None
            c.status = ("withdrawn" if c.withdrawn is not None
                        else ("received", "understood", "discussed", "agreed", "agreed", "resolved", "closed")[reached])
            c.t = t[:reached] if c.withdrawn is None else t[:2]
            if c.escalated is not None and (not c.t or c.escalated > now):
                c.level, c.escalated = "", None
            self.items.append(c)
        # Ids and references in logging order, numbered after any the app already has.
        self.items.sort(key=lambda c: c.received)
        year_of = p._local_year()
        counters: dict[tuple[str, int], int] = {}
        for i, c in enumerate(self.items, start=1):
            c.id = i
            year = year_of(c.received)
            value = counters[("CMP", year)] = counters.get(("CMP", year), 0) + 1
            c.ref = f"CMP-{year}-{value:06d}"
        return counters

    # Lines --------------------------------------------------------------------------------

    def complaint_lines(self):
        ref = self.p.ref
        now = self.p.now
        for c in self.items:
            t = c.t
            reached = len(t)
            acknowledged = t[0] if reached >= 1 else None
            is_open = c.status in OPEN
            next_due = (c.ack_due if acknowledged is None else c.res_due) if is_open else None
            resolved_at = t[4] if reached >= 5 else None
            owner = c.other if c.level else (c.manager if reached >= 1 or c.logger in ref.managers else None)
            actions = len(c.steps) if reached >= 3 else 0
            version = 1 + reached + (1 if c.level else 0) + (actions - 1 if actions else 0) + (
                len(c.steps) if reached >= 4 else 0) + (1 if c.withdrawn else 0)
            last = max([c.received] + list(t) + ([c.withdrawn] if c.withdrawn else []))
            yield "\t".join((
                str(c.id), c.ref, str(ref.councils[c.council]), str(c.enq.customer_id),
                str(c.job.id) if c.job else N, str(c.enq.id) if c.with_enquiry else N, c.service,
                str(c.category[0]), c.channel, ts(c.received), "", "The customer is unhappy with how this went.",
                ts(c.received + 5 * MINUTE), str(c.logger), c.status, num(owner), c.level,
                str(c.cause[0]) if reached >= 1 else N, "Noted on the call." if reached >= 1 else "",
                "Put right and explained." if resolved_at else "",
                ("t" if c.accepts else "f") if resolved_at else N,
                ts(c.ack_due), ts(c.res_due), ts(next_due), ts(acknowledged), ts(acknowledged),
                ts(t[1]) if reached >= 2 else N, ts(t[2]) if reached >= 3 else N, ts(c.escalated),
                ts(resolved_at), ts(t[5]) if reached >= 6 else N, ts(c.withdrawn), str(version),
                ts(min(last, now)), str(c.manager),
            )) + "\n"

    def contact_lines(self):
        for c in self.items:
            if len(c.t) >= 2:
                at = ts(c.t[1])
                yield f"{c.id}\tphone\t{at}\tExplained what went wrong and what happens next.\t{c.manager}\t{at}\n"

    def action_lines(self):
        for c in self.items:
            if len(c.t) < 3:
                continue
            finished = len(c.t) >= 4
            for text, owner, due, done in c.steps:
                due_on = datetime.fromtimestamp(due, UTC).date().isoformat()
                yield (f"{c.id}\t{text}\t{owner}\t{due_on}\t{ts(done) if finished else N}\t"
                       f"{owner if finished else N}\t{ts(c.t[2])}\t{c.manager}\n")

    def event_lines(self):
        for c in self.items:
            if len(c.t) >= 4:
                for text, owner, _due, done in c.steps:
                    yield f"{c.id}\taction_done\t{ts(done)}\t{owner}\t{txt(text)}\n"

    def log_lines(self):
        ct = self.ct
        chain = [("understand", "received", "understood"), ("record_contact", "understood", "discussed"),
                 ("agree_next_step", "discussed", "agreed"), None, ("resolve", "agreed", "resolved"),
                 ("close", "resolved", "closed")]
        for c in self.items:
            yield f"{ts(c.received + 5 * MINUTE)}\t{c.logger}\t{N}\treceived\tcreate\t{ct}\t{c.id}\t{c.category[1]}\n"
            for index, moment in enumerate(c.t):
                if index == 2:
                    for number, (text, _owner, _due, _done) in enumerate(c.steps):
                        source = "discussed" if number == 0 else "agreed"
                        yield (f"{ts(moment)}\t{c.manager}\t{source}\tagreed\tagree_next_step\t{ct}\t{c.id}\t"
                               f"{txt(text)}\n")
                    continue
                if chain[index] is None:
                    continue
                name, source, target = chain[index]
                yield f"{ts(moment)}\t{c.manager}\t{source}\t{target}\t{name}\t{ct}\t{c.id}\t{name.replace('_', ' ')}\n"
            if c.escalated is not None:
                state = "received" if not c.t else "understood"
                yield (f"{ts(c.escalated)}\t{c.manager}\t{state}\t{state}\tescalate\t{ct}\t{c.id}\t"
                       f"Escalated to {LEVEL_LABEL[c.level]}\n")
            if c.withdrawn is not None:
                yield f"{ts(c.withdrawn)}\t{c.manager}\tdiscussed\twithdrawn\twithdraw\t{ct}\t{c.id}\tWithdrawn\n"


def num(value) -> str:
    return N if value is None else str(value)
