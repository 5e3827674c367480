"""Output shared by the task re-association commands."""

import json

from django.core.management.base import CommandError

from migration_app.dispatch import migration_run_dispatch
from migration_app.management.commands._legacy_output import REFUSED
from migration_app.models import MigrationRun
from migration_app.selectors import task_run_summary
from migration_app.services import MigrationError


def run_and_report(command, *, kind: str, as_json: bool, **request) -> None:
    """Dispatch the run and print it (human text or JSON); a refused request exits 2 (under
    --json, as one object), a failed or partial run 1."""
    try:
        run = migration_run_dispatch(kind=kind, actor="cli", **request)
    except MigrationError as exc:
        if as_json:
            command.stdout.write(json.dumps({"status": "refused", "error": str(exc)}))
        raise CommandError(str(exc), returncode=REFUSED) from exc
    summary = task_run_summary(run=run)
    if as_json:
        command.stdout.write(json.dumps(summary, indent=2))
    else:
        mode = "DRY RUN: nothing was changed. " if run.dry_run else ""
        command.stdout.write(f"{mode}Run {summary['run_id']} ({run.kind}): {run.status}")
        updated = ("would update", "would_update") if run.dry_run else ("updated", "updated")
        for label, name in [
            ("sessions found", "found"),
            updated,
            ("already up to date", "unchanged"),
            ("failed", "failed"),
        ]:
            command.stdout.write(f"  {label + ':':<22} {summary[f'sessions_{name}']}")
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
