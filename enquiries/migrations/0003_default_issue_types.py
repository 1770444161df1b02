from django.db import migrations

# (service, code, name, duplicate radius in metres): defaults, editable in the admin.
ISSUE_TYPES = [
    ("water_supply", "leak", "Leak", 150),
    ("water_supply", "burst_main", "Burst main", 400),
    ("water_supply", "no_water", "No water", 500),
    ("water_supply", "low_pressure", "Low pressure", 500),
    ("water_supply", "water_quality", "Water quality (taste, odour, clarity)", 500),
    ("water_supply", "other", "Other", 200),
    ("wastewater", "blocked_drain", "Blocked drain", 200),
    ("wastewater", "overflow", "Wastewater overflow", 300),
    ("wastewater", "odour", "Odour", 300),
    ("wastewater", "other", "Other", 200),
    ("stormwater", "blocked_drain", "Blocked drain or sump", 200),
    ("stormwater", "flooding", "Flooding", 300),
    ("stormwater", "other", "Other", 200),
]


def add_issue_types(apps, schema_editor):
    IssueType = apps.get_model("enquiries", "IssueType")
    for order, (service, code, name, radius) in enumerate(ISSUE_TYPES):
        IssueType.objects.get_or_create(
            service=service, code=code,
            defaults={"name": name, "duplicate_radius_m": radius, "sort_order": order * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0002_initial")]
    operations = [migrations.RunPython(add_issue_types, migrations.RunPython.noop)]
