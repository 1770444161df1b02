from decimal import Decimal

from django.db import migrations

# Defaults from published Wellington Water targets (urgent: attend 1 h, resolve 4 h;
# non-urgent: attend 36 h, resolve 5 days); editable reference data.
PRIORITIES = [
    ("P1", "Emergency", True, "1", "4", False),
    ("P2", "Urgent", True, "4", "24", False),
    ("P3", "Non-urgent", False, "36", "120", False),
    ("P4", "Planned", False, "27", "90", True),
    ("P5", "Low", False, "45", "180", True),
]

CATEGORIES = {
    "water_supply": [
        "Water main burst", "Water main leak", "Service pipe leak", "Toby, meter or valve fault",
        "Supply outage", "Low pressure or flow", "Water quality",
    ],
    "wastewater": [
        "Wastewater main blockage", "Lateral blockage", "Dry-weather overflow", "Wet-weather overflow",
        "Pump station fault", "Odour",
    ],
    "stormwater": [
        "Sump or inlet blockage", "Stormwater pipe blockage", "Flooding: habitable floor",
        "Flooding: property or road", "Stream or open channel",
    ],
}


def add_reference_data(apps, schema_editor):
    Priority = apps.get_model("jobs", "Priority")
    Category = apps.get_model("jobs", "Category")
    for order, (name, label, urgent, attend, resolve, business) in enumerate(PRIORITIES):
        Priority.objects.get_or_create(
            name=name,
            defaults={
                "label": label, "is_urgent": urgent, "attendance_target_hours": Decimal(attend),
                "resolution_target_hours": Decimal(resolve), "business_hours": business, "sort_order": order * 10,
            },
        )
    for service, names in CATEGORIES.items():
        for order, name in enumerate(names):
            Category.objects.get_or_create(service=service, name=name, defaults={"sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]
    operations = [migrations.RunPython(add_reference_data, migrations.RunPython.noop)]
