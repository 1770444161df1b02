"""Each council's months of measure tallies, stored, so a year's measures add up twelve months
rather than reading a quarter of a million jobs; exact, never stale (PostgreSQL only).

A stored month (``MeasureMonth``: a ``fast.Chunk`` per service) records the database snapshot
its jobs were read in. Triggers (reporting migrations 0006 and 0007) log every change to what the
measures read, as (council, month, transaction id) rows in ``MeasureChange``: a job's measure
columns (``fast.JOB_COLUMNS``; the month it was in and the month it is in) and its assessments. A
stored month is used only while every logged change to it belongs to a transaction its
snapshot already saw; a change committed later, or still being made in the reading
transaction itself, sends the month to be read from the jobs again. A change touching every
month at once (a fault type's service, a truncated table) bumps ``MeasureEpoch`` instead.

Writing a month back is serialised per council and month by a transaction-level advisory
lock taken before its snapshot, so a later write always comes from a later snapshot; the write
then deletes the change rows that snapshot saw. Whoever does not get the lock uses the figures
it computed without storing them, so no one waits. Reads from a separate read replica cannot
store anything: there ``fast`` reads the jobs each time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from enquiries.enums import Service

from .fast import Chunk, chunks
from .measures import MEDIANS
from .periods import Period
from .replica import replica_alias

_LOCKS = 0x4D45_4153 << 32  # "MEAS": this module's advisory lock keys


def enabled() -> bool:
    """Stored months need the reporting database to be the one written to, on PostgreSQL."""
    return replica_alias() == "default" and connections["default"].vendor == "postgresql"


def _first_day(period: Period) -> date:
    return date(period.year, period.month, 1)


def _lock_key(council_id: int, day: date) -> int:
    return _LOCKS | (council_id % 65536) << 16 | (day.year * 12 + day.month - 1) % 65536


# The seal its trigger wrote (reporting migration 0008): a month restored into another cluster, or
# written with the triggers bypassed, is not trusted.
SEALED = "reporting_measure_seal(r.council_id, r.service, r.month, r.snapshot, r.epoch, r.counts, r.seconds)"

# The triggers group changes by the zone in reporting_measure_settings (migration 0009): stored
# months are used and stored only while it is the zone the application runs in.
ZONED = "(SELECT s.zone FROM reporting_measure_settings s WHERE s.id = 1) IS NOT DISTINCT FROM %s"

_STORED_SQL = """
    SELECT r.council_id, r.service, r.month, r.counts, r.seconds
    FROM reporting_measuremonth r
    WHERE r.month = ANY(%s) AND r.council_id = ANY(%s)
      AND r.epoch = coalesce((SELECT e.n FROM reporting_measureepoch e WHERE e.id = 1), 0)
      AND r.seal = {SEALED}
      AND {ZONED}
      AND NOT EXISTS (SELECT 1 FROM reporting_measurechange c
                      WHERE c.council_id = r.council_id AND c.month = r.month
                        AND NOT pg_visible_in_snapshot(c.xid::text::xid8, r.snapshot::pg_snapshot))""".replace(
    "{SEALED}", SEALED).replace("{ZONED}", ZONED)

# Read in the tallies' own statement, so from the same snapshot.
_SNAPSHOT_SQL = ("SELECT pg_current_snapshot()::text, "
                 "coalesce((SELECT e.n FROM reporting_measureepoch e WHERE e.id = 1), 0)")


# The months this transaction may store: only a read-only transaction at READ COMMITTED stores
# (one that has written may have changed the months it reads, which its snapshot does not see,
# so they would be stale at once; under REPEATABLE READ the snapshot may predate the lock, and
# so an earlier write), and only where it gets the lock. CASE: the conditions before the lock.
_LOCK_SQL = """
    SELECT k FROM unnest(%s::bigint[]) AS u (k)
    WHERE CASE WHEN pg_current_xact_id_if_assigned() IS NULL
                AND current_setting('transaction_isolation') = 'read committed' AND {ZONED}
          THEN pg_try_advisory_xact_lock(k) ELSE false END""".replace("{ZONED}", ZONED)


def chunk_json(chunk: Chunk) -> tuple[dict, bytes]:
    counts = {"population": chunk.population, "excluded": chunk.excluded, "dry_overflows": chunk.dry_overflows,
              "events": chunk.events, "lone_events": chunk.lone_events, "lone_floors": chunk.lone_floors,
              "medians": {key: list(values[1:]) for key, values in chunk.medians.items()}}
    return counts, b"".join(values[0] for values in chunk.medians.values())


def chunk_back(service: str, counts: dict, seconds: bytes) -> Chunk:
    chunk = Chunk(population=counts["population"], excluded=counts["excluded"],
                  dry_overflows=counts["dry_overflows"], events=counts["events"], lone_events=counts["lone_events"],
                  lone_floors=counts["lone_floors"])
    offset = 0
    for spec in MEDIANS[service]:  # the values were joined in this order (the SQL's)
        if spec.key in counts["medians"]:
            counted, pending, left_out = counts["medians"][spec.key]
            chunk.medians[spec.key] = (seconds[offset:offset + 8 * counted], counted, pending, left_out)
            offset += 8 * counted
    return chunk


def month_chunks(*, months: list[Period], council_ids: list[int]) -> dict[tuple[str, int, str], Chunk]:
    """{(month key, council id, service): Chunk} for every council and month asked for: the
    stored ones still exact, the others read from the jobs now (and stored when possible)."""
    days = {_first_day(m): m for m in months}
    found: dict[tuple[str, int, str], Chunk] = {}
    fresh: dict[tuple[int, date], int] = defaultdict(int)
    with connections["default"].cursor() as cursor:
        cursor.execute(_STORED_SQL, [list(days), list(council_ids), settings.TIME_ZONE])
        for council_id, service, day, counts, seconds in cursor.fetchall():
            counts = json.loads(counts) if isinstance(counts, str) else counts  # Django reads jsonb as text
            found[(days[day].key, council_id, service)] = chunk_back(service, counts, bytes(seconds))
            fresh[(council_id, day)] += 1
    stale = [(c, d) for c in council_ids for d in days if fresh[(c, d)] < len(Service.values)]
    if stale:
        found.update(_read_and_store(stale, days))
    return found


def _read_and_store(stale: list[tuple[int, date]], days: dict[date, Period]) -> dict[tuple[str, int, str], Chunk]:
    """Read the stale councils' months from the jobs in one pass, and store those whose lock
    this transaction gets."""
    council_ids, month_days = sorted({c for c, _d in stale}), sorted({d for _c, d in stale})
    pairs = [(c, d) for c in council_ids for d in month_days]
    with transaction.atomic(using="default", savepoint=False), connections["default"].cursor() as cursor:
        keys = [_lock_key(c, d) for c, d in pairs]
        cursor.execute(_LOCK_SQL, [keys, settings.TIME_ZONE])
        got = {k for (k,) in cursor.fetchall()}
        locked = {(c, d) for (c, d), k in zip(pairs, keys, strict=True) if k in got}
        found, (snapshot, epoch) = chunks(periods=[days[d] for d in month_days], council_ids=council_ids,
                                          snapshot_sql=_SNAPSHOT_SQL)
        result, rows = {}, []
        for council_id, day in pairs:
            for service in Service.values:
                chunk = found.get((month_days.index(day), council_id, service), Chunk())
                result[(days[day].key, council_id, service)] = chunk
                if (council_id, day) in locked:
                    counts, seconds = chunk_json(chunk)
                    rows.append((council_id, service, day, snapshot, epoch, counts, seconds))
        if rows:
            _store(cursor, rows, [(c, d) for c, d in pairs if (c, d) in locked], snapshot)
    return result


def _store(cursor, rows: list[tuple], written: list[tuple[int, date]], snapshot: str) -> None:
    from .models import MeasureMonth

    now = timezone.now()
    MeasureMonth.objects.bulk_create(
        [MeasureMonth(council_id=c, service=s, month=d, snapshot=snap, epoch=e, counts=counts, seconds=seconds,
                      computed_at=now) for c, s, d, snap, e, counts, seconds in rows],
        update_conflicts=True, unique_fields=["council", "month", "service"],
        update_fields=["snapshot", "epoch", "counts", "seconds", "computed_at"])
    cursor.execute(
        "DELETE FROM reporting_measurechange c USING unnest(%s::bigint[], %s::date[]) AS u (council_id, month) "
        "WHERE c.council_id = u.council_id AND c.month = u.month "
        "AND pg_visible_in_snapshot(c.xid::text::xid8, %s::pg_snapshot)",
        [[c for c, _d in written], [d for _c, d in written], snapshot])


# Verifying and rebuilding (manage.py rollups) ---------------------------------------------

_EVERY_STORED_SQL = """
    SELECT r.council_id, r.service, r.month, r.counts, r.seconds, r.seal = {SEALED},
           r.epoch = coalesce((SELECT e.n FROM reporting_measureepoch e WHERE e.id = 1), 0)
           AND NOT EXISTS (SELECT 1 FROM reporting_measurechange c
                           WHERE c.council_id = r.council_id AND c.month = r.month
                             AND NOT pg_visible_in_snapshot(c.xid::text::xid8, r.snapshot::pg_snapshot))
    FROM reporting_measuremonth r ORDER BY r.month, r.council_id, r.service""".replace("{SEALED}", SEALED)


@dataclass
class Verified:
    exact: int = 0
    stale: int = 0
    problems: list[str] = field(default_factory=list)


def months_verify() -> Verified:
    """Every stored month, in one REPEATABLE READ snapshot: not trusted (seal), stale (a change
    logged since: never used), or compared with its tallies read from the jobs now."""
    from .periods import month as month_period

    found = Verified()
    connection = connections["default"]
    with transaction.atomic(using="default"), connection.cursor() as cursor:
        if len(connection.atomic_blocks) == 1:  # this transaction's own first statement: one snapshot for all
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT s.zone FROM reporting_measure_settings s WHERE s.id = 1")
        zone = (cursor.fetchone() or [None])[0]
        if zone != settings.TIME_ZONE:
            found.problems.append(f"The triggers group changes by the time zone {zone or '(none)'}, the application "
                                  f"runs in {settings.TIME_ZONE}: no stored month is used until a rebuild.")
        cursor.execute(_EVERY_STORED_SQL)
        rows = cursor.fetchall()
        usable: dict[date, dict[tuple[int, str], tuple[dict, bytes]]] = defaultdict(dict)
        for council_id, service, day, counts, seconds, sealed, fresh in rows:
            counts = json.loads(counts) if isinstance(counts, str) else counts
            if not sealed:
                found.problems.append(f"Council {council_id} {service} {day:%Y-%m}: not trusted (its seal does not "
                                      "match: restored from another cluster, or written with the triggers bypassed).")
            elif not fresh:
                found.stale += 1
            else:
                usable[day][(council_id, service)] = (counts, bytes(seconds))
        for day, stored in usable.items():
            council_ids = sorted({c for c, _s in stored})
            computed = chunks(periods=[month_period(day.year, day.month)], council_ids=council_ids)[0]
            for (council_id, service), (counts, seconds) in stored.items():
                fresh_counts, fresh_seconds = chunk_json(computed.get((0, council_id, service), Chunk()))
                if (json.loads(json.dumps(fresh_counts)), fresh_seconds) != (counts, seconds):
                    found.problems.append(f"Council {council_id} {service} {day:%Y-%m}: differs from its jobs.")
                else:
                    found.exact += 1
    return found


def months_rebuild() -> int:
    """Forget every stored month (and record the application's time zone as the one the triggers
    group changes by), then store again every month from the first job's to now, a year's months
    per read-only transaction (the one kind that stores)."""
    from jobs.models import Job

    from .fast import analytic
    from .measures import councils
    from .models import MeasureMonth
    from .periods import month as month_period

    with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
        cursor.execute("INSERT INTO reporting_measure_settings (id, zone) VALUES (1, %s) "
                       "ON CONFLICT (id) DO UPDATE SET zone = EXCLUDED.zone", [settings.TIME_ZONE])
        cursor.execute("INSERT INTO reporting_measureepoch (id, n) VALUES (1, 1) "
                       "ON CONFLICT (id) DO UPDATE SET n = reporting_measureepoch.n + 1")
        MeasureMonth.objects.all().delete()
    first = Job.objects.order_by("notified_at").values_list("notified_at", flat=True).first()
    if first is None:
        return 0
    start, end = timezone.localtime(first), timezone.localtime()
    indexes = range(start.year * 12 + start.month - 1, end.year * 12 + end.month)
    months = [month_period(i // 12, i % 12 + 1) for i in indexes]
    council_ids = list(councils().values_list("pk", flat=True))
    for at in range(0, len(months), 12):
        with analytic():
            month_chunks(months=months[at:at + 12], council_ids=council_ids)
    return MeasureMonth.objects.count()
