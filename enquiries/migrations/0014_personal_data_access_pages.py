# The pages the access log names: call-backs, complaints, letters and feedback letters (Privacy Act 2020).

from django.db import migrations, models

PAGES = [
    ("enquiry_detail", "Enquiry page"),
    ("job_detail", "Job page"),
    ("customer_lookup", "Customer lookup results"),
    ("customer_pick", "Customer picked at intake"),
    ("callback_queue", "Call-back queue"),
    ("callback_record", "Call-back record"),
    ("complaint_detail", "Complaint page"),
    ("letter_download", "Letters downloaded (PDF)"),
    ("feedback_letter", "Feedback letter printed"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("enquiries", "0013_personal_data_access_append_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="personaldataaccess",
            name="page",
            field=models.CharField(choices=PAGES, max_length=30),
        ),
    ]
