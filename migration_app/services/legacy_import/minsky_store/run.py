"""The minsky import's execute: batches of records into projects, sessions and items."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone

from migration_app.legacy.minsky import (
    JSON,
    MinskySourceError,
    MinskyStore,
    RawRecord,
    duplicate_losers,
)
from migration_app.legacy.minsky_map import (
    MappedSession,
    RecordRejected,
    coerce_created_at,
    minsky_session_map,
)
from migration_app.models import MigrationRun
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    migration_items_record_matching,
    migration_run_progress,
)
from migration_app.services.legacy_import.minsky_store.state import EPOCH, PASSWORDS, MinskyState
from migration_app.services.legacy_import.shared import IN_CHUNK, Outcome, batched
from projects_app.bulk import rows_insert, rows_select_in
from projects_app.list_cache import project_list_version_renew
from projects_app.models import Project, Source, Workspace
from sessions_app.models import Session

_New = tuple[MappedSession, str | None]  # a record to write, with its project id


def minsky_store_execute(run: MigrationRun) -> dict:
    params = run.params
    state = MinskyState(
        run=run,
        workspace=Workspace.objects.get(slug=params["workspace"]),
        location=params["path"],
        now=timezone.now(),
    )
    for key in ("duplicates_rejected", "secrets_dropped", "task_ids_unreadable",
                "branches_derived", "created_at_unreadable"):  # fmt: skip
        state.counts[key] = 0
    batch_size = params["batch_size"]
    try:
        store = MinskyStore(state.location, password=PASSWORDS.get(state.location))
        with store:
            records: Iterable = store.records(fetch=batch_size, ids_only=True)
            if store.shape == JSON:
                records = list(records)
                state.losers = duplicate_losers(
                    [r for r in records if isinstance(r, RawRecord)], _created_key
                )
            for chunk in batched(records, batch_size):
                with transaction.atomic():
                    _batch(state, store, chunk)
    except MinskySourceError as exc:
        raise MigrationError(str(exc)) from None
    finally:
        run.counts = state.counts  # a run that stops keeps what it counted
    return state.counts


def _created_key(record: RawRecord) -> dt.datetime:
    return coerce_created_at(record.data.get("createdAt")) or EPOCH


def _rejected_up_front(state: MinskyState, entry: RawRecord | str, items: list) -> bool:
    """Entries that are not records, and the losers of a duplicate id."""
    if isinstance(entry, str):
        items.append(ItemRecord("record", state.location, Outcome.FAILED, entry))
        return True
    if entry.position in state.losers:
        sid, winner = state.losers[entry.position]
        state.bump("duplicates_rejected")
        reason = (f"duplicate session id {sid!r}: record {entry.position} is left out, record "
                  f"{winner} with the later createdAt is imported")  # fmt: skip
        items.append(ItemRecord("session", sid, Outcome.FAILED, reason))
        return True
    return False


def _map(state: MinskyState, entry: RawRecord, items: list) -> MappedSession | None:
    """The mapped record, or None with its rejection appended to `items`."""
    try:
        mapped = minsky_session_map(entry, source=state.location)
    except RecordRejected as exc:
        sid = entry.session_id
        subject = ("session", sid) if isinstance(sid, str) else ("record", state.location)
        items.append(ItemRecord(*subject, Outcome.FAILED, str(exc)))
        return None
    if mapped.project_id and len(mapped.project_id) > 128:
        items.append(ItemRecord("session", mapped.id, Outcome.FAILED, "projectId is too long"))
        return None
    return mapped


def _project_key(state: MinskyState, mapped: MappedSession) -> str | None:
    """The record's projectId, else one project per repository (stable across runs)."""
    if mapped.project_id:
        return mapped.project_id
    if not mapped.repo_url:
        return None
    key = state.repo_projects.get(mapped.repo_url)
    if key is None:
        name = f"minsky:{state.workspace.pk}:{mapped.repo_url}"
        key = state.repo_projects[mapped.repo_url] = (
            f"minsky-{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
        )
    return key


def _batch(state: MinskyState, store: MinskyStore, chunk: list[RawRecord | str]) -> None:
    """One batch. The ids already imported from this source are journaled "already
    imported" by the database in one statement and go no further: a re-run reads only the
    ids, and maps and writes nothing per record. The others are read in full, mapped and
    written."""
    items: list[ItemRecord] = []
    records = [e for e in chunk if not _rejected_up_front(state, e, items)]
    ids = [sid for r in records if isinstance(sid := r.session_id, str)]
    skip = ItemRecord("session", "", Outcome.SKIPPED, "already imported")
    mine = {"source": Source.MINSKY.value, "source_path": state.location}
    skipped = sum(
        migration_items_record_matching(
            run=state.run, item=skip, model=Session, keys=part, equal=mine, created_at=state.now
        )
        for part in batched(ids, IN_CHUNK)
    )
    existing = {}
    if skipped < len(ids):  # the first import, or new records among imported ones
        existing = {
            pk: (source, path)
            for pk, source, path in rows_select_in(Session, ("id", "source", "source_path"), id=ids)
        }
    unread = []
    for record in records:
        sid = record.session_id
        held = existing.get(sid) if isinstance(sid, str) else None
        if (skipped == len(ids) and isinstance(sid, str)) or held == tuple(mine.values()):
            continue  # journaled above
        if held is not None:
            reason = f"a session {sid!r} exists already (source {held[0]}, {held[1] or 'no path'})"
            items.append(ItemRecord("session", sid, Outcome.FAILED, reason))
            continue
        unread.append(record)
    for part in batched(unread, IN_CHUNK):
        store.load(part)
    new: list[_New] = []
    for record in unread:
        mapped = _map(state, record, items)
        if mapped is not None:
            new.append((mapped, _project_key(state, mapped)))
    items += _projects_write(state, new)
    items += _sessions_write(state, new)
    state.record(items)
    migration_run_progress(run=state.run, advance=len(chunk))


def _projects_write(state: MinskyState, new: list[_New]) -> list[ItemRecord]:
    first: dict[str, MappedSession] = {}
    for m, key in new:
        if key and key not in state.seen_projects and key not in first:
            first[key] = m
    if not first:
        return []
    state.seen_projects |= set(first)
    existing = set(Project.objects.filter(pk__in=list(first)).values_list("pk", flat=True))
    items, rows = [], []
    for key, m in first.items():
        if key in existing:
            items.append(ItemRecord("project", key, Outcome.SKIPPED, "already exists; reused"))
            continue
        how = "the records' projectId" if m.project_id else f"one per repository {m.repo_url}"
        items.append(ItemRecord("project", key, Outcome.MIGRATED, how, None,
                                {"repo_url": m.repo_url}))  # fmt: skip
        rows.append(Project(
            id=key, workspace=state.workspace, title=m.repo_name[:500], path="",
            repo_origin_url=m.repo_url[:1024], kind=Project.Kind.SINGLE_REPO,
            source=Source.MINSKY, registered_at=state.now,
        ))  # fmt: skip
    Project.objects.bulk_create(rows, ignore_conflicts=True)
    project_list_version_renew()  # bulk_create sends no signal
    return items


def _next_numbers(state: MinskyState, keys: set[str]) -> dict[str, int]:
    """The next free number of each project: read once per project and run, then counted
    here (the run holds the import lock; a number another writer takes meanwhile fails
    that one row): one query per project and run instead of one per batch."""
    unseen = [key for key in keys if key not in state.next_num]
    if unseen:
        rows = (
            Session.objects.filter(project_id__in=unseen)
            .values("project_id")
            .annotate(top=Max("num"))
            .order_by()
        )
        top = {row["project_id"]: row["top"] for row in rows}
        for key in unseen:
            state.next_num[key] = top.get(key, 0) + 1
    return state.next_num


def _session_row(state: MinskyState, m: MappedSession, key: str | None, num: int) -> list:
    """One prepared row for services/bulk.rows_insert (values as the driver takes them),
    in the order of _RowFormat.columns."""
    fmt = state.row_format
    created = fmt.adapt_datetime(m.created_at or state.now)
    activity = fmt.adapt_datetime(m.activity_last_at) if m.activity_last_at else created
    return [
        *fmt.fixed, m.id, num, state.workspace_db_id, key, m.status, m.legacy_status,
        m.activity_state, m.is_terminated, m.task_id, m.branch[:500], m.workspace_path[:1024],
        m.agent_session_id[:255], m.issue_url[:1024], created, activity, activity,
        Source.MINSKY.value, state.location, fmt.adapt_json(m.metadata, fmt.json_encoder),
    ]  # fmt: skip


def _tally(state: MinskyState, m: MappedSession) -> None:
    state.bump("secrets_dropped", len(m.secrets_dropped))
    for note, key in (("normalises to no task id", "task_ids_unreadable"),
                      ("branch derived", "branches_derived"),
                      ("createdAt", "created_at_unreadable")):  # fmt: skip
        if any(note in n for n in m.notes):
            state.bump(key)


def _sessions_write(state: MinskyState, new: list[_New]) -> list[ItemRecord]:
    if not new:
        return []
    nums = _next_numbers(state, {key for _, key in new if key})
    rows = []
    for m, key in new:
        num = 0
        if key:
            num = nums.get(key, 1)
            nums[key] = num + 1
        rows.append(_session_row(state, m, key, num))
    failed: dict[str, str] = {}
    columns = state.row_format.columns
    try:
        # services/bulk.rows_insert, not Session.objects.bulk_create: the first import of
        # 10,000 records from a sessions.db took 2.02 / 2.43 s against 4.23 / 4.95 s with
        # bulk_create (two alternating rounds in one process, SQLite, load 5.2, 2026-12-04).
        with transaction.atomic():
            rows_insert(Session, columns, rows)
    except DatabaseError:
        for (m, _), row in zip(new, rows, strict=True):  # one savepoint each: fails alone
            try:
                with transaction.atomic():
                    rows_insert(Session, columns, [row])
            except DatabaseError as exc:
                failed[m.id] = str(exc).strip().splitlines()[0] or type(exc).__name__
    items = []
    for m, key in new:
        if m.id in failed:
            items.append(ItemRecord("session", m.id, Outcome.FAILED, failed[m.id]))
            continue
        _tally(state, m)
        after = {"source_path": state.location, "project_id": key}
        items.append(ItemRecord("session", m.id, Outcome.MIGRATED, "; ".join(m.notes), None, after))
    return items
