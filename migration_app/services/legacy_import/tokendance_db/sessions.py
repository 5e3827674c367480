"""TokenDance sessions, with their messages, artifacts and session files, batch by batch.

A batch of sessions is planned from a bounded number of reads (its messages and artifacts
in one query each from the source; what exists already, in a few queries here), then
written in one transaction. When that transaction fails as a whole, the batch is written
again one session per savepoint, so only the bad session fails.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from migration_app.legacy import status_map, tokendance
from migration_app.legacy import tokendance_db as reader
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.shared import (
    NewMessage,
    Outcome,
    conversation_counters_update,
    messages_write,
    pks_present,
    rows_in,
)
from migration_app.services.legacy_import.tokendance_db import files
from migration_app.services.legacy_import.tokendance_db.artifacts import artifacts_plan
from migration_app.services.legacy_import.tokendance_db.state import (
    State,
    as_uuid,
    derived_id,
    missing,
    notes_join,
    rejected,
    skipped,
    too_long,
    uuid_db_values,
)
from projects_app.bulk import instances_insert, rows_count_in
from projects_app.models import Artifact, Conversation, Message, Source
from sessions_app.models import Session

ROLES = frozenset(Message.Role.values)
_MESSAGE_EXTRA = ("thinking", "citations", "feedback", "turn_id", "full_result_ref")


@dataclass
class SessionWork:
    session_id: str
    session: Session | None = None  # None: imported before
    conversation: Conversation | None = None  # None: exists already
    conversation_id: uuid.UUID | None = None
    project_id: str | None = None
    messages: list[NewMessage] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    files: list[Artifact] = field(default_factory=list)
    rejected: list[ItemRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def item(self) -> ItemRecord:
        if not (self.session or self.conversation or self.messages or self.artifacts or self.files):
            return skipped("session", {"id": self.session_id})
        after = {
            "session_created": self.session is not None,
            "conversation_id": str(self.conversation_id) if self.conversation_id else None,
            "conversation_created": self.conversation is not None,
            "project_id": self.project_id,
            "messages": [str(m.id) for m in self.messages],
            "artifacts": [str(a.pk) for a in self.artifacts + self.files],
        }
        return ItemRecord(
            "session", self.session_id, Outcome.MIGRATED, notes_join(self.notes), None, after
        )


def sessions_import(state: State) -> None:
    for batch in reader.table_rows(state.source, "sessions", batch_size=state.batch_size):
        works, items = _batch_plan(state, batch)
        _batch_write(state, works, items, advance=len(batch))


def _batch_write(state: State, works: list[SessionWork], items: list[ItemRecord], *, advance: int):
    try:
        with transaction.atomic():
            _write(state, works, items)
            migration_run_progress(run=state.run, advance=advance)
        return
    except Exception:  # replayed below, one session per savepoint
        pass
    with transaction.atomic():
        state.record(items)
        migration_run_progress(run=state.run, advance=advance)
    for work in works:
        try:
            with transaction.atomic():
                _write(state, [work], [])
        except Exception as exc:
            reason = f"sessions id={work.session_id}: {type(exc).__name__}: {exc}"
            with transaction.atomic():
                state.record([ItemRecord("session", work.session_id, Outcome.FAILED, reason)])


def _write(state: State, works: list[SessionWork], items: list[ItemRecord]) -> None:
    instances_insert(Conversation, [w.conversation for w in works if w.conversation])
    instances_insert(Session, [w.session for w in works if w.session])
    messages_write([m for w in works for m in w.messages])
    artifacts = [a for w in works for a in w.artifacts + w.files]
    instances_insert(Artifact, sorted(artifacts, key=lambda a: a.version))  # parents first
    conversation_counters_update([m for w in works for m in w.messages])
    state.record(items + [i for w in works for i in w.rejected] + [w.item() for w in works])


def _batch_plan(state: State, raws: list[dict]) -> tuple[list[SessionWork], list[ItemRecord]]:
    items: list[ItemRecord] = []
    rows = []
    for raw in raws:
        row = reader.row_convert("sessions", raw)
        problem = row if isinstance(row, reader.RowProblem) else None
        if problem is None:
            problem = too_long(Session, "sessions", row, {"title": "title", "skill_id": "skill_id"})
        if problem is None and row["workspace_id"] not in state.workspaces:
            problem = missing("sessions", row, "workspace_id", "workspace")
        if problem is None and row["created_at"] is None:
            problem = reader.RowProblem("sessions", row["id"], "created_at", "missing")
        if problem:
            items.append(rejected("session", problem))
        else:
            rows.append(row)
    ids = [row["id"] for row in rows]
    columns = ("pk", "conversation_id", "project_id")
    existing = {row[0]: row[1:] for row in rows_in(Session.objects, "pk", ids, *columns)}
    new_ids = [i for i in ids if i not in existing]
    old_ids = [i for i in ids if i in existing]
    messages = defaultdict(list)
    # Their messages are mostly in their conversations: counted through that index.
    conversations = ("conversation", uuid_db_values([r[0] for r in existing.values() if r[0]]))
    message_rows = _rows_of(
        state, "messages", new_ids, old_ids, Message, order="created_at, id", within=conversations
    )
    for raw in message_rows:
        messages[raw["session_id"]].append(raw)
    artifact_rows = defaultdict(list)
    for raw in _rows_of(state, "artifacts", new_ids, old_ids, Artifact, order="id"):
        artifact_rows[raw["session_id"]].append(raw)
    claimed = _claimed_conversations(state, rows, existing, messages)
    old_files = pks_present(
        Artifact, files.existing_candidates(state, [r for r in rows if r["id"] in existing])
    )
    works = []
    for row in rows:
        work = _session_work(state, row, existing.get(row["id"]), messages[row["id"]], claimed)
        _messages_add(state, work, messages[row["id"]])
        works.append(work)
    conversation_of = {w.session_id: w.conversation_id for w in works}
    project_of = {w.session_id: w.project_id for w in works}
    new_artifacts = [a for s in ids for a in artifact_rows[s]]
    plan = artifacts_plan(
        state, new_artifacts, conversation_of=conversation_of, project_of=project_of
    )
    by_session = {w.session_id: w for w in works}
    for artifact in plan.artifacts:
        work = by_session[artifact.extra_data["legacy"]["session_id"]]
        work.artifacts.append(artifact)
        work.notes += plan.notes.get(str(artifact.pk), [])
    items += [rejected("artifact", problem) for problem in plan.problems]
    for row, work in zip(rows, works, strict=True):
        files.session_files_add(state, row, work, old_files)
    return works, items


def _rows_of(
    state: State, table: str, new_ids, old_ids, model, *, order: str, within=()
) -> list[dict]:
    """The rows of `table` owned by these sessions that are not imported yet: all of those of
    new sessions; of sessions imported before, only ids are read, then the missing rows.
    `within`: where the stored rows are expected (rows_count_in); one elsewhere only costs
    the look-up below."""
    raws = reader.rows_where_in(state.source, table, "session_id", new_ids, order=order)
    known = reader.ids_where_in(state.source, table, "session_id", old_ids)
    # The common re-run: every row is in, which a COUNT tells.
    stored = uuid_db_values(list(dict.fromkeys(known)))
    if stored is not None and rows_count_in(model, stored, within=within) == len(stored):
        return raws
    keys = {i: as_uuid(i) for i in known}
    valid = [key for key in keys.values() if key]
    have = pks_present(model, valid)
    missing = [i for i, key in keys.items() if key not in have]
    return raws + reader.rows_where_in(state.source, table, "id", missing, order=order)


def _claimed_conversations(state: State, rows, existing, messages) -> set[uuid.UUID]:
    """TokenDance conversations a session of our hub points at already (one query)."""
    candidates = {
        as_uuid(conversation)
        for row in rows
        if row["id"] not in existing
        for conversation in _conversation_candidates(state, row, messages[row["id"]])
    } - {None}
    claimed = rows_in(Session.objects, "conversation_id", list(candidates), "conversation_id")
    return {conversation for (conversation,) in claimed}


def _conversation_candidates(state: State, row: dict, messages: list[dict]) -> list[str]:
    """TokenDance conversations that may be the session's, most telling first: the one its
    own migration made for it, the one the session names, the one its messages name."""
    found = []
    marked = state.migrated_by_origin.get(row["id"])
    if marked:
        found.append(marked)
    if row["conversation_id"] in state.conversations:
        found.append(row["conversation_id"])
    for message in messages:
        if message["conversation_id"] in state.conversations:
            found.append(message["conversation_id"])
            break
    return found


def _session_work(state: State, row: dict, existing, messages, claimed) -> SessionWork:
    sid = row["id"]
    work = SessionWork(sid)
    workspace = state.workspaces[row["workspace_id"]]
    if existing is not None:
        conversation_id, project_id = existing
        work.conversation_id = conversation_id or derived_id("session-conversation", sid)
        work.project_id = project_id
        if (
            conversation_id is None
            and not Conversation.objects.filter(pk=work.conversation_id).exists()
        ):
            work.conversation = _own_conversation(row, workspace, work.conversation_id)
        return work
    for candidate in _conversation_candidates(state, row, messages):
        pk = as_uuid(candidate)
        if pk in claimed:
            work.notes.append(f"conversation {candidate} belongs to another session already")
            continue
        claimed.add(pk)
        work.conversation_id = pk
        work.project_id = state.conversations[candidate].project_id
        break
    else:
        work.conversation_id = derived_id("session-conversation", sid)
        work.conversation = _own_conversation(row, workspace, work.conversation_id)
    work.session = _session(state, row, workspace, work)
    return work


def _own_conversation(row: dict, workspace, pk: uuid.UUID) -> Conversation:
    """The session's conversation. TokenDance's migration gives the conversation it makes the
    session's `tokens_used` and `completed_at` (§7.2), which have no column here: they go
    under `extra_data.tokendance`, as for the conversations TokenDance made itself."""
    kept = {}  # as catalog keeps a conversation's: a zero or null is TokenDance's default
    if row["total_tokens_used"]:
        kept["tokens_used"] = row["total_tokens_used"]
    if row["completed_at"] is not None:
        kept["completed_at"] = row["completed_at"].isoformat()
    return Conversation(
        id=pk,
        project=None,
        workspace_id=workspace,
        title=tokendance.conversation_title_for(row["title"]),
        status=tokendance.conversation_status_for(row["status"]),
        extra_data={"tokendance": kept},
        created_at=row["created_at"],
        updated_at=row["updated_at"] or row["created_at"],
    )


def _session(state: State, row: dict, workspace, work: SessionWork) -> Session:
    word = row["status"] or ""
    mapped = status_map.tokendance_status(word)
    if mapped is None:
        work.notes.append(f"status {word!r} is not a TokenDance status; imported as pending")
        mapped = ("pending", "idle", False)
    status, activity, terminated = mapped
    extra, dropped = reader.secrets_drop(row["extra_data"])
    todo, dropped_todo = reader.secrets_drop(row["todo_list"])
    dropped = [f"extra_data.{k}" for k in dropped] + [f"todo_list.{k}" for k in dropped_todo]
    if dropped:
        work.notes.append(f"dropped secret-looking key(s) {', '.join(dropped)}")
    metadata = {
        "context_summary": row["context_summary"],
        "todo_list": todo,
        "total_tokens_used": row["total_tokens_used"],
        "session_type": row["session_type"],  # verbatim (issue 15): `RETRY` stays `RETRY`
        "agent_config_id": row["agent_config_id"],
        "turn_id": row["turn_id"],
        "extra_data": extra,
    }
    return Session(
        id=row["id"],
        num=state.project_num_next(work.project_id),
        workspace_id=workspace,
        project_id=work.project_id,
        conversation_id=work.conversation_id,
        title=row["title"] or "",
        status=status,
        legacy_status=word[:100],
        activity_state=activity,
        is_terminated=terminated,
        skill_id=row["skill_id"] or "",
        created_at=row["created_at"],
        updated_at=row["updated_at"] or row["created_at"],
        completed_at=row["completed_at"],
        source=Source.TOKENDANCE,
        source_path=f"{state.location}#sessions/{row['id']}",
        metadata=metadata,
    )


def message_build(state: State, raw: dict, conversation_id) -> NewMessage | reader.RowProblem:
    row = reader.row_convert("messages", raw)
    if isinstance(row, reader.RowProblem):
        return row
    pk = as_uuid(row["id"])
    if pk is None:
        return reader.RowProblem("messages", row["id"], "id", "not a UUID")
    problem = too_long(Message, "messages", row, {"tool_call_id": "tool_call_id"})
    if problem:
        return problem
    tokens = row["tokens_used"] or 0
    if tokens < 0:
        return reader.RowProblem("messages", row["id"], "tokens_used", f"{tokens} < 0")
    extra, _dropped = reader.secrets_drop(row["extra_data"] or {})
    if not isinstance(extra, dict):
        extra = {"extra_data": extra}
    for key in _MESSAGE_EXTRA:
        if row[key] is not None:
            extra[key] = row[key]
    if row["feedback_at"] is not None:
        extra["feedback_at"] = row["feedback_at"].isoformat()
    role = tokendance.fold(row["role"])
    if role not in ROLES:
        extra["source_role"] = row["role"]
        role = Message.Role.SYSTEM
    own = row["conversation_id"]
    return NewMessage(
        id=pk,
        conversation_id=as_uuid(own) if own in state.conversations else conversation_id,
        role=role,
        content=row["content"] or "",
        tool_calls=row["tool_calls"],
        tool_call_id=row["tool_call_id"] or "",
        extra_data=extra,
        tokens_used=tokens,
        created_at=row["created_at"],
    )


def _messages_add(state: State, work: SessionWork, raws: list[dict]) -> None:
    unknown_roles = set()
    for raw in raws:
        message = message_build(state, raw, work.conversation_id)
        if isinstance(message, reader.RowProblem):
            work.rejected.append(rejected("message", message))
            continue
        if "source_role" in message.extra_data:
            unknown_roles.add(str(message.extra_data["source_role"]))
        work.messages.append(message)
    if unknown_roles:
        work.notes.append(
            f"message role(s) {', '.join(sorted(unknown_roles))} are not TokenDance roles; "
            "imported as system with extra_data.source_role"
        )
