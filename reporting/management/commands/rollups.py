"""``manage.py rollups verify``: every stored month against a computation from the jobs, from one
snapshot; exits non-zero on any difference, or on a month that is not trusted (its seal does not
match: restored into another cluster, or written with the triggers bypassed).
``manage.py rollups rebuild``: forget every stored month and store them again from the jobs."""

from django.core.management.base import BaseCommand, CommandError

from reporting import rollups


class Command(BaseCommand):
    help = "Check the stored months of measure tallies against the jobs (verify), or store them again (rebuild)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "rebuild"])

    def handle(self, *args, action: str, **options):
        if not rollups.enabled():
            raise CommandError("Stored months need PostgreSQL as the reporting database.")
        if action == "rebuild":
            stored = rollups.months_rebuild()
            self.stdout.write(f"{stored} months stored again from the jobs.")
            return
        found = rollups.months_verify()
        for problem in found.problems:
            self.stderr.write(problem)
        self.stdout.write(f"{found.exact} stored months exact, {found.stale} stale (read from the jobs when next "
                          f"used), {len(found.problems)} wrong or not trusted.")
        if found.problems:
            raise CommandError(f"{len(found.problems)} stored months differ from the jobs or are not trusted: "
                               "run `manage.py rollups rebuild`.")
