"""Stored months of measure tallies (reporting.rollups), and the PostgreSQL triggers that log
every change to what they read: a job's measure columns, its classifications and assessments,
a fault type's service. SQLite computes the measures from the rows and has no triggers."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# The columns of jobs_job the measures read (reporting.fast): a change to any of them changes
# the month it was and the month it is in.
JOB_COLUMNS = ("council_id", "service", "notified_at", "status = 'cancelled'", "kpi_class", "is_urgent",
               "excluded_from_measures", "attended_at", "completed_at")


def _row(prefix: str) -> str:
    return "(" + ", ".join(f"{prefix}.{c}" for c in JOB_COLUMNS) + ")"


def triggers_sql() -> list[str]:
    zone = settings.TIME_ZONE.replace("'", "")
    return [
        f"""CREATE OR REPLACE FUNCTION reporting_measure_month(moment timestamptz) RETURNS date
            LANGUAGE sql IMMUTABLE AS $$ SELECT date_trunc('month', moment AT TIME ZONE '{zone}')::date $$""",
        # One row per transaction, council and month (ON CONFLICT: a transaction touching a job
        # twice logs it once; rows of different transactions never conflict, so never wait).
        """CREATE OR REPLACE FUNCTION reporting_measure_changed(council bigint, notified timestamptz) RETURNS void
            LANGUAGE sql AS $$
            INSERT INTO reporting_measurechange (council_id, month, xid)
            SELECT council, reporting_measure_month(notified), pg_current_xact_id()::text::bigint
            WHERE council IS NOT NULL AND notified IS NOT NULL
            ON CONFLICT (council_id, month, xid) DO NOTHING $$""",
        """CREATE OR REPLACE FUNCTION reporting_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN PERFORM reporting_measure_changed(OLD.council_id, OLD.notified_at); END IF;
              IF TG_OP <> 'DELETE' THEN PERFORM reporting_measure_changed(NEW.council_id, NEW.notified_at); END IF;
              RETURN NULL;
            END $$""",
        """CREATE OR REPLACE FUNCTION reporting_job_fact_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM reporting_measure_changed(j.council_id, j.notified_at) FROM jobs_job j
              WHERE j.id = OLD.job_id OR j.id = NEW.job_id;
              RETURN NULL;
            END $$""",
        """CREATE OR REPLACE FUNCTION reporting_measure_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO reporting_measureepoch (id, n) VALUES (1, 1)
              ON CONFLICT (id) DO UPDATE SET n = reporting_measureepoch.n + 1;
              RETURN NULL;
            END $$""",
        "CREATE TRIGGER reporting_job_insert_delete AFTER INSERT OR DELETE ON jobs_job "
        "FOR EACH ROW EXECUTE FUNCTION reporting_job_changed()",
        f"CREATE TRIGGER reporting_job_update AFTER UPDATE ON jobs_job FOR EACH ROW "
        f"WHEN ({_row('OLD')} IS DISTINCT FROM {_row('NEW')}) EXECUTE FUNCTION reporting_job_changed()",
        "CREATE TRIGGER reporting_classification_changed AFTER INSERT OR UPDATE OR DELETE ON jobs_classification "
        "FOR EACH ROW EXECUTE FUNCTION reporting_job_fact_changed()",
        "CREATE TRIGGER reporting_assessment_changed AFTER INSERT OR UPDATE OR DELETE ON jobs_assessment "
        "FOR EACH ROW EXECUTE FUNCTION reporting_job_fact_changed()",
        "CREATE TRIGGER reporting_faulttype_changed AFTER UPDATE ON jobs_faulttype FOR EACH ROW "
        "WHEN (OLD.service IS DISTINCT FROM NEW.service) EXECUTE FUNCTION reporting_measure_epoch()",
        "CREATE TRIGGER reporting_faulttype_deleted AFTER DELETE ON jobs_faulttype FOR EACH ROW "
        "EXECUTE FUNCTION reporting_measure_epoch()",
        *[f"CREATE TRIGGER reporting_{table}_truncated AFTER TRUNCATE ON {table} "
          f"FOR EACH STATEMENT EXECUTE FUNCTION reporting_measure_epoch()"
          for table in ("jobs_job", "jobs_classification", "jobs_assessment", "jobs_faulttype")],
    ]


DROP_SQL = [
    *[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in (
        ("reporting_job_insert_delete", "jobs_job"), ("reporting_job_update", "jobs_job"),
        ("reporting_classification_changed", "jobs_classification"),
        ("reporting_assessment_changed", "jobs_assessment"), ("reporting_faulttype_changed", "jobs_faulttype"),
        ("reporting_faulttype_deleted", "jobs_faulttype"),
        *[(f"reporting_{t}_truncated", t) for t in ("jobs_job", "jobs_classification", "jobs_assessment",
                                                    "jobs_faulttype")])],
    "DROP FUNCTION IF EXISTS reporting_job_changed(), reporting_job_fact_changed(), reporting_measure_epoch(), "
    "reporting_measure_changed(bigint, timestamptz), reporting_measure_month(timestamptz)",
]


def create_triggers(apps, schema_editor):
    apps.get_model("reporting", "MeasureEpoch").objects.using(schema_editor.connection.alias).get_or_create(pk=1)
    if schema_editor.connection.vendor == "postgresql":
        for statement in triggers_sql():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('reporting', '0005_dashboard_snapshot_html'),
        ('jobs', '0013_job_measure_inputs'),
    ]

    operations = [
        migrations.CreateModel(
            name='MeasureEpoch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('n', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='MeasureChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('council_id', models.BigIntegerField()),
                ('month', models.DateField()),
                ('xid', models.BigIntegerField(help_text='pg_current_xact_id() of the changing transaction.')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('council_id', 'month', 'xid'), name='measure_change_unique')],
            },
        ),
        migrations.CreateModel(
            name='MeasureMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('service', models.CharField(choices=[('water_supply', 'Water supply'), ('wastewater', 'Wastewater'), ('stormwater', 'Stormwater')], max_length=20)),
                ('month', models.DateField(help_text="The month's first day, New Zealand time.")),
                ('snapshot', models.TextField(help_text='The PostgreSQL snapshot (pg_snapshot) the tallies were read in.')),
                ('epoch', models.BigIntegerField(help_text='MeasureEpoch.n when they were read.', null=True)),
                ('counts', models.JSONField(default=dict)),
                ('seconds', models.BinaryField(default=bytes, help_text="Each median's values, ascending, as float8send.")),
                ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('council', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('council', 'month', 'service'), name='measure_month_unique')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
