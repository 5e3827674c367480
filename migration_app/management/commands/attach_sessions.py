"""manage.py attach_sessions: attach scratch sessions to a named workstream, moving their
files; also undoes or recovers a run (docs/attach-workstream.md, "Command")."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from migration_app.services import MigrationError
from migration_app.services.attach_workstream import (
    KIND,
    attach_workstream_recover,
    attach_workstream_undo,
)
from sessions_app.models import Workstream


class Command(BaseCommand):
    help = "Attach sessions to a workstream, moving their scratch files (journaled, undoable)."

    def add_arguments(self, parser):
        parser.add_argument("session_ids", nargs="*", metavar="SESSION_ID")
        parser.add_argument("--workstream", help="target workstream id")
        parser.add_argument(
            "--all-scratch",
            action="store_true",
            help="every scratch session of the workstream's workspace",
        )
        parser.add_argument("--dry-run", action="store_true", help="plan only; change nothing")
        parser.add_argument("--json", action="store_true", help="print the run as JSON")
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--undo", metavar="RUN_ID", help="undo an attach run")
        parser.add_argument("--recover", metavar="RUN_ID", help="finish an interrupted run")

    def handle(self, *args, **options):
        try:
            run = self._run(options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except MigrationError as exc:
            raise CommandError(str(exc)) from exc
        except Workstream.DoesNotExist as exc:
            raise CommandError(f"No workstream {options['workstream']!r}.") from exc
        except MigrationRun.DoesNotExist as exc:
            raise CommandError("No such migration run.") from exc
        self._report(run, options["json"])
        if run.status in (MigrationRun.Status.PARTIAL, MigrationRun.Status.FAILED):
            raise CommandError(f"run {run.pk} ended {run.status}", returncode=2)

    def _run(self, options) -> MigrationRun:
        if options["undo"]:
            return attach_workstream_undo(run=MigrationRun.objects.get(pk=options["undo"]))
        if options["recover"]:
            return attach_workstream_recover(run=MigrationRun.objects.get(pk=options["recover"]))
        if not options["workstream"]:
            raise CommandError("--workstream is required.")
        if not options["session_ids"] and not options["all_scratch"]:
            raise CommandError("Name at least one SESSION_ID, or pass --all-scratch.")
        return migration_run_dispatch(
            kind=KIND,
            workstream_id=options["workstream"],
            session_ids=options["session_ids"],
            all_scratch=options["all_scratch"],
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            actor="cli",
            origin=MigrationRun.Origin.CLI,
        )

    def _report(self, run: MigrationRun, as_json: bool) -> None:
        failed = run.items.filter(outcome="failed", subject_type="session")
        failed = list(failed.values_list("subject_id", "reason")[:100])
        if as_json:
            body = {
                "run": str(run.pk),
                "status": run.status,
                "dry_run": run.dry_run,
                "counts": run.counts,
                "failed": [{"session": s, "reason": r} for s, r in failed],
            }
            self.stdout.write(json.dumps(body, indent=2))
            return
        mode = " (dry run)" if run.dry_run else ""
        self.stdout.write(f"run {run.pk}: {run.status}{mode}")
        for name, value in run.counts.items():
            self.stdout.write(f"  {name}: {value}")
        for session_id, reason in failed:
            self.stdout.write(f"  FAILED {session_id}: {reason}")
