from django.db import migrations, models

URGENT_CODES = ("burst_main", "no_water", "overflow", "flooding")


def mark_urgent_issue_types(apps, schema_editor):
    IssueType = apps.get_model("enquiries", "IssueType")
    IssueType.objects.filter(code__in=URGENT_CODES).update(is_urgent=True)


def normalise_phone_numbers(apps, schema_editor):
    """Stored numbers take the one normalised form ('021 555 0101'); ones that are not valid
    New Zealand numbers are left as typed, for a person to correct."""
    from enquiries.text import phone_digits, phone_normalise

    Customer = apps.get_model("enquiries", "Customer")
    for customer in Customer.objects.exclude(phone="").only("pk", "phone").iterator(chunk_size=2000):
        try:
            normalised = phone_normalise(customer.phone)
        except ValueError:
            continue
        if normalised != customer.phone:
            Customer.objects.filter(pk=customer.pk).update(phone=normalised, phone_digits=phone_digits(normalised))


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0009_personal_data_access")]

    operations = [
        migrations.AddField(
            model_name="issuetype",
            name="is_urgent",
            field=models.BooleanField(
                default=False, verbose_name="usually urgent",
                help_text="Flagged in the triage queue, which can list these first (no water, overflows, flooding).",
            ),
        ),
        migrations.RunPython(mark_urgent_issue_types, migrations.RunPython.noop),
        migrations.RunPython(normalise_phone_numbers, migrations.RunPython.noop),
    ]
