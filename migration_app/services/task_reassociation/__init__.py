"""Re-associating sessions with migrated tasks (docs/reassociate-task.md): two kinds on the
batch machinery of batches.py.

- `reassociate_task`: every session pointing at OLD points at NEW. A session points at a
  task when its stored value is the qualified id or the plain local id (legacy-formats §8
  #8: real rows hold `mt#123` while the origin matched only `123`); the new value is always
  written qualified.
- `task_backend`: every `<from>#<n>` becomes `<to>#<n>`; plain stored numbers (and the
  other legacy spellings) count as `md`.
"""

from collections.abc import Iterable, Sequence

from django.db.models import Q

from migration_app.models import MigrationRun
from migration_app.services.journal import (
    MigrationError,
    MigrationKind,
    Planned,
    migration_kind_register,
    migration_selection_count,
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
from sessions_app.task_ids import (
    LEGACY_PREFIX,
    InvalidTaskId,
    backend_prefix,
    normalise_task_id,
    parse_task_id,
    stored_forms,
)

# Up to this many sessions of a task are read in one indexed query (batches.run_batches).
PRELOAD_LIMIT = 100_000
# Stored values that count as markdown in `migrate_task_backend --from md`.
LEGACY_NUMBER_REGEX = r"^(#+|task#)?[0-9]+$"


def _params(*, workspace_ids: Iterable | None, batch_size: int, **request) -> dict:
    """The run's params: the request, then the workspaces (None = every one) and batch size."""
    workspaces = None if workspace_ids is None else [str(w) for w in workspace_ids]
    return {**request, "workspace_ids": workspaces, "batch_size": batch_size}


# --- reassociate_task ----------------------------------------------------------------------


def _validated_mapping(mapping: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    """[(old, new)] normalised; raises MigrationError with the origin's message wording."""
    pairs: list[tuple[str, str]] = []
    for old, new in mapping:
        try:
            pairs.append((normalise_task_id(old), normalise_task_id(new)))
        except InvalidTaskId:
            raise MigrationError(f"Invalid task ID format: {old} or {new}") from None
    if not pairs:
        raise MigrationError("No task to re-associate.")
    olds = [old for old, _ in pairs]
    if len(set(olds)) != len(olds):
        raise MigrationError("The same old task id appears twice in the mapping.")
    # A chain (a -> b, b -> c) would depend on the order the pairs run in: refuse it.
    chained = {new for old, new in pairs if old != new} & set(olds)
    if chained:
        raise MigrationError(f"Task ids are both old and new in one mapping: {sorted(chained)}")
    return pairs


def _task_sessions(old: str):
    return Session.objects.filter(task_id__in=stored_forms(old))


def reassociate_task_plan(
    *,
    mapping: Iterable[Sequence[str]],
    session_ids: Iterable[str] | None = None,
    workspace_ids: Iterable | None = None,
    batch_size: int = BATCH_SIZE,
) -> Planned:
    """Every session pointing at each old task id (qualified or plain) moves to its new one.

    `session_ids` / `workspace_ids` (None = no limit) restrict which sessions may change.
    An invalid id refuses the whole request before anything is recorded.
    """
    mapping = [list(pair) for pair in mapping]
    pairs = _validated_mapping(mapping)
    params = _params(mapping=mapping, workspace_ids=workspace_ids, batch_size=batch_size)
    found = [in_workspaces(_task_sessions(old), params["workspace_ids"]) for old, _ in pairs]
    if session_ids is None:
        return Planned(params=params, total=sum(sessions.count() for sessions in found))
    session_ids = sorted(set(session_ids))
    total = sum(migration_selection_count(queryset=s, subject_ids=session_ids) for s in found)
    return Planned(params=params, total=total, selection=session_ids)


def reassociate_task_execute(run: MigrationRun) -> dict:
    tally = Tally(run.dry_run)
    for old, new in _validated_mapping(run.params["mapping"]):
        sessions = scope(_task_sessions(old), run=run)
        run_batches(
            run=run,
            sessions=sessions,
            target=lambda stored, new=new: (new, ""),
            tally=tally,
            preload=sessions.count() <= PRELOAD_LIMIT,
        )
    return tally.counts()


# --- task_backend --------------------------------------------------------------------------


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
    params = _params(
        from_backend=from_backend,
        to_backend=to_backend,
        limit=limit,
        workspace_ids=workspace_ids,
        batch_size=batch_size,
    )
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
    sessions = scope(_backend_sessions(source), run=run)
    run_batches(run=run, sessions=sessions, target=rewrite, tally=tally, limit=params.get("limit"))
    return tally.counts()


for kind, plan, execute in [
    (MigrationRun.Kind.REASSOCIATE_TASK, reassociate_task_plan, reassociate_task_execute),
    (MigrationRun.Kind.TASK_BACKEND, task_backend_plan, task_backend_execute),
]:
    migration_kind_register(MigrationKind(kind, plan, execute, undo=task_reassociation_undo))
