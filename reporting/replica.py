"""Reporting reads can go to a read replica.

``REPLICA_DATABASE_URL`` adds a ``replica`` database; selectors decorated with
``@on_replica`` read from it through ``ReplicaRouter``. Everything else, and every write,
stays on ``default``. Without the setting, the replica is the default database.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


def replica_alias() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"


def on_replica(function):
    """Run a reporting selector's reads on the replica (when there is one)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        token = _reading_reports.set(True)
        try:
            return function(*args, **kwargs)
        finally:
            _reading_reports.reset(token)

    return wrapper


class ReplicaRouter:
    """Reads inside a reporting selector go to the replica; all else to the default."""

    def db_for_read(self, model, **hints):
        if _reading_reports.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
