"""Reads for enquiries and customers, always through the user's scope."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import permissions

from .enums import EnquiryStatus
from .models import Customer, Enquiry, IssueType
from .text import phone_digits, street_key

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
    """The queue's rows with everything a row shows, in one query, and nothing more."""
    return (
        enquiries_visible_to(user=user)
        .select_related("council", "customer", "issue_type", "suburb", "job")
        .only(*LIST_COLUMNS)
        .order_by("-received_at", "-id")
    )


LIST_COLUMNS = (
    "reference", "received_at", "status", "service", "street_address", "callback_requested", "callback_best_time",
    "council__name", "council__short_code", "customer__name", "customer__phone", "issue_type__name", "suburb__name",
    "job__reference", "job__status",
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
    if digits and len(digits) >= 3 and not any(ch.isalpha() for ch in query):
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


@dataclass(frozen=True)
class DuplicateCandidate:
    job: object
    distance_m: float | None
    same_street: bool

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.job.notified_at


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def duplicate_candidates(
    *,
    user,
    council_id: int,
    service: str,
    street_address: str = "",
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    radius_m: int = 200,
    now: datetime | None = None,
    limit: int = 10,
) -> list[DuplicateCandidate]:
    """Open jobs of the same service nearby or on the same street, notified in the last 14 days (a setting).

    Ranked nearest first, then newest. The box filter runs in SQL on the open-jobs
    index; the exact distance is worked out for the few rows that come back.
    """
    from jobs.enums import OPEN_STATUSES
    from jobs.selectors import jobs_visible_to

    now = now or timezone.now()
    key = street_key(street_address)
    has_point = latitude is not None and longitude is not None
    if not key and not has_point:
        return []
    since = now - timedelta(days=settings.ENQUIRY_DUPLICATE_WINDOW_DAYS)
    jobs = jobs_visible_to(user=user).filter(
        council_id=council_id, service=service, status__in=OPEN_STATUSES, notified_at__gte=since
    )
    near = Q()
    if key:
        near |= Q(street_key=key)
    if has_point:
        lat, lng = float(latitude), float(longitude)
        d_lat = radius_m / METRES_PER_DEGREE_LATITUDE
        d_lng = radius_m / (METRES_PER_DEGREE_LATITUDE * max(math.cos(math.radians(lat)), 0.01))
        near |= Q(latitude__range=(lat - d_lat, lat + d_lat), longitude__range=(lng - d_lng, lng + d_lng))
    # Nearest first already in SQL (an equirectangular approximation is plenty at 200 m),
    # so a busy street's many same-street jobs cannot crowd a nearer one out of the cap.
    order = ["-notified_at"]
    if has_point:
        cos_lat = math.cos(math.radians(lat))
        approx = (F("latitude") - Value(lat)) * (F("latitude") - Value(lat)) + (
            (F("longitude") - Value(lng)) * Value(cos_lat)
        ) * ((F("longitude") - Value(lng)) * Value(cos_lat))
        jobs = jobs.annotate(approx_distance=ExpressionWrapper(approx, output_field=FloatField()))
        order = [F("approx_distance").asc(nulls_last=True), "-notified_at"]
    rows = (
        jobs.filter(near)
        .select_related("suburb", "priority", "category")
        .only("reference", "status", "street_address", "street_key", "latitude", "longitude", "notified_at",
              "suburb__name", "priority__name", "category__name")
        .order_by(*order)[:100]
    )

    candidates = []
    for job in rows:
        distance = None
        if has_point and job.latitude is not None and job.longitude is not None:
            distance = distance_m(lat, lng, float(job.latitude), float(job.longitude))
        same_street = bool(key) and job.street_key == key
        if same_street or (distance is not None and distance <= radius_m):
            candidates.append(DuplicateCandidate(job=job, distance_m=distance, same_street=same_street))
    # Nearest first (same street without a point counts as at the edge of the radius), then newest.
    candidates.sort(
        key=lambda c: (
            c.distance_m if c.distance_m is not None else float(radius_m),
            -c.job.notified_at.timestamp(),
        )
    )
    return candidates[:limit]


def enquiries_new_count(*, user) -> int:
    return enquiries_visible_to(user=user).filter(status=EnquiryStatus.NEW).count()
