"""`migrate_task_backend`: every `<from>#<n>` becomes `<to>#<n>`; plain stored numbers (and
the other legacy spellings) count as `md`."""

from collections.abc import Iterable

from django.db.models import Q

from migration_app.models import MigrationRun
from migration_app.services.journal import (
    MigrationError,
    MigrationKind,
    Planned,
    migration_kind_register,
)
from migration_app.services.task_reassociation.batches import (
    BATCH_SIZE,
    Tally,
    in_workspaces,
    run_batches,
    scope,
    task_reassociation_undo,
)
from sessions_app.models import Session
from sessions_app.task_ids import LEGACY_PREFIX, InvalidTaskId, backend_prefix, parse_task_id

# Stored values that count as markdown in `migrate_task_backend --from md`.
LEGACY_NUMBER_REGEX = r"^(#+|task#)?[0-9]+$"


def _backend_sessions(from_prefix: str):
    match = Q(task_id__startswith=f"{from_prefix}#")
    if from_prefix == LEGACY_PREFIX:
        # Plain numbers and their legacy spellings are markdown tasks (§8 #10).
        match |= Q(task_id__iregex=LEGACY_NUMBER_REGEX)
    return Session.objects.filter(match)


def _validated_backends(params: dict) -> tuple[str, str]:
    try:
        source = backend_prefix(params["from_backend"])
        target = backend_prefix(params["to_backend"])
    except InvalidTaskId as exc:
        raise MigrationError(str(exc)) from None
    if source == target:
        raise MigrationError(f"--from and --to name the same backend ({source}).")
    limit = params.get("limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise MigrationError("--limit must be a positive number.")
    return source, target


def task_backend_plan(
    *,
    from_backend: str,
    to_backend: str,
    limit: int | None = None,
    workspace_ids: Iterable | None = None,
    batch_size: int = BATCH_SIZE,
) -> Planned:
    """Every `<from>#<n>` becomes `<to>#<n>`. Backends are given as prefixes (md, mt, gh,
    json) or names (markdown, minsky, github, json-file); `limit` caps how many sessions
    the run looks at."""
    params = {
        "from_backend": from_backend,
        "to_backend": to_backend,
        "limit": limit,
        "workspace_ids": None if workspace_ids is None else [str(w) for w in workspace_ids],
        "batch_size": batch_size,
    }
    source, _ = _validated_backends(params)
    total = in_workspaces(_backend_sessions(source), params["workspace_ids"]).count()
    return Planned(params=params, total=min(total, limit) if limit else total)


def task_backend_execute(run: MigrationRun) -> dict:
    params = run.params
    source, target = _validated_backends(params)

    def rewrite(stored: str) -> tuple[str | None, str]:
        try:
            parsed = parse_task_id(stored)
        except InvalidTaskId:
            return None, f"not a valid task id: {stored!r}"
        if parsed.backend != source:
            return None, f"{stored!r} is not a {source} task"
        return f"{target}#{parsed.local}", ""

    tally = Tally(run.dry_run)
    run_batches(
        run=run,
        sessions=scope(_backend_sessions(source), run=run),
        target=rewrite,
        tally=tally,
        batch_size=params["batch_size"],
        limit=params.get("limit"),
    )
    return tally.counts()


migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.TASK_BACKEND,
        plan=task_backend_plan,
        execute=task_backend_execute,
        undo=task_reassociation_undo,
    )
)
