"""The dashboard snapshots' refresh as a django-celery-beat task (editable in the admin): every
10 minutes on the reports queue, so the common scopes' stored figures never reach the
15 minutes (REPORTING_SNAPSHOT_MINUTES) after which a page view computes them itself."""

from django.db import migrations

NAME = "Dashboard figures (common scopes)"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": "reporting.tasks.dashboard_snapshots_refresh", "interval": every_ten, "queue": "reports",
                  "enabled": True,
                  "description": "Computes the dashboard's stored figures for each council and all councils: "
                                 "this and last financial year, this quarter, last month."},
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_dashboard_snapshot"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
