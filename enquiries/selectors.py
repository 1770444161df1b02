"""Reads for enquiries and customers, always through the user's scope."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import permissions
from accounts.models import Organisation, Suburb
from common.columns import reference_column

from .enums import EnquiryStatus
from .models import Customer, Enquiry, IssueType
from .text import house_number, phone_digits, street_key

EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE_LATITUDE = 111_320


def enquiries_visible_to(*, user) -> QuerySet[Enquiry]:
    enquiries = Enquiry.objects.all()
    if not permissions.may_view_enquiries(user):
        return enquiries.none()
    if permissions.sees_all_councils(user):
        return enquiries
    return enquiries.filter(council_id=user.organisation_id)


def enquiry_list(*, user) -> QuerySet[Enquiry]:
    """The queue's enquiries in the user's scope, newest first; ``enquiry_rows`` shapes them for a list."""
    return enquiries_visible_to(user=user).order_by("-received_at", "-id")


def enquiry_rows(queryset: QuerySet[Enquiry]) -> QuerySet[Enquiry]:
    """What a list row shows, in one query: the enquiry's own columns and its related names as
    columns of it (``suburb_name``, ``job_reference``, ...), not five related model instances
    a row (those cost a quarter of the queue's time)."""
    return queryset.only(*LIST_COLUMNS).annotate(**LIST_FACTS)


LIST_COLUMNS = (
    "reference", "received_at", "status", "service", "street_address", "callback_requested", "callback_best_time",
    "council_id", "customer_id", "job_id",
)
LIST_FACTS = {
    "council_label": reference_column(Organisation, Coalesce(NullIf("short_code", Value("")), "name"),  # .label
                                      key="council_id"),
    "customer_name": F("customer__name"),
    "issue_type_name": reference_column(IssueType, "name", key="issue_type_id"),
    "issue_type_is_urgent": reference_column(IssueType, "is_urgent", key="issue_type_id"),
    "suburb_name": reference_column(Suburb, "name", key="suburb_id"),
    "job_reference": F("job__reference"),
    "job_status": F("job__status"),
}


REFERENCE = re.compile(r"^(ENQ|JOB)-\d{4}-\d{1,6}$", re.I)


def enquiry_search(queryset: QuerySet[Enquiry], value: str, *, by_customer: bool = True) -> QuerySet[Enquiry]:
    """Enquiries by reference (theirs or their job's), phone, customer name, address or reference part.

    ``by_customer=False`` for roles that may not see customers: address and reference only.
    """
    value = (value or "").strip()
    if not value:
        return queryset
    if REFERENCE.match(value):
        value = value.upper()
        if value.startswith("JOB"):
            return queryset.filter(job__reference=value)
        return queryset.filter(reference=value)
    if not by_customer:  # personal data: only the roles that see customers may search by them
        return queryset.filter(Q(street_address__icontains=value) | Q(reference__icontains=value))
    digits = phone_digits(value)
    if len(digits) >= 3 and not any(ch.isalpha() for ch in value):
        return queryset.filter(customer__phone_digits__startswith=digits)
    return queryset.filter(
        Q(customer__name__icontains=value) | Q(street_address__icontains=value) | Q(reference__icontains=value)
    )


def enquiry_for_page(*, user, reference: str) -> Enquiry:
    """The enquiry, or Enquiry.DoesNotExist when it is missing or out of scope."""
    return enquiries_visible_to(user=user).select_related(
        "council", "customer", "issue_type", "suburb", "job", "logged_by", "job__priority"
    ).get(reference=reference)


def enquiry_history(*, enquiry: Enquiry) -> QuerySet[StateLog]:
    """The enquiry's status changes, oldest first, with who made them."""
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Enquiry), object_id=enquiry.pk
    ).select_related("by", "content_type").order_by("timestamp", "id")


def customers_visible_to(*, user) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if not permissions.may_view_enquiries(user):
        return customers.none()
    if permissions.sees_all_councils(user):
        return customers
    return customers.filter(council_id=user.organisation_id)


def customer_search(*, user, council_id: int | None, query: str, limit: int = 8) -> list[Customer]:
    """Customers whose phone starts with, or whose name starts with, what was typed."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    customers = customers_visible_to(user=user)
    if council_id:
        customers = customers.filter(council_id=council_id)
    digits = phone_digits(query)
    # Two characters are enough, as the help text says: "04" lists Wellington landlines.
    if len(digits) >= 2 and not any(ch.isalpha() for ch in query):
        customers = customers.filter(phone_digits__startswith=digits)
    else:
        words = query.split()
        condition = Q(name__istartswith=query)
        if len(words) == 1:
            condition |= Q(name__icontains=f" {query}")
        customers = customers.filter(condition)
    return list(customers.select_related("council").order_by("name", "id")[:limit])


def issue_types_active() -> QuerySet[IssueType]:
    return IssueType.objects.filter(is_active=True).order_by("service", "sort_order", "name")


@dataclass
class DuplicateCandidate:
    job: object
    distance_m: float | None
    same_street: bool
    house_gap: int | None = None  # house numbers between the two addresses on the same street
    opposite_side: bool = False
    first_enquiry: object | None = None  # the first caller's enquiry: the fault type and their words
    overdue_warning: str = ""  # set by a caller that knows the new enquiry's received time

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.job.notified_at

    @property
    def reason(self) -> str:
        """Why this job is offered: '2 doors away · 40 m', 'same street', '120 m away'."""
        parts = []
        if self.house_gap is not None:
            if self.house_gap == 0:
                parts.append("same address")
            elif self.opposite_side:
                parts.append("across the road" if self.house_gap <= 3
                             else f"other side of the road, {self.house_gap} numbers along")
            else:
                doors = self.house_gap // 2
                parts.append("next door" if doors == 1 else f"{doors} doors away")
        elif self.same_street:
            parts.append("same street")
        if self.distance_m is not None:
            metres = f"{self.distance_m:.0f} m"
            parts.append(metres if parts else f"{metres} away")
        return " · ".join(parts)


@dataclass(frozen=True)
class DuplicateSearch:
    candidates: list  # open jobs the enquiry may be a duplicate of, best match first
    recently_fixed: list  # completed or closed jobs here: what a caller asking "again?" is about


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def duplicate_candidates(**kwargs) -> list[DuplicateCandidate]:
    """Open jobs that may be the same fault (see ``duplicate_search``)."""
    return duplicate_search(**kwargs, with_fixed=False).candidates


def duplicate_search(
    *,
    user,
    council_id: int,
    service: str | None,
    street_address: str = "",
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    radius_m: int = 200,
    now: datetime | None = None,
    limit: int = 10,
    with_fixed: bool = True,
) -> DuplicateSearch:
    """Jobs of the same service (any, when not known yet) nearby or on the same street, notified
    in the last 14 days (a setting).

    Ranked by house-number distance on the same street, then by distance, then newest.
    Still-open jobs are candidates to link to; completed ones are listed apart as
    recently fixed. The box filter runs in SQL on the open-jobs index; the exact
    distance is worked out for the few rows that come back.
    """
    from jobs.enums import JobStatus

    now = now or timezone.now()
    key = street_key(street_address)
    has_point = latitude is not None and longitude is not None
    if not key and not has_point:
        return DuplicateSearch([], [])
    since = now - timedelta(days=settings.ENQUIRY_DUPLICATE_WINDOW_DAYS)
    point = (float(latitude), float(longitude)) if has_point else None
    open_statuses = [s for s in _open_statuses() if s != JobStatus.COMPLETED]
    candidates = _nearby(user=user, council_id=council_id, service=service, statuses=open_statuses, since=since,
                         key=key, point=point, street_address=street_address, radius_m=radius_m, limit=limit)
    fixed = []
    if with_fixed:
        fixed = _nearby(user=user, council_id=council_id, service=service, since=since, key=key, point=point,
                        statuses=[JobStatus.COMPLETED, JobStatus.CLOSED, JobStatus.REPORTED],
                        street_address=street_address, radius_m=radius_m, limit=3)
    _attach_first_enquiries(candidates + fixed)
    return DuplicateSearch(candidates, fixed)


def _open_statuses():
    from jobs.enums import OPEN_STATUSES

    return OPEN_STATUSES


def _nearby(*, user, council_id, service, statuses, since, key, point, street_address, radius_m, limit):
    from jobs.selectors import jobs_visible_to

    jobs = jobs_visible_to(user=user).filter(council_id=council_id, status__in=statuses, notified_at__gte=since)
    if service:
        jobs = jobs.filter(service=service)
    near = Q()
    if key:
        near |= Q(street_key=key)
    if point:
        lat, lng = point
        d_lat = radius_m / METRES_PER_DEGREE_LATITUDE
        d_lng = radius_m / (METRES_PER_DEGREE_LATITUDE * max(math.cos(math.radians(lat)), 0.01))
        near |= Q(latitude__range=(lat - d_lat, lat + d_lat), longitude__range=(lng - d_lng, lng + d_lng))
    # Nearest first already in SQL (an equirectangular approximation is plenty at 200 m),
    # so a busy street's many same-street jobs cannot crowd a nearer one out of the cap.
    order = ["-notified_at"]
    if point:
        cos_lat = math.cos(math.radians(lat))
        approx = (F("latitude") - Value(lat)) * (F("latitude") - Value(lat)) + (
            (F("longitude") - Value(lng)) * Value(cos_lat)
        ) * ((F("longitude") - Value(lng)) * Value(cos_lat))
        jobs = jobs.annotate(approx_distance=ExpressionWrapper(approx, output_field=FloatField()))
        order = [F("approx_distance").asc(nulls_last=True), "-notified_at"]
    rows = (
        jobs.filter(near)
        .select_related("suburb", "priority", "category")
        .only("reference", "status", "service", "street_address", "street_key", "latitude", "longitude",
              "notified_at", "completed_at", "attended_at", "attendance_due_at", "resolution_due_at",
              "next_due_at", "targets_from", "reopened_at", "council",
              "suburb__name", "priority__name", "priority__is_urgent", "priority__attendance_target_hours",
              "priority__resolution_target_hours", "priority__business_hours", "category__name")
        .order_by(*order)[:100]
    )

    number = house_number(street_address)
    candidates = []
    for job in rows:
        distance = None
        if point and job.latitude is not None and job.longitude is not None:
            distance = distance_m(point[0], point[1], float(job.latitude), float(job.longitude))
        same_street = bool(key) and job.street_key == key
        if not (same_street or (distance is not None and distance <= radius_m)):
            continue
        gap, opposite = None, False
        job_number = house_number(job.street_address) if same_street else None
        # House numbers rank only where the map agrees: a namesake street across town does not.
        plausible = distance is None or distance <= radius_m
        if number is not None and job_number is not None and plausible:
            gap, opposite = abs(number - job_number), (number - job_number) % 2 == 1
        candidates.append(DuplicateCandidate(job=job, distance_m=distance, same_street=same_street,
                                             house_gap=gap, opposite_side=opposite))
    # Fewest houses apart on the same street first; then nearest (same street without a
    # point counts as at the edge of the radius); then newest.
    candidates.sort(
        key=lambda c: (
            c.house_gap if c.house_gap is not None else math.inf,
            c.distance_m if c.distance_m is not None else float(radius_m),
            -c.job.notified_at.timestamp(),
        )
    )
    return candidates[:limit]


def _attach_first_enquiries(candidates: list[DuplicateCandidate]) -> None:
    """The first caller's enquiry for each job, in one query: its issue type and words."""
    if not candidates:
        return
    first = {}
    enquiries = (
        Enquiry.objects.filter(job_id__in=[c.job.pk for c in candidates])
        .select_related("issue_type")
        .only("job_id", "status", "received_at", "description", "issue_type__name", "issue_type__service")
        .order_by("job_id", "received_at", "id")
    )
    for enquiry in enquiries:
        first.setdefault(enquiry.job_id, enquiry)
    for candidate in candidates:
        candidate.first_enquiry = first.get(candidate.job.pk)


def enquiries_new_count(*, user) -> int:
    return enquiries_visible_to(user=user).filter(status=EnquiryStatus.NEW).count()
