"""Re-associate sessions with migrated tasks (minsky's session-task association, done right).

Two migrations, both journaled and undoable:

- `reassociate_task` (kind `reassociate_task`): every session pointing at OLD points at NEW.
  A session points at a task when its stored value is the qualified id or the plain local
  id (legacy-formats §8 #8: real rows hold `mt#123` while the origin matched only `123`).
  The new value is always written in the qualified form.
- `migrate_task_backend` (kind `task_backend`): every `<from>#<n>` becomes `<to>#<n>`; plain
  stored numbers (and the other legacy spellings) count as `md`.

How the writes are made safe:
- Sessions are found through the indexed task_id column and handled in batches (id order).
- Each batch is a compare-and-set: the rows are read locked (SELECT … FOR UPDATE on
  PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock), and only those still
  holding the value the batch was planned from are updated (one bulk_update). A row
  somebody else changed since is not touched, and is reported as skipped. A re-run after
  a crash converges.
- If that UPDATE fails, the batch falls back to one savepoint per session, so one bad row
  is recorded as failed and the rest proceed.
- The journal keeps each session's previous stored value verbatim (`123` stays `123`, not
  `md#123`), so undo restores exactly what was there.
- A dry run is the same code, rolled back by the journal: the same items, its counts say
  "would update" where a real run says "updated".
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    MigrationKind,
    Planned,
    UndoResult,
    migration_items_record,
    migration_kind_register,
    migration_run_progress,
)
from sessions_app.models import Session
from sessions_app.task_ids import (
    LEGACY_PREFIX,
    InvalidTaskId,
    backend_prefix,
    is_qualified,
    normalise_task_id,
    parse_task_id,
    stored_forms,
)

BATCH_SIZE = 1000
# Parameters per statement: 8 per journal row; SQLite allows 32766.
MAX_BATCH_SIZE = 4000
# Up to this many sessions of a task are read in one indexed query (see _batches).
PRELOAD_LIMIT = 100_000
# Lists kept in run.counts are capped so the run record stays small at any scale;
# the items hold the full story.
LIST_LIMIT = 1000
SUBJECT = "session"
Outcome = MigrationItem.Outcome
# Stored values that count as markdown in `migrate_task_backend --from md`.
LEGACY_NUMBER_REGEX = r"^(#+|task#)?[0-9]+$"


# --- the one UPDATE per batch ------------------------------------------------------------


def _cas_update(rows: Sequence[tuple[str, str, str]], *, now) -> set[str]:
    """Set task_id = new where the row still holds old, for every (id, old, new) row;
    returns the ids changed. The caller's transaction keeps the rows locked between the
    read and the write."""
    ids = [session_id for session_id, _, _ in rows]
    current = dict(
        Session.objects.select_for_update().filter(pk__in=ids).values_list("pk", "task_id")
    )
    winners = [
        Session(pk=session_id, task_id=new, updated_at=now)
        for session_id, old, new in rows
        if current.get(session_id) == old
    ]
    Session.objects.bulk_update(winners, ["task_id", "updated_at"])
    return {session.pk for session in winners}


def _apply(rows: Sequence[tuple[str, str, str]], *, now) -> tuple[set[str], dict[str, str]]:
    """The batch UPDATE, falling back to one savepoint per row if it fails.

    Returns (ids changed, {id: error} for rows that failed).
    """
    try:
        with transaction.atomic():
            return _cas_update(rows, now=now), {}
    except DatabaseError:
        pass
    changed: set[str] = set()
    failed: dict[str, str] = {}
    for row in rows:
        try:
            with transaction.atomic():
                changed |= _cas_update([row], now=now)
        except DatabaseError as exc:
            failed[row[0]] = str(exc).strip() or exc.__class__.__name__
    return changed, failed


# --- shared batch loop -------------------------------------------------------------------


class _Tally:
    """Counts of one run, with capped id and error lists."""

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run
        self.found = self.updated = self.would_update = self.unchanged = 0
        self.concurrent = self.failed = self.invalid = 0
        self.plain = self.qualified = 0
        self.sessions: list[str] = []
        self.errors: list[str] = []

    def migrated(self, session_id: str) -> None:
        # A dry run reports what it would do apart from what was done (§8 #12).
        if self.dry_run:
            self.would_update += 1
        else:
            self.updated += 1
        if len(self.sessions) < LIST_LIMIT:
            self.sessions.append(session_id)

    def add_error(self, message: str) -> None:
        if len(self.errors) < LIST_LIMIT:
            self.errors.append(message)

    def counts(self) -> dict[str, Any]:
        return {
            "sessions_found": self.found,
            "sessions_updated": self.updated,
            "sessions_would_update": self.would_update,
            "sessions_unchanged": self.unchanged,
            "sessions_changed_concurrently": self.concurrent,
            "sessions_invalid": self.invalid,
            "sessions_failed": self.failed,
            "stored_plain": self.plain,
            "stored_qualified": self.qualified,
            "updated_sessions": self.sessions,
            "errors": self.errors,
        }


def _process_batch(
    *, run: MigrationRun, rows: list[tuple[str, str]], target, tally: _Tally, now
) -> None:
    """Plan, write and journal one batch; a bounded number of queries.

    `target(stored) -> (new value | None, reason)`: None skips the row with the reason.
    """
    items: list[ItemRecord] = []
    changes: list[tuple[str, str, str]] = []
    for session_id, stored in rows:
        tally.found += 1
        if is_qualified(stored):
            tally.qualified += 1
        else:
            tally.plain += 1
        new, reason = target(stored)
        if new is None:
            tally.invalid += 1
            items.append(ItemRecord(SUBJECT, session_id, Outcome.SKIPPED, reason))
        elif new == stored:
            # No-op change: nothing is written (the origin re-wrote it, §8 #12).
            tally.unchanged += 1
            items.append(ItemRecord(SUBJECT, session_id, Outcome.SKIPPED, f"already {new}"))
        else:
            changes.append((session_id, stored, new))

    changed, failed = _apply(changes, now=now)
    for session_id, stored, new in changes:
        if session_id in changed:
            tally.migrated(session_id)
            items.append(
                ItemRecord(
                    SUBJECT, session_id, Outcome.MIGRATED, f"{stored} -> {new}",
                    before={"task_id": stored}, after={"task_id": new},
                )
            )  # fmt: skip
        elif session_id in failed:
            tally.failed += 1
            message = f"Failed to update session {session_id}: {failed[session_id]}"
            tally.add_error(message)
            items.append(ItemRecord(SUBJECT, session_id, Outcome.FAILED, message))
        else:
            # Compare-and-set missed: the row changed after we read it; left as it is.
            tally.concurrent += 1
            items.append(
                ItemRecord(
                    SUBJECT, session_id, Outcome.SKIPPED,
                    f"changed concurrently: task id is no longer {stored}",
                )
            )  # fmt: skip
    migration_items_record(run=run, items=items, created_at=now)
    migration_run_progress(run=run, advance=len(rows))


def _batches(sessions, *, batch_size: int, limit: int | None, preload: bool):
    """(id, task_id) rows of a queryset in id order, `batch_size` at a time.

    Two ways to read, both measured at 1M sessions / 10,000 matches:
    - `preload` (a task with at most PRELOAD_LIMIT sessions): one read of the matches
      through the task_id index, sorted here. Re-reading per batch cost 0.1 s a batch on
      SQLite (every remaining match fetched again to test `id > last`), and PostgreSQL
      answered `... ORDER BY id LIMIT n` by walking the primary key, 99 rows discarded per
      match (108 ms a batch). Memory: the pairs of at most PRELOAD_LIMIT sessions.
    - otherwise keyset pages over the primary key (`id > last ORDER BY id LIMIT n`), which
      reads each row once over the whole run: right when most sessions match (a backend move).
    Either way the writes are compare-and-set, so rows read early and changed since are
    left alone.
    """
    pairs = sessions.order_by().values_list("pk", "task_id")
    if preload:
        rows = sorted(pairs)
        if limit is not None:
            rows = rows[:limit]
        for start in range(0, len(rows), batch_size):
            yield rows[start : start + batch_size]
        return
    last_id = None
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch_size if remaining is None else min(batch_size, remaining)
        page = pairs if last_id is None else pairs.filter(pk__gt=last_id)
        rows = list(page.order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)


def _run_batches(
    *,
    run: MigrationRun,
    sessions,
    target,
    tally: _Tally,
    batch_size: int,
    limit: int | None,
    preload: bool = False,
) -> None:
    """Process `sessions` (a queryset) in batches, each committed on its own."""
    batch_size = min(max(1, int(batch_size)), MAX_BATCH_SIZE)
    now = timezone.now()
    for rows in _batches(sessions, batch_size=batch_size, limit=limit, preload=preload):
        with transaction.atomic():
            _process_batch(run=run, rows=rows, target=target, tally=tally, now=now)


def _scope(sessions, *, params: dict):
    if params.get("workspace_ids") is not None:
        sessions = sessions.filter(workspace_id__in=params["workspace_ids"])
    if params.get("session_ids") is not None:
        sessions = sessions.filter(pk__in=params["session_ids"])
    return sessions


# --- reassociate_task --------------------------------------------------------------------


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


def _task_sessions(old: str, params: dict):
    return _scope(Session.objects.filter(task_id__in=stored_forms(old)), params=params)


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
        "session_ids": None if session_ids is None else list(session_ids),
        "workspace_ids": None if workspace_ids is None else [str(w) for w in workspace_ids],
        "batch_size": batch_size,
    }
    total = sum(_task_sessions(old, params).count() for old, _ in pairs)
    return Planned(params=params, total=total)


def reassociate_task_execute(run: MigrationRun) -> dict:
    params = run.params
    tally = _Tally(run.dry_run)
    for old, new in _validated_mapping(params["mapping"]):
        sessions = _task_sessions(old, params)
        _run_batches(
            preload=sessions.count() <= PRELOAD_LIMIT,
            run=run,
            sessions=sessions,
            target=lambda stored, new=new: (new, ""),
            tally=tally,
            batch_size=params["batch_size"],
            limit=None,
        )
    return tally.counts()


# --- migrate_task_backend ----------------------------------------------------------------


def _backend_sessions(from_prefix: str, params: dict):
    match = Q(task_id__startswith=f"{from_prefix}#")
    if from_prefix == LEGACY_PREFIX:
        # Plain numbers and their legacy spellings are markdown tasks (§8 #10).
        match |= Q(task_id__iregex=LEGACY_NUMBER_REGEX)
    return _scope(Session.objects.filter(match), params=params)


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
    total = _backend_sessions(source, params).count()
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

    tally = _Tally(run.dry_run)
    _run_batches(
        run=run,
        sessions=_backend_sessions(source, params),
        target=rewrite,
        tally=tally,
        batch_size=params["batch_size"],
        limit=params.get("limit"),
    )
    return tally.counts()


# --- undo, shared by both kinds --------------------------------------------------------------


def task_reassociation_undo(run: MigrationRun) -> UndoResult:
    """Put back each session's previous stored value, verbatim, where it still holds ours."""
    result = UndoResult()
    now = timezone.now()
    last_id = 0
    while True:
        items = list(
            run.items.filter(outcome=Outcome.MIGRATED, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "subject_id", "before", "after")[:BATCH_SIZE]
        )
        if not items:
            break
        last_id = items[-1][0]
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


migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.REASSOCIATE_TASK,
        plan=reassociate_task_plan,
        execute=reassociate_task_execute,
        undo=task_reassociation_undo,
    )
)
migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.TASK_BACKEND,
        plan=task_backend_plan,
        execute=task_backend_execute,
        undo=task_reassociation_undo,
    )
)
