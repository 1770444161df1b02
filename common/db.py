"""Guards on the database session that Django's own code assumes.

Django (``USE_TZ``) reads and writes PostgreSQL timestamps assuming the session time zone is
UTC, and checks it only when a connection opens. A connection kept between requests
(``CONN_MAX_AGE``) whose time zone some code changed would read every timestamp hours off,
and a later save would write the shift back into the row.
"""

from __future__ import annotations

import logging

from django.db import connections

log = logging.getLogger(__name__)


def session_time_zone_check(**kwargs) -> list[str]:
    """At the end of every request: each open PostgreSQL connection is back on UTC.

    A connection found otherwise is set back (Django's own ``ensure_timezone``) and the fault
    is logged as an error, so the code that changed it is found. Returns the aliases set back.
    """
    repaired = []
    for connection in connections.all(initialized_only=True):
        if connection.vendor != "postgresql" or connection.connection is None:
            continue
        zone = connection.connection.info.parameter_status("TimeZone")
        if zone != connection.timezone_name and connection.ensure_timezone():
            repaired.append(connection.alias)
            log.error("Database connection %r ended a request with session time zone %s; set back to %s.",
                      connection.alias, zone, connection.timezone_name)
    return repaired
