"""Claimed form tokens are pruned once a day under django-celery-beat (editable in the admin)."""

from django.db import migrations

PRUNE_NAME = "Form submissions: forget expired one-time tokens"
PRUNE_TASK = "common.tasks.submissions_prune"


def create_prune(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="17", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Pacific/Auckland")
    PeriodicTask.objects.get_or_create(
        name=PRUNE_NAME,
        defaults={
            "task": PRUNE_TASK,
            "crontab": nightly,
            "enabled": True,
            "description": "Deletes the record of create forms submitted longer ago than "
                           "SUBMISSION_TOKEN_MAX_AGE_HOURS: their tokens are refused as expired anyway.",
        },
    )


def remove_prune(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=PRUNE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0004_formsubmission"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_prune, remove_prune)]
