"""Append-only history, enforced by PostgreSQL as well as by the models.

A fact a measure or an audit may have read (an arrival, a resolution, a classification, a
state change, what a customer was told) is never changed or removed: a correction is a new
row. The models refuse a second ``save()`` and ``delete()`` on every database; on PostgreSQL
a trigger (django-pgtrigger's ``Protect``) refuses UPDATE and DELETE however they are issued:
``QuerySet.update()``, ``QuerySet.delete()``, raw SQL, or another program on the database.

TRUNCATE is left alone: it empties the tables between transactional tests and before the
benchmark's bulk load, and row triggers never see it. The benchmark loads with
``session_replication_role = replica``, under which these triggers do not fire either.

The django-fsm-log state log belongs to a third-party app, so its triggers are declared on a
proxy model here (``StateLogHistory``), as pgtrigger documents for third-party models; the
migration that installs them is this app's.
"""

import pgtrigger
from django_fsm_log.models import StateLog

APPEND_ONLY = "append_only"


def append_only_triggers() -> list:
    """The triggers of a fact table: every UPDATE and DELETE of a row raises."""
    return [pgtrigger.Protect(name=APPEND_ONLY, operation=pgtrigger.Update | pgtrigger.Delete)]




class StateLogHistory(StateLog):
    """The django-fsm-log state log, with the database refusing to change or remove a row."""

    class Meta:
        proxy = True
        verbose_name = "state log entry"
        verbose_name_plural = "state log"
        triggers = [
            pgtrigger.Protect(name="append_only_delete", operation=pgtrigger.Delete),
            # No exception, not even the timestamp: a backdated arrival or completion is written
            # with its time at the insert (jobs.models.job.fsm_log_at).
            pgtrigger.Protect(name="append_only_update", operation=pgtrigger.Update),
        ]
