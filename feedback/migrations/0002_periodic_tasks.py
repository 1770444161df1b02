"""The stage 4 sweeps run under django-celery-beat (editable in the admin)."""

from django.db import migrations

TASKS = [
    ("Call-backs: tell the call-centre what has come due", "feedback.tasks.callbacks_notify_due", 5,
     "Finds call-backs whose due time has passed and e-mails the council's call-centre once per attempt. "
     "The call-back queue reads the database and does not wait for this."),
    ("Feedback: the one reminder", "feedback.tasks.feedback_send_reminders", 60,
     "Sends the single reminder FEEDBACK_REMINDER_DAYS after a feedback request that has no answer."),
]


def create_tasks(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes, description in TASKS:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "interval": every, "enabled": True, "description": description,
                      # A sweep that waited in the queue past its own interval is overtaken by the next one.
                      "expire_seconds": minutes * 60},
        )


def remove_tasks(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[t[0] for t in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_tasks, remove_tasks)]
