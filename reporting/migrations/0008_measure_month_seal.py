"""A stored month carries a seal its own trigger writes: a digest of the cluster's system
identifier and the row. A month restored into another cluster, or written with the triggers
bypassed (``session_replication_role = replica``), has no valid seal, so the measures do not
use it and ``manage.py rollups verify`` reports it (reporting.rollups). SECURITY DEFINER: reading
the system identifier (``pg_control_system``) is a superuser's right, granted to the function by
the migration's owner, never to the application's role."""

from django.db import migrations, models

SEAL_SQL = [
    """CREATE OR REPLACE FUNCTION reporting_measure_seal(council bigint, service text, month date, snapshot text,
                                                       epoch bigint, counts jsonb, seconds bytea) RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
        SELECT md5(concat_ws('|', (SELECT system_identifier::text FROM pg_control_system()), council, service, month,
                             snapshot, epoch, counts::text, md5(seconds))) $$""",
    """CREATE OR REPLACE FUNCTION reporting_measure_month_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.seal := reporting_measure_seal(NEW.council_id, NEW.service, NEW.month, NEW.snapshot, NEW.epoch,
                                             NEW.counts, NEW.seconds);
          RETURN NEW;
        END $$""",
    "CREATE TRIGGER reporting_measure_month_seal BEFORE INSERT OR UPDATE ON reporting_measuremonth "
    "FOR EACH ROW EXECUTE FUNCTION reporting_measure_month_sealed()",
    # Months stored before the seal: none is trusted; they are read from the jobs again.
    "DELETE FROM reporting_measuremonth",
]

DROP_SQL = [
    "DROP TRIGGER IF EXISTS reporting_measure_month_seal ON reporting_measuremonth",
    "DROP FUNCTION IF EXISTS reporting_measure_month_sealed(), "
    "reporting_measure_seal(bigint, text, date, text, bigint, jsonb, bytea)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in SEAL_SQL:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [('reporting', '0007_measures_one_classification')]

    operations = [
        migrations.AddField(
            model_name='measuremonth', name='seal',
            field=models.TextField(blank=True, editable=False,
                                   help_text="Written by the month's own trigger: the cluster and the row, digested."),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
