"""manage.py migrate_sessions_to_projects: TokenDance's session → project migration."""

import json
from functools import partial

from django.core.management.base import BaseCommand, CommandError

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy.tokendance import summary_report
from migration_app.management.commands._legacy_output import progress_bar_draw
from migration_app.models import MigrationRun
from migration_app.services.journal import MigrationError
from migration_app.services.session_to_project import BATCH_SIZE_DEFAULT, KIND
from projects_app.models import Workspace

JSON_COUNTS = ("total", "migrated", "skipped", "failed", "messages_relinked", "artifacts_relinked")


class Command(BaseCommand):
    help = (
        "Migrate sessions to projects (one project, conversation and version 1 per session "
        "without a project). Idempotent: migrated sessions are skipped; a killed run is "
        "finished by running it again. Undo a run from its MigrationRun admin page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", metavar="SLUG", help="only this workspace's sessions")
        parser.add_argument(
            "--status",
            action="append",
            dest="statuses",
            metavar="S",
            help="only sessions with this status (repeatable; case-insensitive)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="plan and report; change nothing"
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE_DEFAULT)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="one JSON summary line"
        )

    def handle(self, *args, workspace, statuses, dry_run, batch_size, as_json, **options):
        if workspace and not Workspace.objects.filter(slug=workspace).exists():
            raise CommandError(f"No workspace with slug {workspace!r}.", returncode=2)
        show_bar = not as_json and self.stdout.isatty() and options["verbosity"] > 0
        try:
            run = migration_run_dispatch(
                kind=KIND,
                workspace_slug=workspace,
                statuses=statuses,
                dry_run=dry_run,
                batch_size=batch_size,
                actor="manage.py",
                origin=MigrationRun.Origin.CLI,
                on_progress=partial(progress_bar_draw, self.stdout, width=30) if show_bar else None,
            )
        except MigrationError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if show_bar:
            self.stdout.write("")
        counts = run.counts
        if as_json:
            summary = {name: counts.get(name, 0) for name in JSON_COUNTS}
            summary.update(run_id=str(run.pk), status=run.status, dry_run=run.dry_run)
            summary["first_errors"] = counts.get("first_errors", [])
            self.stdout.write(json.dumps(summary, sort_keys=True))
        else:
            heading = "Dry run: nothing was changed." if run.dry_run else "Migration finished."
            self.stdout.write(self.style.SUCCESS(heading) if counts.get("failed") == 0 else heading)
            self.stdout.write(summary_report(counts, counts.get("first_errors", [])))
            self.stdout.write(f"Run {run.pk} ({run.status})")
        if run.status == MigrationRun.Status.FAILED:
            raise CommandError(f"The run failed: {run.error}", returncode=1)
