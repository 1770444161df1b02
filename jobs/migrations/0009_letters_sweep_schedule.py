"""The letters sweep runs every minute under django-celery-beat (editable in the admin)."""

from django.db import migrations

SWEEP_NAME = "Letters sweep: render letters the broker missed"


def create_sweep(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(name=SWEEP_NAME, defaults={
        "task": "jobs.tasks.letters_sweep", "interval": every_minute, "enabled": True, "expire_seconds": 60,
        "description": "Renders customer-update letters still waiting a minute after they were logged.",
    })


def remove_sweep(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0008_default_fault_types_and_resolution_codes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_sweep, remove_sweep)]
