"""The measures count each job under its one classification, its own ``kpi_class`` and
``is_urgent`` (reporting.measures), call-outs apart from jobs raised by staff or telemetry, and an
exclusion as not the council's asset out of the event counts. So the stored months' trigger
watches the job's ``source`` and ``excluded_reason`` too (reporting.triggers: the one list the
tallies read), a classification row no longer changes a measure (its trigger goes), every month
stored by the earlier definitions is retired, and the covering index carries the new columns."""

from django.db import migrations

from reporting.triggers import job_update_trigger_sql

_OLD_UPDATE_TRIGGER = (
    "CREATE TRIGGER reporting_job_update AFTER UPDATE ON jobs_job FOR EACH ROW WHEN ("
    "(OLD.council_id, OLD.service, OLD.notified_at, OLD.status = 'cancelled', OLD.kpi_class, OLD.is_urgent, "
    "OLD.excluded_from_measures, OLD.attended_at, OLD.completed_at) IS DISTINCT FROM "
    "(NEW.council_id, NEW.service, NEW.notified_at, NEW.status = 'cancelled', NEW.kpi_class, NEW.is_urgent, "
    "NEW.excluded_from_measures, NEW.attended_at, NEW.completed_at)) EXECUTE FUNCTION reporting_job_changed()")

_INDEX = ("CREATE INDEX IF NOT EXISTS job_measure_columns ON jobs_job (notified_at) INCLUDE (id, status, council_id, "
          "service, source, kpi_class, is_urgent, excluded_from_measures, excluded_reason, attended_at, completed_at)")
_OLD_INDEX = ("CREATE INDEX IF NOT EXISTS job_measure_inputs ON jobs_job (notified_at) INCLUDE (id, status, "
              "council_id, service, kpi_class, is_urgent, excluded_from_measures, attended_at, completed_at)")


def _retire_stored_months(schema_editor):
    schema_editor.execute("DELETE FROM reporting_measuremonth")
    schema_editor.execute("INSERT INTO reporting_measureepoch (id, n) VALUES (1, 1) "
                          "ON CONFLICT (id) DO UPDATE SET n = reporting_measureepoch.n + 1")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS reporting_classification_changed ON jobs_classification")
    schema_editor.execute("DROP TRIGGER IF EXISTS reporting_jobs_classification_truncated ON jobs_classification")
    for statement in job_update_trigger_sql():
        schema_editor.execute(statement)
    schema_editor.execute(_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS job_measure_inputs")
    _retire_stored_months(schema_editor)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_OLD_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS job_measure_columns")
    schema_editor.execute("DROP TRIGGER IF EXISTS reporting_job_update ON jobs_job")
    schema_editor.execute(_OLD_UPDATE_TRIGGER)
    schema_editor.execute(
        "CREATE TRIGGER reporting_classification_changed AFTER INSERT OR UPDATE OR DELETE ON jobs_classification "
        "FOR EACH ROW EXECUTE FUNCTION reporting_job_fact_changed()")
    schema_editor.execute(
        "CREATE TRIGGER reporting_jobs_classification_truncated AFTER TRUNCATE ON jobs_classification "
        "FOR EACH STATEMENT EXECUTE FUNCTION reporting_measure_epoch()")
    _retire_stored_months(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0006_measure_months'),
        ('jobs', '0013_job_measure_inputs'),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
