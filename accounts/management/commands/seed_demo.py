from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo.activity import DemoActivity
from accounts.demo.complaints import DemoComplaints
from accounts.demo.history import DemoHistory
from accounts.demo.people import DEMO_PASSWORD, DEMO_USERS, seed_organisations, seed_users
from accounts.demo.reference import seed_reference_data
from enquiries.models import Enquiry


class Command(BaseCommand):
    help = "Create the demo councils, utility, contractors, one login per role and a fortnight of activity."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG=false.")
        parser.add_argument("--no-activity", action="store_true", help="Only organisations and users.")

    def handle(self, *args, force=False, no_activity=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with a published password: refusing with DEBUG=false. "
                               "Use --force if you really mean it.")
        organisations = seed_organisations()
        users = seed_users(organisations)
        seed_reference_data(organisations)
        if no_activity:
            pass
        elif Enquiry.objects.exists():
            self.stdout.write("Demo activity already present: left as it is.")
        else:
            DemoHistory(users=users, organisations=organisations, seed=2025).run()
            count = DemoActivity(users=users, organisations=organisations).run()
            self.stdout.write(f"Created {count} enquiries and their jobs.")
            complaints = DemoComplaints(users=users, organisations=organisations).run()
            self.stdout.write(f"Created {complaints} complaints.")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for username, first, last, org, roles, _listed in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {first} {last}, {', '.join(roles)} ({org})")
