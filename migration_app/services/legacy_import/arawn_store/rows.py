"""arawn's workstreams and sessions (workstreams.db) → Workstream and Session rows.

Each batch is one transaction: the rows that pass the checks are written together, and
when the database still refuses one, the batch is written again row by row, each in its
own savepoint, so one bad row is a failed item and the others land (per-row isolation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.db import DatabaseError, transaction

from migration_app.legacy.arawn import parse_timestamp, secrets_dropped
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.arawn_store.state import (
    ArawnState,
    session_conversation_id,
)
from migration_app.services.legacy_import.shared import Outcome, batched, pks_present
from projects_app.models import Conversation, Source
from sessions_app.files import workstream_dirs_create
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.names import is_valid_name

STATES = set(Workstream.State.values)
_STATE_LENGTH = Workstream._meta.get_field("state").max_length


def _write_isolated(objects: list, write: Callable[[list], None]) -> list[tuple[Any, str]]:
    """Write all objects at once; if the database refuses, one at a time in savepoints.
    Returns (object, error) for those refused."""
    try:
        with transaction.atomic():
            write(objects)
        return []
    except DatabaseError:
        pass
    refused = []
    for obj in objects:
        try:
            with transaction.atomic():
                write([obj])
        except DatabaseError as exc:
            refused.append((obj, f"the database refused the row: {exc}"))
    return refused


# --- workstreams -------------------------------------------------------------------------


def _workstream(state: ArawnState, row: dict[str, Any]) -> tuple[Workstream | None, str]:
    """The hub row for one arawn row, or None and why not; the second value is a note."""
    ws_id = row.get("id")
    if not is_valid_name(ws_id) or len(ws_id) > 100:
        return None, f"workstream id {ws_id!r} breaks the name rule (letters, digits, '-', '_')"
    try:
        created = parse_timestamp(row.get("created_at"))
        updated = parse_timestamp(row.get("updated_at") or row.get("created_at"))
    except ValueError as exc:
        return None, f"bad timestamp: {exc}"
    arawn_state = row.get("state") or Workstream.State.ACTIVE
    note = ""
    if arawn_state not in STATES:
        if not isinstance(arawn_state, str) or len(arawn_state) > _STATE_LENGTH:
            return None, f"state {arawn_state!r} cannot be stored (over {_STATE_LENGTH} chars)"
        note = f"state {arawn_state!r} kept verbatim (not one of active, archived)"
    metadata = {
        "source": "arawn",
        "default_model": row.get("default_model"),
        "tags": row.get("tags", []),
        "arawn_updated_at": row.get("updated_at"),  # a re-run refreshes when this moved
    }
    extra = secrets_dropped({k: v for k, v in row.items() if k not in _WORKSTREAM_MAPPED})
    if extra:
        metadata["arawn"] = extra
    return Workstream(
        id=ws_id,
        workspace=state.workspace,
        title=str(row.get("title") or ws_id)[:300],
        summary=row.get("summary") or "",
        is_scratch=bool(row.get("is_scratch")),
        state=arawn_state,
        metadata=metadata,
        created_at=created,
        updated_at=updated,
    ), note


_WORKSTREAM_MAPPED = {
    "id", "title", "summary", "is_scratch", "state", "default_model", "created_at",
    "updated_at", "tags",
}  # fmt: skip


def workstreams_import(state: ArawnState, rows: list[dict[str, Any]]) -> None:
    for chunk in batched(rows, state.batch_size):
        with transaction.atomic():
            _workstream_batch(state, chunk)
            migration_run_progress(run=state.run, advance=len(chunk))


def _workstream_batch(state: ArawnState, chunk: list[dict[str, Any]]) -> None:
    items: list[ItemRecord] = []
    new: list[Workstream] = []
    notes: dict[str, str] = {}
    ids = [row.get("id") for row in chunk if is_valid_name(row.get("id"))]
    existing = {
        row["id"]: row for row in Workstream.objects.filter(pk__in=ids).values("id", *REFRESHED)
    }
    changed: list[Workstream] = []
    for row in chunk:
        ws_id = row.get("id")
        if ws_id == SCRATCH_WORKSTREAM_ID:
            state.workstreams.add(ws_id)
            items.append(
                ItemRecord("workstream", ws_id, Outcome.SKIPPED, "arawn's scratch is the hub's")
            )
            continue
        workstream, note = _workstream(state, row)
        if workstream is None:
            items.append(ItemRecord("workstream", str(ws_id), Outcome.FAILED, note))
            continue
        if ws_id in existing:
            state.workstreams.add(ws_id)
            items.append(_workstream_known(existing[ws_id], workstream, changed))
            continue
        new.append(workstream)
        notes[ws_id] = note
    if changed:
        Workstream.objects.bulk_update(changed, list(REFRESHED))
    refused = _write_isolated(new, Workstream.objects.bulk_create)
    refused_ids = {obj.pk for obj, _ in refused}
    items += [ItemRecord("workstream", obj.pk, Outcome.FAILED, why) for obj, why in refused]
    created = [w.pk for w in new if w.pk not in refused_ids]
    state.workstreams.update(created)
    items += [
        ItemRecord("workstream", pk, Outcome.MIGRATED, notes[pk], None, {"created": True})
        for pk in created
    ]
    if created:
        transaction.on_commit(partial(_dirs_create, created))
    state.record(items)


# What a re-run refreshes on a workstream arawn changed since (its updated_at moved).
REFRESHED = ("title", "summary", "is_scratch", "state", "metadata", "updated_at")


def _workstream_known(row: dict, workstream: Workstream, changed: list) -> ItemRecord:
    metadata = row["metadata"] or {}
    if metadata.get("source") != "arawn":
        return ItemRecord(
            "workstream", row["id"], Outcome.SKIPPED, "exists in the hub already; sessions join it"
        )
    if metadata.get("arawn_updated_at") == workstream.metadata["arawn_updated_at"]:
        return ItemRecord("workstream", row["id"], Outcome.SKIPPED, "already imported")
    changed.append(workstream)
    before = {f: _jsonable(row[f]) for f in REFRESHED}
    reason = "updated: changed in arawn since"
    return ItemRecord("workstream", row["id"], Outcome.MIGRATED, reason, before, {"updated": True})


def _dirs_create(workstream_ids: list[str]) -> None:
    for ws_id in workstream_ids:
        workstream_dirs_create(ws_id)


# --- sessions ----------------------------------------------------------------------------


def _session(state: ArawnState, row: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    sid, ws = row.get("id"), row.get("workstream_id")
    if not is_valid_name(sid) or len(sid) > 255:
        return None, f"session id {sid!r} breaks the name rule (letters, digits, '-', '_')"
    if ws not in state.workstreams:
        return None, f"its workstream {ws!r} was not imported (see its item)"
    try:
        started = parse_timestamp(row.get("started_at"))
        ended = parse_timestamp(row["ended_at"]) if row.get("ended_at") else None
    except ValueError as exc:
        return None, f"bad timestamp: {exc}"
    metadata = {
        "turn_count": row.get("turn_count"),
        "summary": row.get("summary"),
        "compressed": bool(row.get("compressed")),
    }
    extra = secrets_dropped({k: v for k, v in row.items() if k not in _SESSION_MAPPED})
    if extra:
        metadata["arawn"] = extra
    return {
        "id": sid,
        "workstream_id": ws,
        "created_at": started,
        "updated_at": ended or started,
        "completed_at": ended,
        "terminated_at": ended,
        "is_terminated": ended is not None,
        "status": Session.Status.COMPLETED if ended else Session.Status.RUNNING,
        "activity_state": Session.ActivityState.EXITED if ended else Session.ActivityState.IDLE,
        "metadata": metadata,
    }, ""


_SESSION_MAPPED = {
    "id", "workstream_id", "started_at", "ended_at", "turn_count", "summary", "compressed",
}  # fmt: skip
# What a re-run refreshes when arawn changed it since (a session that ended meanwhile).
CHANGING = (
    "completed_at", "terminated_at", "is_terminated", "status", "activity_state", "metadata",
    "updated_at",
)  # fmt: skip


def sessions_import(state: ArawnState, rows: Iterable[dict[str, Any]]) -> None:
    for chunk in batched(rows, state.batch_size):
        with transaction.atomic():
            _session_batch(state, chunk)
            migration_run_progress(run=state.run, advance=len(chunk))


def _session_batch(state: ArawnState, chunk: list[dict[str, Any]]) -> None:
    items: list[ItemRecord] = []
    fields = {}
    for row in chunk:
        values, why = _session(state, row)
        if values is None:
            items.append(ItemRecord("session", str(row.get("id")), Outcome.FAILED, why))
        else:
            fields[values["id"]] = values
    existing = {
        row["id"]: row
        for row in Session.objects.filter(pk__in=list(fields)).values(
            "id", "source", "workstream_id", *CHANGING
        )
    }
    new, changed = [], []
    for sid, values in fields.items():
        row = existing.get(sid)
        if row is None:
            new.append(values)
            continue
        if row["source"] != Source.ARAWN:
            why = f"id taken by a {row['source']} session"
            items.append(ItemRecord("session", sid, Outcome.FAILED, why))
            continue
        state.session_ws[sid] = row["workstream_id"]  # where the hub has it now
        # Judged on what arawn records (a status the hub gave it since is not undone).
        if all(row[f] == values[f] for f in ("completed_at", "metadata")):
            items.append(ItemRecord("session", sid, Outcome.SKIPPED, "already imported"))
            continue
        before = {f: _jsonable(row[f]) for f in CHANGING}
        why = "updated: changed in arawn since"
        items.append(ItemRecord("session", sid, Outcome.MIGRATED, why, before, {"updated": True}))
        changed.append(Session(pk=sid, **{f: values[f] for f in CHANGING}))
    if changed:
        Session.objects.bulk_update(changed, list(CHANGING))
    items += _sessions_create(state, new)
    state.record(items)


def _sessions_create(state: ArawnState, new: list[dict[str, Any]]) -> list[ItemRecord]:
    """Each new session with its conversation (one per session, ids derived from it)."""
    pairs = [
        (
            Conversation(
                id=session_conversation_id(v["id"]),
                workspace=state.workspace,
                title=f"arawn session {v['id']}",
                purpose="arawn",
                status="completed" if v["is_terminated"] else "active",
                extra_data={"source": "arawn", "session_id": v["id"]},
                created_at=v["created_at"],
                updated_at=v["updated_at"],
            ),
            Session(
                workspace=state.workspace,
                source=Source.ARAWN,
                source_path=state.db_path,
                conversation_id=session_conversation_id(v["id"]),
                **v,
            ),
        )
        for v in new
    ]

    # A conversation may exist already: messages of a session the database did not know
    # yet (an earlier run made it); the session joins it, and undo leaves it.
    existing = pks_present(Conversation, [c.pk for c, _ in pairs])

    def write(batch: list) -> None:
        Conversation.objects.bulk_create([c for c, _ in batch if c.pk not in existing])
        Session.objects.bulk_create([s for _, s in batch])

    refused = _write_isolated(pairs, write)
    refused_ids = {session.pk for (_, session), _ in refused}
    items = [ItemRecord("session", s.pk, Outcome.FAILED, why) for (_, s), why in refused]
    for _, session in pairs:
        if session.pk in refused_ids:
            continue
        state.session_ws[session.pk] = session.workstream_id
        after = {"source_path": state.db_path}
        if session.conversation_id not in existing:
            after["conversation"] = str(session.conversation_id)
        items.append(ItemRecord("session", session.pk, Outcome.MIGRATED, "", None, after))
    return items


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
