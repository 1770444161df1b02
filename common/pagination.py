"""Keyset ("seek") paging: page 1 and page 10,000 cost the same.

Rows are ordered by a timestamp then the primary key; a cursor names the last row
seen. Counts are bounded, so a filter matching a million rows never counts them all.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

COUNT_LIMIT = 1_000


@dataclass
class KeysetPage:
    rows: list
    previous_cursor: str | None = None
    next_cursor: str | None = None
    count: int = 0
    count_is_bounded: bool = False

    @property
    def count_label(self) -> str:
        return f"{COUNT_LIMIT:,}+" if self.count_is_bounded else f"{self.count:,}"

    @property
    def has_other_pages(self) -> bool:
        return bool(self.previous_cursor or self.next_cursor)


def _encode(moment: datetime, pk: int) -> str:
    raw = f"{moment.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment_text, pk_text = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        moment = parse_datetime(moment_text)
        if moment is None or moment.tzinfo is None:
            return None
        return moment.astimezone(UTC), int(pk_text)
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None


def bounded_count(queryset: QuerySet, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    count = queryset.order_by().values("pk")[: limit + 1].count()
    return min(count, limit), count > limit


def counts_at_once(querysets: dict[str, QuerySet], *, limit: int | None = None) -> dict[str, int]:
    """The row counts of several querysets in one round trip (a queue's tabs): one SELECT of a
    COUNT subquery each, at most ``limit + 1`` rows counted for each when a limit is given.
    The querysets must be on one database."""
    parts, params, counts = [], [], {}
    using = None
    for name, queryset in querysets.items():
        counted = queryset.order_by().values("pk")
        if limit is not None:
            counted = counted[: limit + 1]
        try:
            sql, query_params = counted.query.sql_with_params()
        except EmptyResultSet:  # .none(): nothing to ask the database
            counts[name] = 0
            continue
        using = using or counted.db
        parts.append((name, f"(SELECT COUNT(*) FROM ({sql}) counted_{len(parts)})"))
        params.extend(query_params)
    if parts:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(sql for _name, sql in parts), params)
            counts.update(zip((name for name, _sql in parts), cursor.fetchone(), strict=True))
    return {name: counts[name] for name in querysets}


def bounded_counts(querysets: dict[str, QuerySet], limit: int = COUNT_LIMIT) -> dict[str, tuple[int, bool]]:
    """``bounded_count`` of each queryset, in one round trip."""
    return {name: (min(count, limit), count > limit)
            for name, count in counts_at_once(querysets, limit=limit).items()}


def keyset_page(
    queryset: QuerySet,
    *,
    time_field: str,
    descending: bool = True,
    after: str | None = None,
    before: str | None = None,
    per_page: int = 50,
    with_count: bool = True,
    shape: Callable[[QuerySet], QuerySet] | None = None,
) -> KeysetPage:
    """One page of ``queryset`` ordered by (time_field, pk), newest first by default.

    ``after`` continues past the last row of the previous page; ``before`` goes back
    towards the first page. A cursor that does not decode starts from the first page.
    ``shape`` is applied to the rows' query only (the columns and joined facts a row shows),
    so the count stays a scan of the filtered table without those joins.
    """
    forward = not before
    cursor = _decode(after if forward else before) if (after or before) else None
    if (after or before) and cursor is None:
        forward, cursor = True, None

    # "Further along the list" is older for a newest-first list, later otherwise.
    further = (descending and forward) or (not descending and not forward)
    rows_qs = queryset
    if cursor is not None:
        moment, pk = cursor
        if further:
            # The first condition lets the database seek straight to the cursor in the index.
            rows_qs = rows_qs.filter(**{f"{time_field}__lte": moment}).filter(
                Q(**{f"{time_field}__lt": moment}) | Q(pk__lt=pk)
            )
        else:
            rows_qs = rows_qs.filter(**{f"{time_field}__gte": moment}).filter(
                Q(**{f"{time_field}__gt": moment}) | Q(pk__gt=pk)
            )
    order = (f"-{time_field}", "-pk") if further else (time_field, "pk")
    if shape is not None:
        rows_qs = shape(rows_qs)
    rows = list(rows_qs.order_by(*order)[: per_page + 1])
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()

    page = KeysetPage(rows=rows)
    if rows:
        first, last = rows[0], rows[-1]
        first_key = _encode(getattr(first, time_field), first.pk)
        last_key = _encode(getattr(last, time_field), last.pk)
        if forward:
            page.next_cursor = last_key if has_more else None
            page.previous_cursor = first_key if cursor is not None else None
        else:
            page.next_cursor = last_key
            page.previous_cursor = first_key if has_more else None
    if with_count:
        page.count, page.count_is_bounded = bounded_count(queryset)
    return page
