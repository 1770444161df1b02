"""The PostgreSQL triggers that keep the stored months (``reporting.rollups``) exact: which job
columns they watch comes from the one list the tallies read (``fast.JOB_COLUMNS``), so a column
added to the measures is watched as soon as the trigger is created again (a migration calling
``job_update_trigger_sql``)."""

from __future__ import annotations

from .fast import JOB_COLUMNS

# A status change matters only into or out of 'cancelled' (the population's filter); the month
# a job was and is in follows council_id and notified_at.
_WATCHED = ("council_id", *[("status = 'cancelled'" if c == "status" else c) for c in JOB_COLUMNS])


def _row(prefix: str) -> str:
    return "(" + ", ".join(f"{prefix}.{c}" for c in _WATCHED) + ")"


def job_update_trigger_sql() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS reporting_job_update ON jobs_job",
        f"CREATE TRIGGER reporting_job_update AFTER UPDATE ON jobs_job FOR EACH ROW "
        f"WHEN ({_row('OLD')} IS DISTINCT FROM {_row('NEW')}) EXECUTE FUNCTION reporting_job_changed()",
    ]


def watched_columns() -> tuple[str, ...]:
    return _WATCHED
