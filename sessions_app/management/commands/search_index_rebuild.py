from django.core.management.base import BaseCommand

from sessions_app.search_services import search_index_missing, search_index_rebuild


class Command(BaseCommand):
    help = (
        "Repair the full-text search index: drop and re-create it from the rows. Not needed "
        "in normal running (triggers keep it current); for lost triggers or a restored dump."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="do the work, roll back")

    def handle(self, *args, dry_run: bool, **options):
        missing = search_index_missing()
        if missing:
            self.stdout.write(f"Missing triggers: {', '.join(missing)}")
        counts = search_index_rebuild(dry_run=dry_run)
        done = "Would index" if dry_run else "Indexed"
        self.stdout.write(", ".join(f"{done} {n} {kind} rows" for kind, n in counts.items()))
