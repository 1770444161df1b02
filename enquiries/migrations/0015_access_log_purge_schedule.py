"""The access log's retention runs every night under django-celery-beat (editable in the admin)."""

from django.db import migrations

NAME = "Privacy: delete access-log rows past their retention"
TASK = "enquiries.tasks.access_log_purge_expired"
DESCRIPTION = ("Deletes personal-data access-log rows older than ACCESS_LOG_RETENTION_DAYS (default 730). "
               "Safe to run twice.")


def create_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        # A run that waited in the queue for a day is overtaken by the next one.
        defaults={"task": TASK, "interval": every, "enabled": True, "description": DESCRIPTION,
                  "expire_seconds": 24 * 60 * 60},
    )


def remove_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enquiries", "0014_personal_data_access_pages"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_task, remove_task)]
