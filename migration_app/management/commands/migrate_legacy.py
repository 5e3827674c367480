"""manage.py migrate_legacy --source NAME [LOCATION]: offline import of a legacy store.

Exit 0 when every item was migrated or skipped, 1 when any item (or, for ao and ao-rs, a
transcript of the follow-up import_transcripts run) failed or was rejected, 2 when the
import was refused (nothing written). Re-running is safe and completes a killed run.
"""

import json
import os
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy.reading import DEFAULT_MAX_FILE_BYTES
from migration_app.legacy.records import exception_text
from migration_app.management.commands._legacy_output import (
    REFUSED,
    SHOWN_REJECTED,
    JsonRefusalMixin,
    outcome_lines,
    progress_bar_draw,
    refusal_summary,
    rejected_items,
    run_page,
    run_summary,
)
from migration_app.models import MigrationRun
from migration_app.services.journal import MigrationError
from migration_app.services.legacy_import import (
    legacy_import_plan,
    legacy_source_get,
    legacy_source_names,
)
from migration_app.services.legacy_import.shared import DEFAULT_BATCH_SIZE
from migration_app.services.transcripts.follow_up import SOURCES, transcripts_follow_up_request
from projects_app.models import Project, Workspace
from sessions_app.models import Session


class Command(JsonRefusalMixin, BaseCommand):
    help = __doc__
    requires_migrations_checks = False  # checked below, as a refusal with exit code 2

    def add_arguments(self, parser):
        defaults = "; ".join(
            f"{name}: {legacy_source_get(name).default_location()}"
            for name in legacy_source_names()
        )
        parser.add_argument(
            "location", nargs="?", help=f"the legacy store (default by --source: {defaults})"
        )
        parser.add_argument("--source", choices=legacy_source_names(), required=True)
        parser.add_argument("--dry-run", action="store_true", help="plan only; write nothing")
        parser.add_argument(
            "--workspace",
            dest="workspace_slug",
            metavar="SLUG",
            help=f"the workspace to import into (default {Workspace.DEFAULT_SLUG!r}; "
            "tokendance: the database's own workspaces)",
        )
        parser.add_argument(
            "--path-map",
            action="append",
            metavar="OLD=NEW",
            help="tokendance: read a workspace path starting with OLD under NEW (repeatable)",
        )
        parser.add_argument(
            "--claude-home", metavar="DIR", help="Claude Code home (default $CLAUDE_CONFIG_DIR)"
        )
        parser.add_argument(
            "--codex-home",
            metavar="DIR",
            help="ao, ao-rs: Codex home of the transcripts follow-up (default $CODEX_HOME, "
            "else ~/.codex)",
        )
        parser.add_argument(
            "--no-transcripts",
            dest="transcripts",
            action="store_false",
            help="ao, ao-rs: do not import the transcripts of the imported sessions",
        )
        parser.add_argument("--include-terminated", action="store_true")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N")
        parser.add_argument(
            "--max-file-bytes",
            type=int,
            default=DEFAULT_MAX_FILE_BYTES,
            metavar="N",
            help="a legacy file larger than this is rejected unread (default 64 MiB)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
        parser.add_argument(
            "--no-parse-ahead",
            dest="parse_ahead",
            action="store_const",
            const=False,
            help="parse in this process (default: a helper process parses the next batch)",
        )

    def handle(self, *args, **options):
        try:
            source = legacy_source_get(options["source"])
            self._check_migrations()
            # Options left out keep the source's own default.
            request = {n: options[n] for n in source.options if options.get(n) is not None}
            request["location"] = options["location"] or source.default_location()
            try:
                # The source's own checks first (a bad path or the wrong --source is the
                # likelier mistake), then the database's write lock.
                legacy_import_plan(source=source.name, **request)
            except MigrationError as exc:
                raise CommandError(str(exc), returncode=REFUSED) from exc
            home = options["codex_home"]
            if home and not os.path.isdir(os.path.expanduser(home)):
                why = f"--codex-home {home} does not exist or is not a directory."
                raise CommandError(why, returncode=REFUSED)
            _check_database_writable()
            run = self._run(source, request, options)
            follows = options["transcripts"] and source.name in SOURCES
            transcripts = self._transcripts(run, options) if follows else None
        except CommandError as exc:
            if options["json"]:
                summary = getattr(exc, "summary", None) or refusal_summary(str(exc))
                summary = {**summary, "exit_code": exc.returncode}
                self.stdout.write(json.dumps(summary, sort_keys=True))
            raise
        self._report(run, options, transcripts)
        if run.status != MigrationRun.Status.SUCCEEDED:
            raise CommandError(
                f"{run.counts.get('failed', 0)} item(s) failed or were rejected; see run {run.id}",
                returncode=1,
            )
        if transcripts is not None and transcripts["exit_code"]:
            raise CommandError(
                f"{transcripts['counts'].get('failed', 0)} transcript item(s) failed; see run "
                f"{transcripts['run_id']}",
                returncode=1,
            )

    def _transcripts(self, run: MigrationRun, options) -> dict:
        """The follow-up import_transcripts run over the sessions `run` covered, through the
        same dispatch as the command (a dry run plans it, rolled back); its summary."""
        if run.status == MigrationRun.Status.FAILED:
            return {**_not_run("the legacy import failed"), "exit_code": 0}
        try:
            request = transcripts_follow_up_request(run=run, codex_home=options["codex_home"])
            follow_up = migration_run_dispatch(
                kind=MigrationRun.Kind.IMPORT_TRANSCRIPTS,
                dry_run=run.dry_run,
                actor=run.actor,
                **request,
            )
        except MigrationError as exc:  # nothing to read, or an import under way
            return {**_not_run(str(exc)), "exit_code": 0}
        except Exception as exc:  # the journal closed the run as failed
            return {**_not_run(exception_text(exc)), "status": "failed", "exit_code": 1}
        sessions = len(request["agent_session_ids"])
        return {**run_summary(follow_up), "source": "transcripts", "sessions": sessions}

    def _run(self, source, request, options):
        show_bar = not options["json"] and options["verbosity"] >= 1 and self.stdout.isatty()
        began = timezone.now()
        try:
            return migration_run_dispatch(
                kind=MigrationRun.Kind.LEGACY_IMPORT,
                source=source.name,
                dry_run=options["dry_run"],
                actor=os.environ.get("USER", ""),
                on_progress=partial(progress_bar_draw, self.stdout) if show_bar else None,
                **request,
            )
        except MigrationError as exc:
            raise CommandError(str(exc), returncode=REFUSED) from exc
        except Exception as exc:
            stopped = exception_text(exc)
            error = CommandError(f"The import stopped: {stopped}", returncode=1)
            # The journal closed this command's run as failed, with the error (if the
            # run had been recorded before the exception).
            run = MigrationRun.objects.filter(
                kind=MigrationRun.Kind.LEGACY_IMPORT, started_at__gte=began
            ).first()
            error.summary = (
                run_summary(run)
                if run is not None
                else {**refusal_summary(""), "status": "failed", "error": None}
            )
            error.summary["run_error"] = error.summary.get("run_error") or stopped
            raise error from exc
        finally:
            if show_bar:
                self.stdout.write("")

    def _check_migrations(self) -> None:
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except OperationalError as exc:
            raise CommandError(
                f"The database cannot be read ({exc}); check DATABASE_URL.", returncode=REFUSED
            ) from exc
        if plan:
            raise CommandError(
                f"The database has {len(plan)} unapplied migration(s); run "
                "`python manage.py migrate` first.",
                returncode=REFUSED,
            )

    def _report(self, run: MigrationRun, options, transcripts: dict | None) -> None:
        if options["json"]:
            summary = run_summary(run)
            if transcripts is not None:
                summary["transcripts"] = transcripts
                summary["exit_code"] = max(summary["exit_code"], transcripts["exit_code"])
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        if options["verbosity"] < 1:
            return
        self._lines(run, options)
        if transcripts is None:
            return
        if transcripts.get("run_id") is None:
            self.stdout.write(f"Transcripts not imported: {transcripts['reason']}.")
            return
        follow_up = MigrationRun.objects.get(pk=transcripts["run_id"])
        self.stdout.write(f"Transcripts of {transcripts['sessions']:,} session(s):")
        if follow_up.dry_run:
            self.stdout.write(
                "  (planned by a rolled-back import_transcripts run; the sessions above are "
                "not written in a dry run, so their transcripts are planned as sessions of "
                "their own — the real run links them to the imported sessions)"
            )
        self._lines(follow_up, options)

    def _lines(self, run: MigrationRun, options) -> None:
        for line in outcome_lines(run):
            self.stdout.write(line)
        rejected = rejected_items(run, limit=None if options["verbosity"] >= 2 else SHOWN_REJECTED)
        for path, reason in rejected:
            self.stdout.write(f"  rejected {path}: {reason}")
        more = run.counts.get("failed", 0) - len(rejected)
        if more > 0:
            self.stdout.write(f"  and {more} more — see the run page: {run_page(run)}")


def _not_run(reason: str) -> dict:
    return {"run_id": None, "status": "not run", "reason": reason, "counts": {}}


def _check_database_writable() -> None:
    """Take (and release) the write lock once, so a locked database refuses up front."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                timeout = int(os.environ.get("SESSIONHUB_LOCK_TIMEOUT_MS", "20000"))
                cursor.execute(f"SET LOCAL lock_timeout = {timeout}")
                tables = ", ".join(
                    connection.ops.quote_name(m._meta.db_table) for m in (Session, Project)
                )
                cursor.execute(f"LOCK TABLE {tables} IN ROW EXCLUSIVE MODE")
            else:
                # BEGIN IMMEDIATE (settings) has already waited for the write lock.
                cursor.execute("SELECT 1")
    except OperationalError as exc:
        raise CommandError(
            f"The database is locked ({exc}); stop the process holding it (a running server "
            "or worker writing a long transaction) and try again.",
            returncode=REFUSED,
        ) from exc
