from django.core.management.base import BaseCommand

from migration_app.demo import demo_seed


class Command(BaseCommand):
    help = (
        "Load the demo data set: 3 workspaces, ~200 sessions of every origin, conversations, "
        "artifacts and workstream files. Idempotent: a second run adds nothing."
    )

    def handle(self, *args, **options):
        result = demo_seed()
        for name, total in result.totals.items():
            self.stdout.write(f"{name:>17}: {total:5d} ({result.created[name]:+d})")
        self.stdout.write(f"    files written: {result.files_written}")
        self.stdout.write(self.style.SUCCESS("Demo data in place."))
