"""Move session task ids from one task backend to another (a dry run unless --execute)."""

from django.core.management.base import BaseCommand

from migration_app.management.commands._task_output import run_and_report
from migration_app.models import MigrationRun
from migration_app.services.task_reassociation import BATCH_SIZE


class Command(BaseCommand):
    help = (
        "Rewrite every session task id <from>#<n> to <to>#<n>. Plain stored ids (123) count "
        "as md. Backends: md/markdown, mt/minsky, gh/github, json/json-file. Dry run unless "
        "--execute."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="from_backend", required=True)
        parser.add_argument("--to", dest="to_backend", required=True)
        parser.add_argument("--execute", action="store_true", help="apply (default: dry run)")
        parser.add_argument("--limit", type=int, default=None, help="look at N sessions at most")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="sessions per batch")

    def handle(self, *args, **options):
        run_and_report(
            self,
            kind=MigrationRun.Kind.TASK_BACKEND,
            as_json=options["json"],
            from_backend=options["from_backend"],
            to_backend=options["to_backend"],
            dry_run=not options["execute"],
            limit=options["limit"],
            batch_size=options["batch_size"],
        )
