"""In-process latency and query counts: django.test.Client through the whole middleware stack.

Each page: a warm-up, one request under CaptureQueriesContext (query count and the
slowest query, kept for EXPLAIN), then the timed requests.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

PER_PAGE = 50


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Result:
    key: str
    label: str
    user: str
    target_ms: float | None
    prototype: str
    url: str = ""
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    max_ms: float = float("nan")
    queries: int = 0
    errors: int = 0
    status: int = 0
    bytes: int = 0
    note: str = ""
    slowest_sql: str = ""
    slowest_sql_ms: float = 0.0
    sql_ms: float = 0.0
    captured: list = field(default_factory=list)

    @property
    def ok(self) -> bool | None:
        if self.target_ms is None:
            return None
        return self.errors == 0 and self.p95_ms < self.target_ms

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "captured"}
        data["ok"] = self.ok
        data["query_list"] = [{"ms": round(ms, 3), "sql": sql[:400]} for ms, sql in self.captured]
        return data


@dataclass
class Subjects:
    """The rows the pages are measured on, found in the seeded database."""

    council_id: int
    issue_type_id: int
    radius_m: int
    job_small: str
    job_small_events: int
    job_big: str
    job_big_events: int
    job_short_reported: str  # a reported job like job_big with the fewest entries: the flatness pair
    job_short_reported_events: int
    dup_street: str
    dup_lat: Decimal
    dup_lng: Decimal
    deep: dict  # name -> (cursor, depth, total)
    complaints: dict = field(default_factory=dict)  # what the complaint pages are measured on
    feedback_path: str = ""  # a signed feedback link not yet answered (the public page)
    status_reference: str = ""  # an enquiry and its phone's last 4 digits (the public status page)
    status_digits: str = ""


def _events(job_id: int, ct_job: int) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM django_fsm_log_statelog WHERE content_type_id = %s AND object_id = %s)"
            " + (SELECT count(*) FROM jobs_jobevent WHERE job_id = %s)",
            [ct_job, job_id, job_id],
        )
        return cur.fetchone()[0]


def _recent_job(ct_job: int, council_id: int, statuses: tuple[str, ...], *, order: str):
    """(reference, id, timeline entries) of the council's 500 latest jobs in these statuses, the
    first by ``order`` (an SQL expression of the entries ``n``), or None."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT j.reference, j.id, n FROM (
                SELECT j.id, j.reference,
                       (SELECT count(*) FROM django_fsm_log_statelog s
                         WHERE s.content_type_id = %s AND s.object_id = j.id)
                     + (SELECT count(*) FROM jobs_jobevent e WHERE e.job_id = j.id) AS n
                FROM jobs_job j
                WHERE j.council_id = %s AND j.status = ANY(%s)
                ORDER BY j.notified_at DESC LIMIT 500
            ) j ORDER BY {order}, j.id DESC LIMIT 1
            """,
            [ct_job, council_id, list(statuses)],
        )
        return cur.fetchone()


def find_subjects(*, deep_rows: int, deep_page: int, log=print) -> Subjects:
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Organisation
    from common.pagination import _encode
    from enquiries.models import Enquiry, IssueType
    from jobs.enums import OPEN_STATUSES
    from jobs.models import Job

    wcc = Organisation.objects.get(short_code="WCC")
    leak = IssueType.objects.get(service="water_supply", code="leak")
    ct_job = ContentType.objects.get_for_model(Job).pk

    # A job with a short timeline: ~5 entries (e.g. created, categorised, allocated, dispatched + 1 enquiry).
    small = _recent_job(ct_job, wcc.pk, ("dispatched", "allocated", "attended"), order="abs(n - 5)")
    with connection.cursor() as cur:
        # A job with a long timeline: reported, with the most enquiries and a note.
        cur.execute(
            """
            SELECT j.reference, j.id FROM jobs_job j
            JOIN (SELECT job_id, count(*) AS n FROM jobs_jobevent GROUP BY job_id ORDER BY n DESC LIMIT 200) e
              ON e.job_id = j.id
            WHERE j.status = 'reported' ORDER BY e.n DESC, j.id DESC LIMIT 1
            """
        )
        big = cur.fetchone() or small
    # A reported job like that one, with the fewest entries among recent ones: the page's query
    # count is compared between the two (an open job's page reads fewer sections than a
    # completed one's, so the short and the long subjects above differ by state as well).
    short_reported = _recent_job(ct_job, wcc.pk, ("reported",), order="n") or big
    small_events = _events(small[1], ct_job)
    big_events = _events(big[1], ct_job)
    short_reported_events = _events(short_reported[1], ct_job)

    # Duplicate search: a caller a few doors from a recent open water-supply job in WCC.
    job = (Job.objects.filter(council=wcc, service="water_supply", status__in=OPEN_STATUSES)
           .order_by("-notified_at").first())
    if job is None:
        raise RuntimeError("no open WCC water-supply job to search duplicates around: seed more enquiries")
    number, _, street = job.street_address.partition(" ")
    dup_street = f"{(int(number) + 6) if number.isdigit() else 7} {street}"
    dup_lat = (job.latitude + Decimal("0.000300")).quantize(Decimal("0.000001"))
    dup_lng = (job.longitude - Decimal("0.000200")).quantize(Decimal("0.000001"))

    # Deep cursors, made exactly as common.pagination encodes them.
    deep = {}

    def cursor_at(name, queryset, depth):
        ordered = queryset.order_by("-received_at", "-id")
        total = ordered.count()
        depth = max(1, min(depth, total - PER_PAGE - 1))
        row = ordered.values_list("received_at", "id")[depth - 1:depth].first()
        if row is None:
            deep[name] = (None, 0, total)
            return
        deep[name] = (_encode(row[0], row[1]), depth, total)

    started = time.perf_counter()
    linked_water = Enquiry.objects.filter(status="linked", service="water_supply")
    closed_water = Enquiry.objects.filter(status="closed", service="water_supply")
    cursor_at("all", Enquiry.objects.all(), deep_rows)
    cursor_at("linked_water", linked_water, deep_page * PER_PAGE)
    cursor_at("closed_water", closed_water, deep_page * PER_PAGE)
    cursor_at("closed_water_wcc", closed_water.filter(council=wcc), deep_page * PER_PAGE)
    log(f"  deep cursors found in {time.perf_counter() - started:.1f}s")
    complaints = _complaint_subjects(wcc.pk, deep_page=deep_page)
    feedback_path, status_reference, status_digits = _public_subjects()
    return Subjects(
        complaints=complaints,
        council_id=wcc.pk, issue_type_id=leak.pk, radius_m=leak.duplicate_radius_m,
        job_small=small[0], job_small_events=small_events, job_big=big[0], job_big_events=big_events,
        job_short_reported=short_reported[0], job_short_reported_events=short_reported_events,
        dup_street=dup_street, dup_lat=dup_lat, dup_lng=dup_lng, deep=deep,
        feedback_path=feedback_path, status_reference=status_reference, status_digits=status_digits,
    )


def _complaint_subjects(council_id: int, *, deep_page: int) -> dict:
    """The complaint with the longest timeline, one with a short one, and a deep cursor in the queue."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from common.pagination import _encode
    from complaints.models import Complaint

    if not Complaint.objects.exists():
        return {}
    ct = ContentType.objects.get_for_model(Complaint).pk
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT object_id, count(*) AS n FROM django_fsm_log_statelog
            WHERE content_type_id = %s GROUP BY object_id ORDER BY n DESC, object_id DESC LIMIT 1
            """,
            [ct],
        )
        big_id, big_logs = cur.fetchone()
    big = Complaint.objects.annotate(event_count=Count("events")).get(pk=big_id)
    small = Complaint.objects.filter(status="received", council_id=council_id).order_by("-received_at").first() \
        or Complaint.objects.order_by("-received_at").first()
    closed_water = Complaint.objects.filter(status="closed", service="water_supply").order_by("-received_at", "-id")
    total = closed_water.count()
    depth = max(1, min(deep_page * PER_PAGE // 10, total - PER_PAGE - 1))
    row = closed_water.values_list("received_at", "id")[depth - 1:depth].first()
    return {
        "big": big.reference, "big_entries": big_logs + big.event_count, "small": small.reference,
        "deep": (_encode(row[0], row[1]), depth, total) if row else (None, 0, total),
        "count": Complaint.objects.count(),
    }
def _public_subjects() -> tuple[str, str, str]:
    """A feedback link that still takes answers, and an enquiry on a job with its phone's last digits."""
    from django.urls import reverse
    from django.utils import timezone

    from enquiries.models import Enquiry
    from feedback.models import FeedbackRequest
    from feedback.tokens import link_token

    request = (FeedbackRequest.objects.filter(answered_at__isnull=True, expires_at__gt=timezone.now())
               .select_related("job").order_by("-sent_at").first())
    path = ""
    if request is not None:
        reference = request.job.reference
        path = reverse("feedback:give", args=[reference, link_token(reference=reference, code=request.code)])
    enquiry = (Enquiry.objects.filter(status="linked").exclude(customer__phone_digits="")
               .select_related("customer").order_by("-received_at").first())
    return path, enquiry.reference if enquiry else "", enquiry.customer.phone_digits[-4:] if enquiry else ""


def _client_for(username: str) -> Client:
    from accounts.models import User

    client = Client(SERVER_NAME="127.0.0.1")
    if username == "anonymous":
        return client  # the public pages: a customer with no login
    client.force_login(User.objects.get(username=username))
    return client


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(params) if params else ""


def page_specs(s: Subjects, *, deep_page: int) -> list[dict]:
    """What is measured: (key, label, user, url, target ms, prototype figure at 1M)."""
    specs = []
    lw = {"status": "linked", "service": "water_supply"}
    cw = {"status": "closed", "service": "water_supply"}

    def add(key, label, user, url, target, proto, note="", headers=None, body=None):
        specs.append({"key": key, "label": label, "user": user, "url": url, "target": target, "proto": proto,
                      "note": note, "headers": headers or {}, "body": body})

    # The baseline: the full middleware stack with an empty view (BENCH=true turns it on).
    add("bare", "bare Django view (baseline)", "casemanager", "/bench/bare", None, "")
    add("queue_cm_p1", "queue linked+water p1", "casemanager", "/enquiries/" + _query(lw), 30, "~22")
    add("queue_cc_p1", "queue linked+water p1", "callcentre", "/enquiries/" + _query(lw), 30, "~22")
    cursor, depth, total = s.deep["linked_water"]
    if cursor:
        add("queue_cm_deep_linked", f"queue linked+water @row {depth:,}", "casemanager",
            "/enquiries/" + _query({**lw, "after": cursor}), 30, "~22",
            note=f"only {total:,} linked water enquiries" if depth < deep_page * PER_PAGE else "")
    cursor, depth, total = s.deep["closed_water"]
    if cursor:
        add("queue_cm_deep_closed", f"queue closed+water @row {depth:,}", "casemanager",
            "/enquiries/" + _query({**cw, "after": cursor}), 30, "~22")
    cursor, depth, total = s.deep["closed_water_wcc"]
    if cursor:
        add("queue_cc_deep_closed", f"queue closed+water @row {depth:,}", "callcentre",
            "/enquiries/" + _query({**cw, "after": cursor}), 30, "~22")
    cursor, depth, total = s.deep["all"]
    if cursor:
        add("queue_cm_deep_all", f"queue unfiltered @row {depth:,}", "casemanager",
            "/enquiries/" + _query({"after": cursor}), 30, "~22")
    add("triage_new", "triage (new tab)", "casemanager", "/jobs/triage/", 30, "")
    add("triage_at_risk", "triage at_risk", "casemanager", "/jobs/triage/?tab=at_risk", 30, "")
    add("callback_queue", "call-back queue", "callcentre", "/callbacks/", 30, "")
    if s.feedback_path:
        add("feedback_page", "feedback page (public)", "anonymous", s.feedback_path, 10, "")
    add("status_form", "status page form (public)", "anonymous", "/status/", 10, "")
    if s.status_reference:
        add("status_lookup", "status page lookup (public)", "anonymous", "/status/", 10, "",
            body={"reference": s.status_reference, "contact": s.status_digits})
    add("job_small", f"job page, {s.job_small_events} events", "casemanager", f"/jobs/{s.job_small}/", 30,
        "~18 (3 q)")
    add("job_big", f"job page, {s.job_big_events} events", "casemanager", f"/jobs/{s.job_big}/", 30, "~18 (3 q)")
    add("job_short_reported", f"job page, reported, {s.job_short_reported_events} events", "casemanager",
        f"/jobs/{s.job_short_reported}/", 30, "~18 (3 q)")
    dup = {"council": s.council_id, "service": "water_supply", "street_address": s.dup_street,
           "latitude": str(s.dup_lat), "longitude": str(s.dup_lng), "issue_type": s.issue_type_id}
    add("dup_view", "duplicates (htmx view)", "callcentre", "/enquiries/duplicates/" + _query(dup), 5, "2-3",
        headers={"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "duplicates"})
    c = s.complaints
    if c:
        add("complaints_new", "complaints queue (new tab)", "casemanager", "/complaints/", 30, "")
        add("complaints_overdue", "complaints queue overdue", "casemanager", "/complaints/?tab=overdue", 30, "")
        add("complaints_cc_all", "complaints queue all, council", "callcentre", "/complaints/?tab=all", 30, "")
        cw = {"tab": "all", "status": "closed", "service": "water_supply"}
        add("complaints_closed", "complaints queue closed+water p1", "casemanager", "/complaints/" + _query(cw),
            30, "")
        cursor, depth, total = c["deep"]
        if cursor:
            add("complaints_deep", f"complaints closed+water @row {depth:,}", "casemanager",
                "/complaints/" + _query({**cw, "after": cursor}), 30, "")
        add("complaint_small", "complaint page, just received", "casemanager", f"/complaints/{c['small']}/", 30, "")
        add("complaint_big", f"complaint page, {c['big_entries']} entries", "casemanager",
            f"/complaints/{c['big']}/", 30, "")
    return specs


class QueryTimer:
    """Wall time of every query (connection.execute_wrapper), finer than CaptureQueriesContext's."""

    def __init__(self):
        self.times: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((time.perf_counter() - started) * 1000)


def _capture(result: Result, ctx: CaptureQueriesContext, timer: QueryTimer) -> None:
    queries = ctx.captured_queries
    result.queries = len(queries)
    if len(timer.times) == len(queries):
        result.captured = [(ms, q["sql"]) for ms, q in zip(timer.times, queries, strict=True)]
    else:
        result.captured = [(float(q["time"]) * 1000, q["sql"]) for q in queries]
    if result.captured:
        result.slowest_sql_ms, result.slowest_sql = max(result.captured)
        result.sql_ms = sum(ms for ms, _sql in result.captured)


class Probe:
    """One thing to time: a page through the test client, or the selector called directly."""

    def __init__(self, result: Result, call, *, body=None):
        self.result = result
        self.call = call  # () -> status code
        self.body = body  # () -> bytes, for the content check
        self.times: list[float] = []
        self.errors = 0

    def capture(self) -> None:
        timer = QueryTimer()
        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timer):
            self.result.status = self.call()
        _capture(self.result, ctx, timer)

    def once(self) -> None:
        started = time.perf_counter()
        status = self.call()
        self.times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            self.errors += 1

    def finish(self) -> Result:
        times = sorted(self.times)
        r = self.result
        r.p50_ms, r.p95_ms, r.max_ms = percentile(times, 0.5), percentile(times, 0.95), times[-1]
        r.errors = self.errors + (r.status != 200)
        return r


def page_probe(client: Client, spec: dict) -> Probe:
    result = Result(key=spec["key"], label=spec["label"], user=spec["user"], target_ms=spec["target"],
                    prototype=spec["proto"], url=spec["url"], note=spec["note"])
    url, headers, data = spec["url"], spec["headers"], spec.get("body")
    if data is not None:  # a form posted (the status lookup)
        return Probe(result, lambda: client.post(url, data, **headers).status_code,
                     body=lambda: client.post(url, data, **headers).content)
    return Probe(result, lambda: client.get(url, **headers).status_code,
                 body=lambda: client.get(url, **headers).content)


def function_probe(s: Subjects) -> Probe:
    from accounts.models import User
    from enquiries.selectors import duplicate_candidates

    user = User.objects.select_related("organisation").get(username="callcentre")
    kwargs = dict(user=user, council_id=s.council_id, service="water_supply", street_address=s.dup_street,
                  latitude=s.dup_lat, longitude=s.dup_lng, radius_m=s.radius_m)
    result = Result(key="dup_function", label="duplicate_candidates()", user="callcentre", target_ms=5,
                    prototype="2-3", url="enquiries.selectors.duplicate_candidates")
    result.note = f"{len(duplicate_candidates(**kwargs))} candidates"

    def call():
        duplicate_candidates(**kwargs)
        return 200

    return Probe(result, call)


def _content_check(result: Result, body: bytes) -> None:
    """A page that is 200 but empty would measure nothing: note what it shows."""
    if result.key.startswith("queue"):
        rows = body.count(b'data-label="Reference"')
        result.note = (result.note + "; " if result.note else "") + f"{rows} rows"
    elif result.key == "callback_queue":
        result.note = f"{body.count(b'Record call-back<span')} call-backs due"
    elif result.key == "status_lookup":
        result.note = "found" if b'aria-current="step"' in body else "NOT FOUND"
    elif result.key == "feedback_page":
        result.note = "form shown" if b"Send feedback" in body else "NO FORM"
    elif result.key == "dup_view":
        found = body.count(b'name="link_job" value="JOB-')
        result.note = f"{found} candidates"


def run(subjects: Subjects, *, deep_page: int, warmup: int, requests: int, log=print) -> list[Result]:
    """Warm up and capture each probe, then time them round-robin: request i of every page runs
    before request i+1 of any, so background noise on this shared machine spreads evenly."""
    clients = {}
    probes = []
    for spec in page_specs(subjects, deep_page=deep_page):
        if spec["user"] not in clients:
            clients[spec["user"]] = _client_for(spec["user"])
        probes.append(page_probe(clients[spec["user"]], spec))
    probes.append(function_probe(subjects))
    for probe in probes:
        for _ in range(warmup):
            probe.call()
        probe.capture()
        if probe.body is not None:
            _content_check(probe.result, probe.body())
    started = time.perf_counter()
    for _ in range(requests):
        for probe in probes:
            probe.once()
    log(f"  {requests} rounds of {len(probes)} probes in {time.perf_counter() - started:.1f}s")
    results = [probe.finish() for probe in probes]
    for r in results:
        log(f"  {r.label:<34} {r.user:<12} p50 {r.p50_ms:7.2f} ms  p95 {r.p95_ms:7.2f} ms  "
            f"{r.queries:3d} queries  status {r.status}")
    return results


def session_cookie(username: str) -> str:
    client = _client_for(username)
    from django.conf import settings

    return client.cookies[settings.SESSION_COOKIE_NAME].value


def explain(sql: str) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cur.fetchall())
