"""The outbox sweep runs every minute under django-celery-beat (editable in the admin)."""

from django.db import migrations

SWEEP_NAME = "Outbox sweep: deliver what the broker missed"
SWEEP_TASK = "common.tasks.outbox_sweep"


def create_sweep(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SWEEP_NAME,
        defaults={
            "task": SWEEP_TASK,
            "interval": every_minute,
            "enabled": True,
            "description": "Publishes outbox messages that are due and not delivered: the broker was down "
                           "when they were queued, a worker was lost, or a retry has come due.",
            # A sweep that waited longer than a minute in the queue is overtaken by the next one.
            "expire_seconds": 60,
        },
    )


def remove_sweep(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_sweep, remove_sweep)]
