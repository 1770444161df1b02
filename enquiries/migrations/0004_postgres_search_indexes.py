from django.db import migrations

# Trigram indexes make "name or address contains" searches fast on PostgreSQL at a
# million rows; SQLite has no equivalent and does without.
FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm ON enquiries_customer USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS enquiry_street_trgm ON enquiries_enquiry USING gin (UPPER(street_address) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS customer_name_trgm", "DROP INDEX IF EXISTS enquiry_street_trgm"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("enquiries", "0003_default_issue_types")]
    operations = [migrations.RunPython(forward, backward)]
