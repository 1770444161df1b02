"""Backfill the facts and reference data for jobs made before they existed.

Categories get the DIA measure they feed; every categorised job gets its frozen urgency and
measure and one Classification row; every attended job a Visit, every completed one a
Resolution; contracts are inferred from the jobs already dispatched (the most used
contractor per council and service is the usual one).
"""

from collections import Counter

from django.db import migrations

KPI = {
    "water_supply": {"*": "water_fault"},
    "wastewater": {"Odour": "not_callout", "*": "wastewater_overflow"},
    "stormwater": {"Flooding: habitable floor": "stormwater_flooding",
                   "Flooding: property or road": "stormwater_flooding", "*": "not_callout"},
}


def forwards(apps, schema_editor):
    Category = apps.get_model("jobs", "Category")
    Job = apps.get_model("jobs", "Job")
    Classification = apps.get_model("jobs", "Classification")
    Visit = apps.get_model("jobs", "Visit")
    Resolution = apps.get_model("jobs", "Resolution")
    Contract = apps.get_model("jobs", "Contract")

    for category in Category.objects.all():
        rules = KPI.get(category.service, {})
        category.kpi_class = rules.get(category.name, rules.get("*", "not_callout"))
        category.save(update_fields=["kpi_class"])
    for order, service in enumerate(["water_supply", "wastewater", "stormwater"]):
        Category.objects.get_or_create(service=service, name="Planned work",
                                       defaults={"kpi_class": "not_callout", "sort_order": 900 + order})

    kpi_of = dict(Category.objects.values_list("id", "kpi_class"))
    used = Counter()
    for job in Job.objects.select_related("priority").iterator(chunk_size=2000):
        job.targets_from = job.notified_at
        if job.category_id and job.priority_id:
            job.is_urgent = job.priority.is_urgent
            job.kpi_class = kpi_of[job.category_id]
            Classification.objects.create(
                job=job, at=job.categorised_at or job.created_at, category_id=job.category_id,
                priority_id=job.priority_id, is_urgent=job.is_urgent, kpi_class=job.kpi_class,
                reason="Recorded when classifications were first kept",
            )
        if job.attended_at:
            Visit.objects.create(job=job, arrived_at=job.attended_at, recorded_at=job.attended_at)
        if job.completed_at:
            Resolution.objects.create(job=job, resolved_at=job.completed_at, recorded_at=job.completed_at)
        if job.contractor_id:
            used[(job.council_id, job.service, job.contractor_id)] += 1
        job.save(update_fields=["targets_from", "is_urgent", "kpi_class"])

    usual = {}
    for (council, service, contractor), count in used.most_common():
        usual.setdefault((council, service), contractor)
    for (council, service, contractor) in used:
        Contract.objects.get_or_create(council_id=council, service=service, contractor_id=contractor,
                                       defaults={"is_usual": usual[(council, service)] == contractor})


class Migration(migrations.Migration):
    dependencies = [("jobs", "0005_job_history_and_reference_data")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
