"""The time zone the stored months' triggers group changes by is data, not SQL text: one row of
``reporting_measure_settings`` (a plain table, outside the models, so a test database's flush
keeps it), written from ``settings.TIME_ZONE`` here and by ``manage.py rollups rebuild``. The
measures use stored months only while that row names the zone the application runs in
(reporting.rollups); with no row at all a job's change retires every month (the epoch) rather
than being logged under no month."""

from django.conf import settings
from django.db import migrations

CREATE_SQL = [
    "CREATE TABLE IF NOT EXISTS reporting_measure_settings (id int PRIMARY KEY CHECK (id = 1), zone text NOT NULL)",
    """CREATE OR REPLACE FUNCTION reporting_measure_month(moment timestamptz) RETURNS date
        LANGUAGE sql STABLE AS $$
        SELECT date_trunc('month', moment AT TIME ZONE (SELECT s.zone FROM reporting_measure_settings s
                                                        WHERE s.id = 1))::date $$""",
    """CREATE OR REPLACE FUNCTION reporting_measure_changed(council bigint, notified timestamptz) RETURNS void
        LANGUAGE sql AS $$
        INSERT INTO reporting_measurechange (council_id, month, xid)
        SELECT council, reporting_measure_month(notified), pg_current_xact_id()::text::bigint
        WHERE council IS NOT NULL AND notified IS NOT NULL AND reporting_measure_month(notified) IS NOT NULL
        ON CONFLICT (council_id, month, xid) DO NOTHING;
        INSERT INTO reporting_measureepoch (id, n) SELECT 1, 1
        WHERE NOT EXISTS (SELECT 1 FROM reporting_measure_settings s WHERE s.id = 1)
        ON CONFLICT (id) DO UPDATE SET n = reporting_measureepoch.n + 1 $$""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE_SQL:
        schema_editor.execute(statement)
    schema_editor.execute("INSERT INTO reporting_measure_settings (id, zone) VALUES (1, %s) "
                          "ON CONFLICT (id) DO UPDATE SET zone = EXCLUDED.zone", [settings.TIME_ZONE])


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    zone = settings.TIME_ZONE.replace("'", "")
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION reporting_measure_changed(council bigint, notified timestamptz) RETURNS void
            LANGUAGE sql AS $$
            INSERT INTO reporting_measurechange (council_id, month, xid)
            SELECT council, reporting_measure_month(notified), pg_current_xact_id()::text::bigint
            WHERE council IS NOT NULL AND notified IS NOT NULL
            ON CONFLICT (council_id, month, xid) DO NOTHING $$""")
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION reporting_measure_month(moment timestamptz) RETURNS date
            LANGUAGE sql IMMUTABLE AS $$ SELECT date_trunc('month', moment AT TIME ZONE '{zone}')::date $$""")
    schema_editor.execute("DROP TABLE IF EXISTS reporting_measure_settings")


class Migration(migrations.Migration):

    dependencies = [('reporting', '0008_measure_month_seal')]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
