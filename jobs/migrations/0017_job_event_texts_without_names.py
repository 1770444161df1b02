"""Timeline entries no longer keep customers' names in their text (Privacy Act 2020, principle 11).

The page puts the name in at display time for the viewers who may see it (jobs/timeline_names.py).
Rows written before that named the customer; this rewrites them to the stored form used now:
"... reported by the customer", "Site contact: the customer on ENQ-… (…)" with the enquiry kept
on the event, and "Update to 3 customers (…)". JobEvent is a timeline, not a fact a measure
reads, so rewriting its text is allowed. The names cannot be put back: reversing does nothing.
"""

import re

from django.db import migrations

NOT_SHOWN = "the customer"
LINKED = " reported by "
SITE_CONTACT = re.compile(r"^Site contact: (?P<name>.+?) (?P<rest>\(the crew sees their phone and e-mail\).*)$", re.S)
UPDATE = re.compile(r"^Update to (?P<who>.+?) \((?P<count>\d+): ", re.S)


def _site_contact(event, enquiries):
    match = SITE_CONTACT.match(event.text)
    if match is None or match["name"].startswith(f"{NOT_SHOWN} on "):
        return False
    enquiry = next((e for e in enquiries if e.customer.name == match["name"]), None)
    where = f" on {enquiry.reference}" if enquiry is not None else ""
    event.text = f"Site contact: {NOT_SHOWN}{where} {match['rest']}"
    event.enquiry = enquiry if enquiry is not None else event.enquiry
    return True


def rewrite(apps, schema_editor):
    JobEvent = apps.get_model("jobs", "JobEvent")
    Enquiry = apps.get_model("enquiries", "Enquiry")
    batch = []
    events = JobEvent.objects.filter(kind__in=["enquiry_linked", "site_contact", "customer_update"]).order_by("id")
    for event in events.iterator(chunk_size=2000):
        changed = False
        if event.kind == "enquiry_linked" and LINKED in event.text and not event.text.endswith(LINKED + NOT_SHOWN):
            event.text = event.text[: event.text.index(LINKED)] + LINKED + NOT_SHOWN
            changed = True
        elif event.kind == "site_contact":
            enquiries = list(Enquiry.objects.filter(job_id=event.job_id).select_related("customer")
                             .order_by("received_at", "id"))
            changed = _site_contact(event, enquiries)
        elif event.kind == "customer_update":
            match = UPDATE.match(event.text)
            if match and match["who"] not in ("every customer", NOT_SHOWN) and not match["who"].endswith(" customers"):
                count = int(match["count"])
                who = NOT_SHOWN if count == 1 else f"{count} customers"
                event.text = f"Update to {who} ({count}: " + event.text[match.end():]
                changed = True
        if changed:
            batch.append(event)
        if len(batch) >= 500:
            JobEvent.objects.bulk_update(batch, ["text", "enquiry"])
            batch = []
    if batch:
        JobEvent.objects.bulk_update(batch, ["text", "enquiry"])


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0016_public_words"),
        ("enquiries", "0012_enquiry_dia_counts"),
    ]

    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop, elidable=True)]
