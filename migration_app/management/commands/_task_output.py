"""Output shared by the task re-association commands."""

import json

from django.core.management.base import CommandError

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from migration_app.selectors import task_run_summary
from migration_app.services import MigrationError

REFUSED = 2


def run_and_report(command, *, kind: str, as_json: bool, **request) -> None:
    """Dispatch the run and print it; a refused request exits 2 (under --json, as one object)."""
    try:
        run = migration_run_dispatch(
            kind=kind, actor="cli", origin=MigrationRun.Origin.CLI, **request
        )
    except MigrationError as exc:
        if as_json:
            command.stdout.write(json.dumps({"status": "refused", "error": str(exc)}))
        raise CommandError(str(exc), returncode=REFUSED) from exc
    report(command, run, as_json=as_json)


def report(command, run: MigrationRun, *, as_json: bool) -> None:
    """Print the run (human text or JSON); a failed run exits non-zero."""
    summary = task_run_summary(run=run)
    if as_json:
        command.stdout.write(json.dumps(summary, indent=2))
    else:
        mode = "DRY RUN: nothing was changed. " if run.dry_run else ""
        command.stdout.write(f"{mode}Run {summary['run_id']} ({run.kind}): {run.status}")
        command.stdout.write(f"  sessions found:        {summary['sessions_found']}")
        if run.dry_run:
            command.stdout.write(f"  would update:          {summary['sessions_would_update']}")
        else:
            command.stdout.write(f"  updated:               {summary['sessions_updated']}")
        command.stdout.write(f"  already up to date:    {summary['sessions_unchanged']}")
        command.stdout.write(f"  failed:                {summary['sessions_failed']}")
        for session_id in summary["updated_sessions"][:50]:
            command.stdout.write(f"    {session_id}")
        if len(summary["updated_sessions"]) > 50:
            command.stdout.write("    ... (the run's items list them all)")
        for error in summary["errors"]:
            command.stderr.write(f"  error: {error}")
        if run.dry_run and summary["sessions_would_update"]:
            command.stdout.write("Run again with --execute (or without --dry-run) to apply.")
    if run.status == MigrationRun.Status.FAILED:
        raise CommandError(run.error or "The run failed.", returncode=1)
    if run.status == MigrationRun.Status.PARTIAL:
        raise CommandError("Some sessions failed; see the errors above.", returncode=1)
