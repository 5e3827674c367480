"""`reassociate_task`: every session pointing at OLD points at NEW (minsky's session-task
association, done right).

A session points at a task when its stored value is the qualified id or the plain local id
(legacy-formats §8 #8: real rows hold `mt#123` while the origin matched only `123`). The
new value is always written in the qualified form.
"""

from collections.abc import Iterable, Sequence

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
from sessions_app.task_ids import InvalidTaskId, normalise_task_id, stored_forms

# Up to this many sessions of a task are read in one indexed query (batches.batches).
PRELOAD_LIMIT = 100_000


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
    params = {
        "mapping": mapping,
        "workspace_ids": None if workspace_ids is None else [str(w) for w in workspace_ids],
        "batch_size": batch_size,
    }
    found = [in_workspaces(_task_sessions(old), params["workspace_ids"]) for old, _ in pairs]
    if session_ids is None:
        return Planned(params=params, total=sum(sessions.count() for sessions in found))
    session_ids = sorted(set(session_ids))
    total = sum(migration_selection_count(queryset=s, subject_ids=session_ids) for s in found)
    return Planned(params=params, total=total, selection=session_ids)


def reassociate_task_execute(run: MigrationRun) -> dict:
    params = run.params
    tally = Tally(run.dry_run)
    for old, new in _validated_mapping(params["mapping"]):
        sessions = scope(_task_sessions(old), run=run)
        run_batches(
            preload=sessions.count() <= PRELOAD_LIMIT,
            run=run,
            sessions=sessions,
            target=lambda stored, new=new: (new, ""),
            tally=tally,
            batch_size=params["batch_size"],
            limit=None,
        )
    return tally.counts()


migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.REASSOCIATE_TASK,
        plan=reassociate_task_plan,
        execute=reassociate_task_execute,
        undo=task_reassociation_undo,
    )
)
