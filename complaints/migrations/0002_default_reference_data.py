from django.db import migrations

# Category names per service; the DIA complaint measure each feeds (blank: none).
CATEGORIES = {
    "water_supply": [
        ("Drinking water clarity", "water_clarity"),
        ("Drinking water taste", "water_taste"),
        ("Drinking water odour", "water_odour"),
        ("Drinking water pressure or flow", "water_pressure"),
        ("Continuity of supply", "water_continuity"),
        ("Our response to a water supply issue", "water_response"),
    ],
    "wastewater": [
        ("Sewage odour", "wastewater_odour"),
        ("Sewerage system fault", "wastewater_faults"),
        ("Sewerage system blockage", "wastewater_blockages"),
        ("Our response to a wastewater issue", "wastewater_response"),
    ],
    "stormwater": [
        ("Stormwater system performance", "stormwater_performance"),
    ],
}
NON_DIA = ["Staff or contractor conduct", "Damage to property", "Billing (referred to the council)", "Other"]
CAUSES = [
    "Network fault or failure", "Planned works or shutdown", "Contractor workmanship", "Delay in our response",
    "Poor or missing communication", "Staff or contractor conduct", "Third party", "Private (customer-side) issue",
    "Other",
]


def forwards(apps, schema_editor):
    ServiceLevel = apps.get_model("complaints", "ComplaintServiceLevel")
    Category = apps.get_model("complaints", "ComplaintCategory")
    Cause = apps.get_model("complaints", "ComplaintCause")
    ServiceLevel.objects.get_or_create(name="Standard", defaults={
        "acknowledge_business_days": 2, "resolve_business_days": 20, "is_default": True})
    for service, categories in CATEGORIES.items():
        order = 10
        for name, measure in categories + [(name, "") for name in NON_DIA]:
            Category.objects.get_or_create(service=service, name=name,
                                           defaults={"dia_measure": measure, "sort_order": order})
            order += 10
    for order, name in enumerate(CAUSES, start=1):
        Cause.objects.get_or_create(name=name, defaults={"sort_order": order * 10})

    # The daily digest of overdue complaints and next steps, 07:00 New Zealand time (editable in the admin).
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="7", day_of_week="*", day_of_month="*",
                                                        month_of_year="*", timezone="Pacific/Auckland")
    PeriodicTask.objects.get_or_create(name="Complaints: e-mail owners their overdue items", defaults={
        "task": "complaints.tasks.complaints_send_overdue_reminders", "crontab": schedule})


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="complaints.tasks.complaints_send_overdue_reminders").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
