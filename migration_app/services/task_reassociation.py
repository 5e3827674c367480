"""Re-associating sessions with migrated tasks (docs/reassociate-task.md): two kinds on one
batch machinery.

- `reassociate_task`: every session pointing at OLD points at NEW. A session points at a
  task when its stored value is the qualified id or the plain local id (legacy-formats §8
  #8: real rows hold `mt#123` while the origin matched only `123`); the new value is always
  written qualified.
- `task_backend`: every `<from>#<n>` becomes `<to>#<n>`; plain stored numbers (and the
  other legacy spellings) count as `md`.

Each batch is one compare-and-set UPDATE (a session changed since it was read is skipped),
falling back to one savepoint per session; the journal keeps each previous stored value
verbatim, for undo ("What a run records" in the docs).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import keyset_pages
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    MigrationKind,
    Planned,
    UndoResult,
    migration_items_record,
    migration_kind_register,
    migration_run_progress,
    migration_run_selection,
    migration_selection_count,
)
from projects_app.bulk import rows_compare_and_set
from sessions_app.models import Session
from sessions_app.selectors import find_sessions_by_task_id
from sessions_app.task_ids import (
    LEGACY_PREFIX,
    InvalidTaskId,
    backend_prefix,
    is_qualified,
    normalise_task_id,
    parse_task_id,
)

BATCH_SIZE = 1000
# Parameters per statement: 8 per journal row; SQLite allows 32766.
MAX_BATCH_SIZE = 4000
# Lists kept in run.counts are capped so the run record stays small at any scale;
# the items hold the full story.
LIST_LIMIT = 1000
Outcome = MigrationItem.Outcome
# Up to this many sessions of a task are read in one indexed query (run_batches).
PRELOAD_LIMIT = 100_000
# Stored values that count as markdown in `migrate_task_backend --from md`.
LEGACY_NUMBER_REGEX = r"^(#+|task#)?[0-9]+$"


def _apply(rows: Sequence[tuple[str, str, str]], *, now) -> tuple[set[str], dict[str, str]]:
    """Set task_id = new where the row still holds old, for every (id, old, new) row, in one
    statement, falling back to one savepoint per row if it fails; returns (ids changed,
    {id: error} for rows that failed)."""
    try:
        with transaction.atomic():
            also = {"updated_at": now}
            return rows_compare_and_set(Session, column="task_id", rows=rows, also=also), {}
    except DatabaseError as exc:
        if len(rows) == 1:
            return set(), {rows[0][0]: str(exc).strip() or exc.__class__.__name__}
    changed: set[str] = set()
    failed: dict[str, str] = {}
    for row in rows:
        row_changed, row_failed = _apply([row], now=now)
        changed |= row_changed
        failed |= row_failed
    return changed, failed


class Tally(Counter):
    """Counts of one run (`sessions_<name>`, `stored_<form>`), with capped id and error lists."""

    SESSIONS = ("found", "updated", "would_update", "unchanged", "changed_concurrently",
                "invalid", "failed")  # fmt: skip

    def __init__(self):
        super().__init__()
        self.sessions: list[str] = []
        self.errors: list[str] = []

    def counts(self) -> dict[str, Any]:
        return {
            **{f"sessions_{name}": self[name] for name in self.SESSIONS},
            "stored_plain": self["plain"],
            "stored_qualified": self["qualified"],
            "updated_sessions": self.sessions,
            "errors": self.errors,
        }


def process_batch(
    *, run: MigrationRun, rows: list[tuple[str, str]], target, tally: Tally, now
) -> None:
    """Plan, write and journal one batch in a bounded number of queries. `target(stored)`
    gives (new value, "") or (None, the reason to skip the row)."""
    items: list[ItemRecord] = []

    def record(count: str, session_id: str, outcome: str, reason: str, *before_after) -> None:
        tally[count] += 1
        items.append(ItemRecord("session", session_id, outcome, reason, *before_after))

    changes: list[tuple[str, str, str]] = []
    for session_id, stored in rows:
        tally["found"] += 1
        tally["qualified" if is_qualified(stored) else "plain"] += 1
        new, reason = target(stored)
        if new is None:
            record("invalid", session_id, Outcome.SKIPPED, reason)
        elif new == stored:
            # No-op change: nothing is written (the origin re-wrote it, §8 #12).
            record("unchanged", session_id, Outcome.SKIPPED, f"already {new}")
        else:
            changes.append((session_id, stored, new))

    changed, failed = _apply(changes, now=now)
    for session_id, stored, new in changes:
        if session_id in changed:
            # A dry run reports what it would do apart from what was done (§8 #12).
            count = "would_update" if run.dry_run else "updated"
            before, after = {"task_id": stored}, {"task_id": new}
            record(count, session_id, Outcome.MIGRATED, f"{stored} -> {new}", before, after)
            if len(tally.sessions) < LIST_LIMIT:
                tally.sessions.append(session_id)
        elif session_id in failed:
            message = f"Failed to update session {session_id}: {failed[session_id]}"
            record("failed", session_id, Outcome.FAILED, message)
            if len(tally.errors) < LIST_LIMIT:
                tally.errors.append(message)
        else:
            # Compare-and-set missed: the row changed after we read it; left as it is.
            reason = f"changed concurrently: task id is no longer {stored}"
            record("changed_concurrently", session_id, Outcome.SKIPPED, reason)
    migration_items_record(run=run, items=items, created_at=now)
    migration_run_progress(run=run, advance=len(rows))


def run_batches(
    *, run: MigrationRun, sessions, target, tally: Tally, limit=None, preload=False
) -> None:
    """Process `sessions` (a queryset) in batches of the run's size, in id order, each
    committed on its own.

    Two ways to read, both measured at 1M sessions / 10,000 matches:
    - `preload` (a task with at most PRELOAD_LIMIT sessions): one read of the matches
      through the task_id index, sorted here. Re-reading per batch cost 0.1 s a batch on
      SQLite (every remaining match fetched again to test `id > last`), and PostgreSQL
      answered `... ORDER BY id LIMIT n` by walking the primary key, 99 rows discarded per
      match (108 ms a batch). Memory: the pairs of at most that many sessions.
    - otherwise keyset pages over the primary key (`id > last ORDER BY id LIMIT n`), which
      reads each row once over the whole run: right when most sessions match (a backend move).
    Either way the writes are compare-and-set, so rows read early and changed since are
    left alone.
    """
    batch_size = min(max(1, int(run.params["batch_size"])), MAX_BATCH_SIZE)
    pairs = sessions.order_by().values_list("pk", "task_id")
    if preload:
        rows = sorted(pairs)  # (never with a limit: a task's sessions all move)
        batches = (rows[start : start + batch_size] for start in range(0, len(rows), batch_size))
    else:
        batches = keyset_pages(pairs, size=batch_size, limit=limit)
    now = timezone.now()
    for batch in batches:
        with transaction.atomic():
            process_batch(run=run, rows=batch, target=target, tally=tally, now=now)


def task_reassociation_undo(run: MigrationRun) -> UndoResult:
    """Put back each session's previous stored value, verbatim, where it still holds ours."""
    result = UndoResult()
    now = timezone.now()
    migrated = run.items.filter(outcome=Outcome.MIGRATED)
    for items in keyset_pages(
        migrated.values_list("pk", "subject_id", "before", "after"), size=BATCH_SIZE
    ):
        with transaction.atomic():
            rows = [(sid, after["task_id"], before["task_id"]) for _, sid, before, after in items]
            restored, failed = _apply(rows, now=now)
            done = [pk for pk, sid, _, _ in items if sid in restored]
            MigrationItem.objects.filter(pk__in=done).update(outcome=Outcome.UNDONE)
        result.restored += len(done)
        for _, sid, _before, after in items:
            if sid in restored or len(result.notes) >= LIST_LIMIT:
                continue
            why = failed.get(sid) or f"its task id is no longer {after['task_id']}"
            result.notes.append(f"session {sid} left as it is: {why}")
    return result


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


def reassociate_task_plan(
    *,
    mapping: Iterable[Sequence[str]],
    session_ids: Iterable[str] | None = None,
    workspace_ids: Iterable | None = None,
    batch_size: int = BATCH_SIZE,
) -> Planned:
    """Every session pointing at each old task id (qualified or plain) moves to its new one;
    `session_ids` / `workspace_ids` (None = no limit) restrict which sessions may change."""
    mapping = [list(pair) for pair in mapping]
    pairs = _validated_mapping(mapping)
    workspaces = None if workspace_ids is None else [str(w) for w in workspace_ids]
    params = {"mapping": mapping, "workspace_ids": workspaces, "batch_size": batch_size}
    found = [find_sessions_by_task_id(task_id=old, workspace_ids=workspaces) for old, _ in pairs]
    if session_ids is None:
        return Planned(params=params, total=sum(sessions.count() for sessions in found))
    session_ids = sorted(set(session_ids))
    total = sum(migration_selection_count(queryset=s, subject_ids=session_ids) for s in found)
    return Planned(params=params, total=total, selection=session_ids)


def reassociate_task_execute(run: MigrationRun) -> dict:
    tally = Tally()
    selected, workspace_ids = migration_run_selection(run=run), run.params.get("workspace_ids")
    for old, new in _validated_mapping(run.params["mapping"]):
        sessions = find_sessions_by_task_id(task_id=old, workspace_ids=workspace_ids)
        if selected is not None:
            sessions = sessions.filter(pk__in=selected)
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
    batch_size: int = BATCH_SIZE,
) -> Planned:
    """Every `<from>#<n>` becomes `<to>#<n>`, in every workspace. Backends are given as
    prefixes (md, mt, gh, json) or names (markdown, minsky, github, json-file); `limit`
    caps how many sessions the run looks at."""
    params = {"from_backend": from_backend, "to_backend": to_backend, "limit": limit,
              "workspace_ids": None, "batch_size": batch_size}  # fmt: skip
    source, _ = _validated_backends(params)
    total = _backend_sessions(source).count()
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

    tally = Tally()
    sessions = _backend_sessions(source)
    run_batches(run=run, sessions=sessions, target=rewrite, tally=tally, limit=params.get("limit"))
    return tally.counts()


for kind, plan, execute in [
    (MigrationRun.Kind.REASSOCIATE_TASK, reassociate_task_plan, reassociate_task_execute),
    (MigrationRun.Kind.TASK_BACKEND, task_backend_plan, task_backend_execute),
]:
    migration_kind_register(MigrationKind(kind, plan, execute, undo=task_reassociation_undo))
