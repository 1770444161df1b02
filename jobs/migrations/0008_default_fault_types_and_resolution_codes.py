from django.db import migrations

# (service, code, name, asks weather, flooding)
FAULT_TYPES = [
    ("water_supply", "burst_main", "Burst main", False, False),
    ("water_supply", "service_pipe_leak", "Leak on service pipe", False, False),
    ("water_supply", "no_water", "No water", False, False),
    ("water_supply", "low_pressure", "Low pressure or flow", False, False),
    ("water_supply", "water_quality", "Water quality", False, False),
    ("wastewater", "overflow", "Overflow", True, False),
    ("wastewater", "blockage", "Blockage", False, False),
    ("wastewater", "other", "Other fault", False, False),
    ("stormwater", "flooding", "Flooding", False, True),
    ("stormwater", "blocked_inlet", "Blocked inlet", False, False),
    ("stormwater", "other", "Other", False, False),
]

RESOLUTION_CODES = [
    ("", "repaired", "Repaired"),
    ("", "replaced", "Pipe or fitting replaced"),
    ("", "cleared", "Blockage cleared"),
    ("", "no_fault", "No fault found"),
    ("", "private_asset", "Private asset: owner advised"),
    ("", "temporary", "Made safe: permanent repair to follow"),
]


def add(apps, schema_editor):
    FaultType = apps.get_model("jobs", "FaultType")
    for order, (service, code, name, weather, flooding) in enumerate(FAULT_TYPES):
        FaultType.objects.get_or_create(service=service, code=code, defaults={
            "name": name, "asks_weather": weather, "is_flooding": flooding, "sort_order": (order + 1) * 10})
    ResolutionCode = apps.get_model("jobs", "ResolutionCode")
    for order, (service, code, name) in enumerate(RESOLUTION_CODES):
        ResolutionCode.objects.get_or_create(code=code, defaults={
            "service": service, "name": name, "sort_order": (order + 1) * 10})


class Migration(migrations.Migration):
    dependencies = [("jobs", "0007_fieldwork_and_customer_updates")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
