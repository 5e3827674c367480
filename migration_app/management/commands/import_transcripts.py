"""manage.py import_transcripts: archive and import Claude Code and Codex transcripts.

Incremental and cheap to run from cron: a re-run reads only what was appended. Exit 0
when every file was imported or skipped, 1 when a file or a line failed, 2 when the
import was refused (nothing written). --background (PostgreSQL) queues the run in
batches for the `db_worker` processes and exits 0 at once; run it again to queue the
batches of a run whose workers died (docs/transcripts.md, "Several workers").
"""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from migration_app.dispatch import import_transcripts_background, migration_run_dispatch
from migration_app.management.commands._legacy_output import (
    REFUSED,
    SHOWN_REJECTED,
    JsonRefusalMixin,
    outcome_lines,
    refusal_summary,
    rejected_items,
    run_summary,
)
from migration_app.models import MigrationRun
from migration_app.services.journal import MigrationError
from migration_app.services.transcripts import default_home
from projects_app.models import Workspace


class Command(JsonRefusalMixin, BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        claude, codex = default_home("claude_home"), default_home("codex_home")
        parser.add_argument(
            "--claude-home",
            metavar="DIR",
            help=f"Claude Code home (default $CLAUDE_CONFIG_DIR, else ~/.claude: {claude})",
        )
        parser.add_argument(
            "--codex-home",
            metavar="DIR",
            help=f"Codex home (default $CODEX_HOME, else ~/.codex: {codex})",
        )
        parser.add_argument(
            "--workspace",
            dest="workspace_slug",
            default=Workspace.DEFAULT_SLUG,
            metavar="SLUG",
            help="workspace of new sessions whose cwd is no project's path (default 'default')",
        )
        parser.add_argument("--dry-run", action="store_true", help="plan only; write nothing")
        parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
        parser.add_argument(
            "--background",
            action="store_true",
            help="PostgreSQL: queue the run in batches of SESSIONHUB_TRANSCRIPT_BATCH_FILES "
            "files for the db_worker processes, and return at once",
        )

    def handle(self, *args, **options):
        names = ("dry_run", "claude_home", "codex_home", "workspace_slug")
        request = {name: options[name] for name in names}
        request["actor"] = os.environ.get("USER", "")
        try:
            if options["background"]:
                return self._queue(import_transcripts_background(**request), options)
            run = migration_run_dispatch(kind=MigrationRun.Kind.IMPORT_TRANSCRIPTS, **request)
        except MigrationError as exc:
            if options["json"]:
                self.stdout.write(json.dumps(refusal_summary(str(exc)), sort_keys=True))
            raise CommandError(str(exc), returncode=REFUSED) from exc
        if options["json"]:
            summary = {**run_summary(run), "source": "transcripts"}
            self.stdout.write(json.dumps(summary, sort_keys=True))
        elif options["verbosity"] >= 1:
            for line in outcome_lines(run):
                self.stdout.write(line)
            for path, reason in rejected_items(run, limit=SHOWN_REJECTED):
                self.stdout.write(f"  rejected {path}: {reason}")
        if run.status != MigrationRun.Status.SUCCEEDED:
            raise CommandError(
                f"{run.counts.get('failed', 0)} item(s) failed; see run {run.id}", returncode=1
            )

    def _queue(self, start, options) -> None:
        run, queued = start.run, len(start.batches)
        if options["json"]:
            summary = run_summary(run, rejected=False)
            summary.update(source="transcripts", batches_queued=queued, resumed=start.resumed)
            self.stdout.write(json.dumps({**summary, "exit_code": 0}, sort_keys=True))
        elif options["verbosity"] >= 1:
            files = f"{run.progress_total} file(s) in"
            what = "resumed: its unfinished" if start.resumed else files
            self.stdout.write(
                f"Run {run.id} ({run.status}): {what} {queued} batch(es) queued for the "
                "db_worker processes (manage.py db_worker); the run closes with its last batch."
            )
