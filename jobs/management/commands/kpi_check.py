"""``manage.py kpi_check``: list every job whose copied columns disagree with its history.

Exits 1 when any do (one line a job and column, both values), 0 with a one-line summary
otherwise, so CI and a cron job can run it after a migration or a restore.
"""

from django.core.management.base import BaseCommand, CommandError

from jobs.audit import describe, job_copies_disagreeing
from jobs.models import Job


class Command(BaseCommand):
    help = ("Check that every job's attendance, resolution, classification, expected completion and status "
            "agree with its append-only history (visits, resolutions, classifications, assessments, "
            "variations, state log). Exits 1 and lists each disagreement, or 0.")

    def handle(self, *args, **options):
        found = job_copies_disagreeing()
        for each in found:
            self.stdout.write(f"{each.reference} {each.column}: job says {describe(each.job_value)}, "
                              f"{each.source} says {describe(each.history_value)}")
        if found:
            jobs = len({each.job_id for each in found})
            raise CommandError(f"{len(found)} copied value(s) on {jobs} job(s) disagree with the history.")
        self.stdout.write(self.style.SUCCESS(
            f"kpi_check: all {Job.objects.count():,} jobs agree with their history."))
