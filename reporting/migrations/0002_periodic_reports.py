"""The periodic reports as django-celery-beat tasks (editable in the admin): the monthly report
for each council on the 1st at 06:00, and the financial-year report on 1 July at 07:00."""

import json

from django.db import migrations

SCHEDULES = [
    ("Monthly trend reports (every council)", "monthly", {"minute": "0", "hour": "6", "day_of_month": "1",
                                                          "month_of_year": "*", "day_of_week": "*"}),
    ("Financial-year reports (every council)", "annual", {"minute": "0", "hour": "7", "day_of_month": "1",
                                                          "month_of_year": "7", "day_of_week": "*"}),
]
TASK = "reporting.tasks.reports_schedule_periodic"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, kind, fields in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(timezone="Pacific/Auckland", **fields)
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": TASK, "crontab": crontab, "kwargs": json.dumps({"kind": kind}), "queue": "reports",
                      "enabled": True, "description": "Builds the reports and e-mails the link to subscribed analysts."},
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _k, _f in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
