"""Helpers shared by the legacy-import tests: table dumps, file listings, item plans."""

import os
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from migration_app.models import MigrationRun

JOURNAL_APP = "migration_app"


def dump_tables(*, ignore: dict[str, set[str]] | None = None) -> dict[str, list[dict]]:
    """Every row of every table except the migration journal, ordered by primary key."""
    ignore = ignore or {}
    dump = {}
    for model in apps.get_models():
        if model._meta.app_label == JOURNAL_APP:
            continue
        label = model._meta.label
        skip = ignore.get(label, set())
        rows = model._base_manager.order_by("pk").values()
        dump[label] = [{k: v for k, v in row.items() if k not in skip} for row in rows]
    return dump


def list_files(root: Path) -> dict[str, bytes]:
    """Relative path → content of every file under root."""
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


def item_plan(run: MigrationRun) -> list[tuple[str, str, str, str]]:
    """What a run decided, item by item, in a comparable form."""
    return sorted(
        run.items.values_list("subject_type", "subject_id", "outcome", "reason").order_by()
    )


def legacy_import_run(*, path: str, dry_run: bool = False, **request):
    """An import as migrate_legacy starts it, without the command around it."""
    from migration_app.dispatch import migration_run_dispatch

    return migration_run_dispatch(
        kind=MigrationRun.Kind.LEGACY_IMPORT, location=path, dry_run=dry_run, **request
    )


def run_import(tree, claude_home, **kwargs):
    """The service as the command runs it: transcript copies happen after each commit."""
    kwargs.setdefault("source", "ao")
    kwargs.setdefault("claude_home", str(claude_home))
    return import_committing(path=tree.root, **kwargs)


def import_committing(**kwargs):
    # Tests run inside a transaction: run the on_commit callbacks as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return legacy_import_run(**kwargs)


def migrate_legacy(*args):
    """The command in this process: (exit code, stdout, stderr)."""
    return command_run("migrate_legacy", *args)


def command_run(name: str, *args):
    """A management command in this process: (exit code, stdout, stderr); a CommandError's
    message is what it wrote to stderr."""
    out, err = StringIO(), StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue(), err.getvalue()
