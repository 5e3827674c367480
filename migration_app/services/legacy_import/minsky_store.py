"""migrate_legacy --source minsky: minsky's session stores (issue 16).

SOURCE is a `session-db.json`, a `sessions.db` (SQLite) or a postgres:// URL, opened
read-only by the pure reader (migration_app/legacy/minsky.py); each record is mapped by
legacy/minsky_map.py. Every session comes in, finished ones included.

Per batch, one transaction with a fixed number of queries: which ids exist, which
projects exist, the highest number per project, one bulk insert of projects, one of
sessions (if it fails, one savepoint per session so a bad row fails alone), one of journal
items, one progress update. Idempotent by primary keys: a session already imported from
the same source is skipped; projects are keyed by the record's projectId, else by its
repository (a stable id derived from the workspace and `repoUrl`), so a re-run reuses them.
A dry run is this code rolled back (journal.DryRun.ROLLED_BACK).

Undo removes the run's sessions and the projects it created, but is refused while a later
run that changed any of those sessions (a re-association) is not itself undone.

A password in a postgres:// URL is never stored: the run keeps the URL without it, and
the password stays in this process for the run's execute (a run executed elsewhere uses
libpq's PGPASSWORD / ~/.pgpass).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import urlsplit

from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from migration_app.legacy.minsky import (
    JSON,
    POSTGRES,
    MinskySourceError,
    MinskyStore,
    RawRecord,
    duplicate_losers,
    minsky_default_location,
    minsky_source_shape,
    url_without_password,
)
from migration_app.legacy.minsky_map import (
    MappedSession,
    RecordRejected,
    coerce_created_at,
    minsky_session_map,
)
from migration_app.legacy.minsky_sample import minsky_sample_write
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.bulk import rows_insert
from migration_app.services.journal import (
    ItemRecord,
    MigrationConflict,
    MigrationError,
    Planned,
    UndoResult,
    migration_items_record,
    migration_run_progress,
)
from migration_app.services.legacy_import import LegacySource, legacy_source_register
from projects_app.models import Project, Source, Workspace
from sessions_app.models import Session

Outcome = MigrationItem.Outcome
DEFAULT_BATCH_SIZE = 500
_IN_CHUNK = 5_000  # values per IN list, far below SQLite's parameter limit
_PASSWORDS: dict[str, str] = {}  # URL without password -> password, this process only
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


def _in_chunks(values: Iterable, size: int = _IN_CHUNK) -> Iterator[list]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- plan ------------------------------------------------------------------------------


def minsky_store_plan(
    *,
    location: str,
    workspace_slug: str = Workspace.DEFAULT_SLUG,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Planned:
    if batch_size < 1:
        raise MigrationError("--batch-size must be at least 1.")
    if not location.startswith(("postgres://", "postgresql://")):
        location = os.path.abspath(os.path.expanduser(location))
    try:
        shape = minsky_source_shape(location)
        with MinskyStore(location) as store:
            total = store.count()
    except MinskySourceError as exc:
        raise MigrationError(str(exc)) from None
    if not Workspace.objects.filter(slug=workspace_slug).exists():
        raise MigrationError(
            f"Workspace {workspace_slug!r} does not exist; create it in the admin or pass "
            "--workspace with an existing slug."
        )
    kept = location
    if shape == POSTGRES:
        kept = url_without_password(location)
        password = urlsplit(location).password
        if password:
            _PASSWORDS[kept] = password
    params = {"path": kept, "shape": shape, "workspace": workspace_slug,
              "batch_size": batch_size}  # fmt: skip
    return Planned(params=params, total=total)


# --- execute ---------------------------------------------------------------------------


@dataclass
class _State:
    run: MigrationRun
    workspace: Workspace
    location: str
    now: dt.datetime
    losers: dict[int, tuple[str, int]] = field(default_factory=dict)
    seen_projects: set[str] = field(default_factory=set)
    repo_projects: dict[str, str] = field(default_factory=dict)  # repoUrl -> project id
    counts: dict[str, int] = field(default_factory=dict)
    row_format: _RowFormat = field(default_factory=lambda: _RowFormat())

    def __post_init__(self) -> None:
        self.workspace_db_id = self.row_format.workspace.get_db_prep_save(
            self.workspace.pk, connection
        )

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def minsky_store_execute(run: MigrationRun) -> dict:
    params = run.params
    state = _State(
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
        store = MinskyStore(state.location, password=_PASSWORDS.get(state.location))
        with store:
            records: Iterable = store.records(fetch=batch_size)
            if store.shape == JSON:
                records = list(records)
                state.losers = duplicate_losers(
                    [r for r in records if isinstance(r, RawRecord)], _created_key
                )
            for chunk in _in_chunks(records, batch_size):
                with transaction.atomic():
                    _batch(state, chunk)
    except MinskySourceError as exc:
        raise MigrationError(str(exc)) from None
    return state.counts


def _created_key(record: RawRecord) -> dt.datetime:
    return coerce_created_at(record.data.get("createdAt")) or _EPOCH


def _rejected_up_front(state: _State, entry: RawRecord | str, items: list[ItemRecord]) -> bool:
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


def _map(state: _State, entry: RawRecord, items: list[ItemRecord]) -> MappedSession | None:
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


def _project_key(state: _State, mapped: MappedSession) -> str | None:
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


def _batch(state: _State, chunk: list[RawRecord | str]) -> None:
    """One batch: ids already in the hub are decided before any record is decoded (a
    re-run maps nothing), the others mapped and written."""
    items: list[ItemRecord] = []
    records = [e for e in chunk if not _rejected_up_front(state, e, items)]
    ids = [sid for r in records if isinstance(sid := r.session_id, str)]
    existing = {
        pk: (source, path)
        for part in _in_chunks(ids)
        for pk, source, path in Session.objects.filter(pk__in=part).values_list(
            "pk", "source", "source_path"
        )
    }
    new: list[tuple[MappedSession, str | None]] = []
    for record in records:
        held = existing.get(record.session_id) if isinstance(record.session_id, str) else None
        if held is not None:
            sid = record.session_id
            if held == (Source.MINSKY, state.location):
                items.append(ItemRecord("session", sid, Outcome.SKIPPED, "already imported"))
            else:
                reason = (
                    f"a session {sid!r} exists already (source {held[0]}, {held[1] or 'no path'})"
                )
                items.append(ItemRecord("session", sid, Outcome.FAILED, reason))
            continue
        mapped = _map(state, record, items)
        if mapped is not None:
            new.append((mapped, _project_key(state, mapped)))
    items += _projects_write(state, new)
    items += _sessions_write(state, new)
    migration_items_record(run=state.run, items=items, created_at=state.now)
    migration_run_progress(run=state.run, advance=len(chunk))


def _projects_write(state: _State, new: list[tuple[MappedSession, str | None]]) -> list[ItemRecord]:
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
    return items


def _next_numbers(keys: set[str]) -> dict[str, int]:
    rows = (
        Session.objects.filter(project_id__in=list(keys))
        .values("project_id")
        .annotate(top=Max("num"))
        .order_by()
    )
    return {row["project_id"]: row["top"] + 1 for row in rows}


class _RowFormat:
    """The session table's columns, their prepared defaults and the value adapters, looked
    up once per run (the `connection` proxy costs a lookup on every use)."""

    _MAPPED = (
        "id", "num", "workspace_id", "project_id", "status", "legacy_status",
        "activity_state", "is_terminated", "task_id", "branch", "workspace_path",
        "agent_session_id", "issue_url", "created_at", "updated_at", "activity_last_at",
        "source", "source_path", "metadata",
    )  # fmt: skip

    def __init__(self) -> None:
        fields = Session._meta.concrete_fields
        defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
        self.columns = [c for c in defaults if c not in self._MAPPED] + list(self._MAPPED)
        self.fixed = [defaults[c] for c in self.columns if c not in self._MAPPED]
        ops = connection.ops
        self.adapt_datetime = ops.adapt_datetimefield_value
        self.adapt_json = ops.adapt_json_value
        self.json_encoder = Session._meta.get_field("metadata").encoder
        self.workspace = Session._meta.get_field("workspace")


def _session_row(state: _State, m: MappedSession, key: str | None, num: int) -> list:
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


def _tally(state: _State, m: MappedSession) -> None:
    state.bump("secrets_dropped", len(m.secrets_dropped))
    for note, key in (("normalises to no task id", "task_ids_unreadable"),
                      ("branch derived", "branches_derived"),
                      ("createdAt", "created_at_unreadable")):  # fmt: skip
        if any(note in n for n in m.notes):
            state.bump(key)


def _sessions_write(state: _State, new: list[tuple[MappedSession, str | None]]) -> list[ItemRecord]:
    if not new:
        return []
    nums = _next_numbers({key for _, key in new if key})
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


# --- undo ------------------------------------------------------------------------------


def _migrated_ids(run: MigrationRun, subject_type: str) -> Iterator[list[tuple[int, str, dict]]]:
    last = 0
    while chunk := list(
        run.items.filter(subject_type=subject_type, outcome=Outcome.MIGRATED, pk__gt=last)
        .order_by("pk")
        .values_list("pk", "subject_id", "after")[:_IN_CHUNK]
    ):
        last = chunk[-1][0]
        yield chunk


def _later_run_changing(run: MigrationRun) -> MigrationRun | None:
    """A later real run, not undone, that changed one of this run's sessions."""
    for chunk in _migrated_ids(run, "session"):
        item = (
            MigrationItem.objects.filter(
                subject_type="session", outcome=Outcome.MIGRATED,
                subject_id__in=[sid for _, sid, _ in chunk],
                run__dry_run=False, run__started_at__gte=run.started_at,
            )
            .exclude(run=run)
            .exclude(run__status=MigrationRun.Status.UNDONE)
            .select_related("run")
            .order_by("run__started_at")
            .first()
        )  # fmt: skip
        if item is not None:
            return item.run
    return None


def minsky_store_undo(run: MigrationRun) -> UndoResult:
    later = _later_run_changing(run)
    if later is not None:
        raise MigrationConflict(
            f"Run {later.pk} ({later.get_kind_display()}, started "
            f"{later.started_at:%Y-%m-%d %H:%M:%S} UTC) changed sessions of this import "
            "since; undo that run first, then this one."
        )
    result = UndoResult()
    for chunk in _migrated_ids(run, "session"):
        with transaction.atomic():
            ids = [sid for _, sid, _ in chunk]
            ours = Session.objects.filter(pk__in=ids, source=Source.MINSKY,
                                          source_path=run.params["path"])  # fmt: skip
            deleted = ours.count()
            ours.delete()
            if deleted < len(ids):
                result.notes.append(f"{len(ids) - deleted} session(s) were removed since")
            result.restored += deleted
            MigrationItem.objects.filter(pk__in=[pk for pk, _, _ in chunk]).update(
                outcome=Outcome.UNDONE
            )
    for chunk in _migrated_ids(run, "project"):
        with transaction.atomic():
            ids = [pid for _, pid, _ in chunk]
            busy: set[str] = set()
            for relation in ("sessions", "conversations", "artifacts"):
                busy |= set(
                    Project.objects.filter(
                        pk__in=ids, **{f"{relation}__isnull": False}
                    ).values_list("pk", flat=True)
                )
            for pid in sorted(busy):
                result.notes.append(f"project {pid} kept: other rows still use it")
            free = [pid for pid in ids if pid not in busy]
            Project.objects.filter(pk__in=free).delete()
            result.restored += len(free)
            MigrationItem.objects.filter(pk__in=[pk for pk, _, _ in chunk]).update(
                outcome=Outcome.UNDONE
            )
    return result


legacy_source_register(
    LegacySource(
        name="minsky",
        default_location=minsky_default_location,
        plan=minsky_store_plan,
        execute=minsky_store_execute,
        undo=minsky_store_undo,
        options=("workspace_slug", "batch_size"),
        location_help=(
            "a session-db.json, a sessions.db or a postgres:// URL (default "
            "$XDG_STATE_HOME/minsky/session-db.json, else sessions.db beside it)"
        ),
        sample_write=minsky_sample_write,
    )
)
