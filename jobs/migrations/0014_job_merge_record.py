"""What a merge moved (``JobMerge``), so that an unmerge can put it back; and the timeline kinds of
an unmerge and of including an excluded job again.

Merges made before this are recorded from what they left: the duplicate's state before the
merge from its state log, its enquiries from the survivor's "moved here from ... (merged)"
entries, and the survivor's own found time when it was itself found by staff or telemetry.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def record_earlier_merges(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    JobEvent = apps.get_model("jobs", "JobEvent")
    JobMerge = apps.get_model("jobs", "JobMerge")
    StateLog = apps.get_model("django_fsm_log", "StateLog")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="jobs", model="job").first()
    for duplicate in Job.objects.filter(cancel_reason="merged", merged_into__isnull=False).select_related(
            "merged_into"):
        survivor = duplicate.merged_into
        log = StateLog.objects.filter(content_type=content_type, object_id=duplicate.pk,
                                      transition="cancel").order_by("-id").first() if content_type else None
        moved = JobEvent.objects.filter(job=survivor, kind="enquiry_linked", enquiry__isnull=False,
                                        text__endswith=f"moved here from {duplicate.reference} (merged)")
        record = JobMerge.objects.create(
            duplicate=duplicate, survivor=survivor, at=log.timestamp if log else duplicate.cancelled_at,
            by_id=log.by_id if log else None,
            status_before=(log.source_state if log and log.source_state else "logged"),
            survivor_found_at_before=survivor.found_at if survivor.source != "customer" else None)
        record.enquiries.set([event.enquiry_id for event in moved])


class Migration(migrations.Migration):

    dependencies = [
        ('enquiries', '0012_enquiry_dia_counts'),
        ('jobs', '0013_job_measure_inputs'),
        ('django_fsm_log', '0005_description_null'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='jobevent',
            name='kind',
            field=models.CharField(choices=[('note', 'Internal note'), ('enquiry_linked', 'Enquiry linked'), ('enquiry_unlinked', 'Enquiry unlinked'), ('location_changed', 'Location changed'), ('service_changed', 'Service changed'), ('reclassified', 'Reclassified after arrival'), ('merged_in', 'Duplicate job merged in'), ('excluded', 'Excluded from measures'), ('included', 'Included in measures again'), ('unmerged', 'Duplicate job unmerged'), ('variation', 'Variation'), ('customer_update', 'Customer update'), ('photos', 'Photos added'), ('site_contact', 'Site contact')], max_length=30),
        ),
        migrations.CreateModel(
            name='JobMerge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('status_before', models.CharField(choices=[('logged', 'Logged'), ('triaged', 'Triaged'), ('allocated', 'Allocated'), ('dispatched', 'Dispatched'), ('attended', 'Attended'), ('assessed', 'Assessed'), ('in_repair', 'In repair'), ('completed', 'Completed'), ('closed', 'Closed'), ('reported', 'Reported'), ('cancelled', 'Cancelled')], max_length=20)),
                ('survivor_found_at_before', models.DateTimeField(blank=True, null=True)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('duplicate', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='merges_out', to='jobs.job')),
                ('enquiries', models.ManyToManyField(blank=True, related_name='+', to='enquiries.enquiry')),
                ('survivor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='merges_in', to='jobs.job')),
            ],
            options={
                'ordering': ['at', 'id'],
                'indexes': [models.Index(fields=['duplicate', '-at'], name='job_merge_duplicate')],
            },
        ),
        migrations.RunPython(record_earlier_merges, migrations.RunPython.noop),
    ]
