"""Point every session of task OLD at task NEW."""

from django.core.management.base import BaseCommand

from migration_app.management.commands._task_output import run_and_report
from migration_app.models import MigrationRun
from migration_app.services.task_reassociation import BATCH_SIZE


class Command(BaseCommand):
    help = (
        "Re-associate the sessions of task OLD (stored qualified or plain) with task NEW, "
        "e.g. `reassociate_task md#123 mt#123`."
    )

    def add_arguments(self, parser):
        parser.add_argument("old_task_id")
        parser.add_argument("new_task_id")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="sessions per batch")

    def handle(self, *args, **options):
        run_and_report(
            self,
            kind=MigrationRun.Kind.REASSOCIATE_TASK,
            as_json=options["json"],
            mapping=[(options["old_task_id"], options["new_task_id"])],
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
        )
