"""DIA complaint categories on issue types, and the single water-quality type split into
clarity, taste and odour. Existing water-quality enquiries move by what the caller said
(taste, smell), else to clarity (discoloured or dirty water is the usual report)."""

from django.db import migrations

DIA = {
    ("water_supply", "no_water"): "water_continuity",
    ("water_supply", "low_pressure"): "water_pressure",
    ("water_supply", "water_clarity"): "water_clarity",
    ("water_supply", "water_taste"): "water_taste",
    ("water_supply", "water_odour"): "water_odour",
    ("wastewater", "blocked_drain"): "wastewater_blockages",
    ("wastewater", "overflow"): "wastewater_faults",
    ("wastewater", "fault"): "wastewater_faults",
    ("wastewater", "odour"): "wastewater_odour",
    ("stormwater", "blocked_drain"): "stormwater_performance",
    ("stormwater", "flooding"): "stormwater_performance",
}
NEW_TYPES = [
    ("water_supply", "water_clarity", "Dirty or discoloured water", 500, 40),
    ("water_supply", "water_taste", "Water tastes wrong", 500, 41),
    ("water_supply", "water_odour", "Water smells wrong", 500, 42),
    ("wastewater", "fault", "Wastewater system fault (pump station, manhole)", 300, 75),
]


def _new_code(description: str) -> str:
    text = description.lower()
    if "taste" in text or "tastes" in text:
        return "water_taste"
    if any(word in text for word in ("smell", "odour", "odor", "musty")):
        return "water_odour"
    return "water_clarity"


def forwards(apps, schema_editor):
    IssueType = apps.get_model("enquiries", "IssueType")
    Enquiry = apps.get_model("enquiries", "Enquiry")
    for service, code, name, radius, order in NEW_TYPES:
        IssueType.objects.get_or_create(service=service, code=code,
                                        defaults={"name": name, "duplicate_radius_m": radius, "sort_order": order})
    IssueType.objects.filter(service="water_supply", code="low_pressure").update(name="Low pressure or flow")
    old = IssueType.objects.filter(service="water_supply", code="water_quality").first()
    if old is not None:
        new = {t.code: t for t in IssueType.objects.filter(service="water_supply", code__startswith="water_")}
        for enquiry in Enquiry.objects.filter(issue_type=old).only("id", "description"):
            Enquiry.objects.filter(pk=enquiry.pk).update(issue_type=new[_new_code(enquiry.description)])
        old.delete()
    for (service, code), category in DIA.items():
        IssueType.objects.filter(service=service, code=code).update(dia_category=category)


def backwards(apps, schema_editor):
    IssueType = apps.get_model("enquiries", "IssueType")
    Enquiry = apps.get_model("enquiries", "Enquiry")
    old, _ = IssueType.objects.get_or_create(
        service="water_supply", code="water_quality",
        defaults={"name": "Water quality (taste, odour, clarity)", "duplicate_radius_m": 500, "sort_order": 40})
    split = IssueType.objects.filter(service="water_supply", code__in=["water_clarity", "water_taste", "water_odour"])
    Enquiry.objects.filter(issue_type__in=split).update(issue_type=old)
    split.delete()


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0006_issue_type_dia_category")]
    operations = [migrations.RunPython(forwards, backwards)]
