"""Session → project: TokenDance's project-first migration, set-based and journaled.

For every selected session without a project: create a Project (TokenDance's rules in
`migration_app.legacy.tokendance`), attach the session's conversation to it (or create
one), re-parent that conversation's artifacts, point the session at the project and
write ProjectVersion 1. Sessions and messages are preserved.

Per batch the number of queries is constant, whatever the batch size: three reads
(sessions with their message figures, tool-call messages, artifacts), one compare-and-set
UPDATE of the sessions, one read of who won, one INSERT or UPDATE per table, one journal
INSERT and one progress UPDATE. The compare-and-set (`project IS NULL`) decides races:
two concurrent runs create exactly one project per session. A batch that fails as a
whole is replayed one session per savepoint, so one bad session fails alone.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Lower, Substr
from django.utils import timezone

from migration_app.legacy import tokendance
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    UndoResult,
    migration_items_record,
    migration_run_finish,
    migration_run_progress,
    undo_handler,
)
from projects_app.models import Artifact, Conversation, Message, Project, ProjectVersion
from sessions_app.models import Session

KIND = MigrationRun.Kind.SESSION_TO_PROJECT
SUBJECT = "session"
BATCH_SIZE_DEFAULT = 500
# Keeps every statement of a batch well under PostgreSQL's 65,535 bind parameters.
BATCH_SIZE_MAX = 2000
FIRST_ERRORS_MAX = 10
Outcome = MigrationItem.Outcome


# --- selection -------------------------------------------------------------------------


def session_to_project_selection(
    *,
    session_ids: Sequence[str] | None = None,
    workspace_slug: str | None = None,
    statuses: Sequence[str] | None = None,
) -> QuerySet[Session]:
    """The sessions a run covers (already migrated ones included: they are reported skipped)."""
    sessions = Session.objects.all()
    if session_ids is not None:
        sessions = sessions.filter(pk__in=list(session_ids))
    if workspace_slug:
        sessions = sessions.filter(workspace__slug=workspace_slug)
    if statuses:
        # Case-insensitive, like the status map: real TokenDance rows hold PENDING too.
        folded = sorted({status.strip().lower() for status in statuses})
        sessions = sessions.alias(status_folded=Lower("status")).filter(status_folded__in=folded)
    return sessions


# --- plan --------------------------------------------------------------------------------


@dataclass
class SessionPlan:
    """What migrating one session does (or, for a skip or failure, why it does not)."""

    session_id: str
    outcome: str
    reason: str = ""
    workspace_id: Any = None
    project_id: str = ""
    title: str = ""
    project_type: str = ""
    project_status: str = ""
    intent: str = ""
    context: dict = field(default_factory=dict)
    skill_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    conversation_id: uuid.UUID | None = None
    conversation_created: bool = False
    conversation_title: str = ""
    conversation_status: str = ""
    conversation_before: dict | None = None
    message_count: int = 0
    last_message_at: datetime | None = None
    artifacts: list[dict] = field(default_factory=list)

    @property
    def failure_count(self) -> int:
        return len(self.context.get("failures", []))

    @property
    def intent_excerpt(self) -> str:
        return self.intent if len(self.intent) <= 120 else self.intent[:119] + "…"

    def project(self) -> Project:
        """The project this plan creates, as an unsaved row."""
        return Project(
            id=self.project_id,
            workspace_id=self.workspace_id,
            title=self.title,
            description=f"Migrated from session {self.session_id}",
            project_type=self.project_type,
            status=self.project_status,
            intent=self.intent,
            context=self.context,
            settings={"skill_id": self.skill_id},
            source=Project._meta.get_field("source").default,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def before(self, *, session_conversation_id) -> dict:
        return {
            "session": {"project_id": None, "conversation_id": _text(session_conversation_id)},
            "conversation": self.conversation_before,
            "artifacts": {str(a["id"]): a["project_id"] for a in self.artifacts},
        }

    def after(self) -> dict:
        return {
            "project_id": self.project_id,
            "conversation_id": _text(self.conversation_id),
            "conversation_created": self.conversation_created,
            "title": self.title,
            "project_type": self.project_type,
            "status": self.project_status,
            "messages": self.message_count,
            "artifacts": [str(a["id"]) for a in self.artifacts],
            "failures": self.failure_count,
        }


def _text(value) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _sessions_load(session_ids: Sequence[str]) -> list[dict]:
    """One query: the sessions with their conversation's message figures."""
    messages = Message.objects.filter(conversation=OuterRef("conversation_id")).order_by()
    first_user = (
        messages.filter(role__iexact=Message.Role.USER)
        .exclude(content="")
        .order_by("created_at", "id")
        # Cut in the database: only 500 characters of a long prompt cross the wire.
        .annotate(excerpt=Substr("content", 1, tokendance.INTENT_MAX_CHARS))
        .values("excerpt")[:1]
    )
    count = messages.values("conversation").annotate(n=Count("id")).values("n")
    last = messages.values("conversation").annotate(at=Max("created_at")).values("at")
    return list(
        Session.objects.filter(pk__in=list(session_ids))
        .annotate(
            first_user_message=Subquery(first_user, output_field=CharField()),
            n_messages=Subquery(count, output_field=IntegerField()),
            last_message=Subquery(last, output_field=DateTimeField()),
        )
        .order_by("pk")
        .values(
            "id",
            "workspace_id",
            "project_id",
            "conversation_id",
            "title",
            "status",
            "skill_id",
            "created_at",
            "updated_at",
            "first_user_message",
            "n_messages",
            "last_message",
            "conversation__project_id",
            "conversation__status",
            "conversation__message_count",
            "conversation__last_message_at",
        )  # fmt: skip
    )


def _tool_call_messages_load(conversation_ids: Iterable) -> dict[Any, list]:
    """One query: every message that carries tool_calls, per conversation, in order."""
    by_conversation: dict[Any, list] = defaultdict(list)
    rows = (
        Message.objects.filter(conversation_id__in=list(conversation_ids), tool_calls__isnull=False)
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "tool_calls", "created_at")
    )
    for conversation_id, tool_calls, created_at in rows:
        by_conversation[conversation_id].append(
            tokendance.ToolCallMessage(tool_calls=tool_calls, created_at=created_at)
        )
    return by_conversation


def _artifacts_load(conversation_ids: Iterable) -> dict[Any, list[dict]]:
    by_conversation: dict[Any, list[dict]] = defaultdict(list)
    rows = (
        Artifact.objects.filter(conversation_id__in=list(conversation_ids))
        .order_by("conversation_id", "name", "version", "id")
        .values(
            "id",
            "conversation_id",
            "project_id",
            "name",
            "artifact_type",
            "version",
            "is_latest",
            "lineage",
        )  # fmt: skip
    )
    for row in rows:
        by_conversation[row["conversation_id"]].append(row)
    return by_conversation


def _session_plan(row: dict, tool_calls: list, artifacts: list[dict], *, now) -> SessionPlan:
    session_id = row["id"]
    if row["project_id"]:
        return SessionPlan(
            session_id, Outcome.SKIPPED, f"already migrated to project {row['project_id']}"
        )
    if row["conversation_id"] and row["conversation__project_id"]:
        return SessionPlan(
            session_id,
            Outcome.SKIPPED,
            f"its conversation already belongs to project {row['conversation__project_id']}",
        )
    try:
        failures = tokendance.failures_extract(tool_calls, now=now)
    except tokendance.MalformedToolCalls as exc:
        return SessionPlan(session_id, Outcome.FAILED, f"Session {session_id}: {exc}")
    status = row["status"]
    title = row["title"]
    existing = row["conversation_id"]
    return SessionPlan(
        session_id,
        Outcome.MIGRATED,
        workspace_id=row["workspace_id"],
        project_id=str(uuid.uuid4()),
        title=tokendance.project_title_for(title),
        project_type=tokendance.project_type_infer(skill_id=row["skill_id"], title=title),
        project_status=tokendance.project_status_for(status),
        intent=tokendance.intent_extract(first_user_message=row["first_user_message"], title=title),
        context=tokendance.project_context_for(failures),
        skill_id=row["skill_id"] or None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        conversation_id=existing or uuid.uuid4(),
        conversation_created=existing is None,
        conversation_title=tokendance.conversation_title_for(title),
        conversation_status=tokendance.conversation_status_for(status),
        conversation_before=None
        if existing is None
        else {
            "id": str(existing),
            "project_id": None,
            "status": row["conversation__status"],
            "message_count": row["conversation__message_count"],
            "last_message_at": _iso(row["conversation__last_message_at"]),
        },
        message_count=row["n_messages"] or 0,
        last_message_at=row["last_message"],
        artifacts=artifacts,
    )


def _batch_plan(session_ids: Sequence[str]) -> tuple[list[SessionPlan], dict[str, Any]]:
    """Three queries: the plan of every session of a batch, and each one's current conversation."""
    now = timezone.now()
    rows = _sessions_load(session_ids)
    conversation_ids = [row["conversation_id"] for row in rows if row["conversation_id"]]
    tool_calls = _tool_call_messages_load(conversation_ids)
    artifacts = _artifacts_load(conversation_ids)
    found = {row["id"] for row in rows}
    plans = [
        _session_plan(
            row,
            tool_calls.get(row["conversation_id"], []),
            artifacts.get(row["conversation_id"], []),
            now=now,
        )
        for row in rows
    ]
    plans += [
        SessionPlan(session_id, Outcome.SKIPPED, "no such session")
        for session_id in session_ids
        if session_id not in found
    ]
    return plans, {row["id"]: row["conversation_id"] for row in rows}


def session_to_project_plan(*, session_ids: Sequence[str]) -> list[SessionPlan]:
    """The plan for a selection, computed exactly as a run computes it; writes nothing."""
    plans: list[SessionPlan] = []
    for chunk in _chunks(sorted(set(session_ids)), BATCH_SIZE_DEFAULT):
        plans += _batch_plan(chunk)[0]
    return plans


# --- apply -------------------------------------------------------------------------------


def _rows_update(
    model,
    *,
    key: str,
    columns: Sequence[str],
    rows: Sequence[tuple],
    where_null: str | None = None,
    where_in: tuple[str, Sequence] | None = None,
) -> int:
    """One UPDATE … FROM (VALUES …) giving each row its own values; returns the rows changed.

    rows are (key, value for each column). A join on a VALUES list stays linear in the
    batch size, where one CASE per column would compare every row with every key.
    `where_null` adds `AND <column> IS NULL` (the compare-and-set); `where_in` adds
    `AND <column> IN (…)`. Needs SQLite ≥ 3.33 (UPDATE … FROM) or PostgreSQL.
    """
    if not rows:
        return 0
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33):
        raise MigrationError(f"SQLite {sqlite3.sqlite_version} lacks UPDATE … FROM (3.33+).")
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = [meta.get_field(key), *(meta.get_field(column) for column in columns)]
    if connection.vendor == "postgresql":
        # Literal parameters would leave the VALUES columns typed as text.
        holders = [f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields]
    else:
        holders = ["%s"] * len(fields)
    row_sql = "(" + ", ".join(holders) + ")"
    params: list = []
    for row in rows:
        params += [
            f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)
        ]
    assignments = ", ".join(
        f"{quote(f.column)} = v.column{n}" for n, f in enumerate(fields[1:], start=2)
    )
    sql = (
        f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v "
        f"WHERE {table}.{quote(fields[0].column)} = v.column1"
    )
    if where_null:
        sql += f" AND {table}.{quote(meta.get_field(where_null).column)} IS NULL"
    if where_in:
        column, values = where_in
        field_ = meta.get_field(column)
        sql += f" AND {table}.{quote(field_.column)} IN ({', '.join(['%s'] * len(values))})"
        params += [field_.get_db_prep_save(value, connection) for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _insert(model, objs: list) -> None:
    """One INSERT for the whole batch, carrying timestamps verbatim.

    bulk_create would split at SQLite's 999-parameter default in Django 5.2 (so the
    query count would grow with the batch) and would overwrite `created_at` through
    auto_now_add; the batch cap keeps this under both databases' real limits.
    """
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.auto_created]
    model._base_manager._insert(objs, fields=fields, raw=True)


@dataclass
class BatchResult:
    items: list[ItemRecord] = field(default_factory=list)
    messages_relinked: int = 0
    artifacts_relinked: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)


def _batch_apply(
    session_ids: Sequence[str], *, run: MigrationRun, dry_run: bool, actor: str
) -> BatchResult:
    plans, conversation_of = _batch_plan(session_ids)
    planned = [plan for plan in plans if plan.outcome == Outcome.MIGRATED]
    won: set[str] = {plan.session_id for plan in planned}

    if planned and not dry_run:
        ids = [plan.session_id for plan in planned]
        # The compare-and-set that decides races: only sessions still without a project
        # take ours. On PostgreSQL a concurrent run's UPDATE waits on our row locks and
        # then finds project_id set; on SQLite the IMMEDIATE write lock serialises runs.
        _rows_update(
            Session,
            key="id",
            columns=["project", "conversation"],
            rows=[(p.session_id, p.project_id, p.conversation_id) for p in planned],
            where_null="project",
        )
        won = set(
            Session.objects.filter(
                pk__in=ids, project_id__in=[p.project_id for p in planned]
            ).values_list("pk", flat=True)
        )
        for plan in planned:
            if plan.session_id not in won:
                plan.outcome = Outcome.SKIPPED
                plan.reason = "migrated concurrently by another run"
        winners = [plan for plan in planned if plan.session_id in won]
        if winners:
            _write_projects(winners, actor=actor)

    result = BatchResult()
    for plan in plans:
        if plan.outcome == Outcome.MIGRATED:
            result.messages_relinked += plan.message_count
            result.artifacts_relinked += len(plan.artifacts)
            result.items.append(
                ItemRecord(
                    SUBJECT,
                    plan.session_id,
                    Outcome.MIGRATED,
                    "dry run: would migrate" if dry_run else "",
                    before=plan.before(session_conversation_id=conversation_of[plan.session_id]),
                    after=plan.after(),
                )
            )
        else:
            result.items.append(ItemRecord(SUBJECT, plan.session_id, plan.outcome, plan.reason))
    migration_items_record(run=run, items=result.items)
    migration_run_progress(run=run, advance=len(session_ids))
    return result


def _write_projects(winners: list[SessionPlan], *, actor: str) -> None:
    _insert(Project, [plan.project() for plan in winners])
    _insert(
        Conversation,
        [
            Conversation(
                id=plan.conversation_id,
                project_id=plan.project_id,
                workspace_id=plan.workspace_id,
                title=plan.conversation_title,
                purpose="general",
                status=plan.conversation_status,
                extra_data={"migrated_from_session_id": plan.session_id},
                message_count=0,
                last_message_at=None,
                created_at=plan.created_at,
                updated_at=plan.updated_at,
            )
            for plan in winners
            if plan.conversation_created
        ],
    )
    attached = [plan for plan in winners if not plan.conversation_created]
    if attached:
        # The counters are recomputed from the messages (TokenDance left them 0/null):
        # the figures read at the start of this batch's transaction.
        _rows_update(
            Conversation,
            key="id",
            columns=["project", "status", "message_count", "last_message_at"],
            rows=[
                (p.conversation_id, p.project_id, p.conversation_status, p.message_count,
                 p.last_message_at)
                for p in attached
            ],
            where_null="project",
        )  # fmt: skip
    _rows_update(
        Artifact,
        key="id",
        columns=["project"],
        rows=[(a["id"], plan.project_id) for plan in winners for a in plan.artifacts],
    )
    _insert(
        ProjectVersion,
        [
            ProjectVersion(
                project_id=plan.project_id,
                version_number=1,
                snapshot={
                    "artifacts": [_artifact_snapshot(a) for a in plan.artifacts],
                    "context": plan.context,
                },
                change_summary=f"Migrated from session {plan.session_id}",
                change_type=ProjectVersion.ChangeType.AUTO,
                changed_by=actor or "migration",
                created_at=timezone.now(),
            )
            for plan in winners
        ],
    )


def _artifact_snapshot(artifact: dict) -> dict:
    return {
        "id": str(artifact["id"]),
        "lineage": str(artifact["lineage"]),
        "name": artifact["name"],
        "artifact_type": artifact["artifact_type"],
        "version": artifact["version"],
        "is_latest": artifact["is_latest"],
    }


# --- run -----------------------------------------------------------------------------------


def _chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _selection_batches(params: dict, batch_size: int) -> Iterator[list[str]]:
    """Keyset batches (pk > last ORDER BY pk), never OFFSET."""
    if (
        params.get("session_ids") is not None
        and not params.get("workspace")
        and not params.get("statuses")
    ):
        yield from (list(c) for c in _chunks(sorted(set(params["session_ids"])), batch_size))
        return
    selection = session_to_project_selection(
        session_ids=params.get("session_ids"),
        workspace_slug=params.get("workspace"),
        statuses=params.get("statuses"),
    ).order_by("pk")
    last = None
    while True:
        page = selection if last is None else selection.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        last = ids[-1]
        yield ids


def session_to_project_run_create(
    *,
    session_ids: Sequence[str] | None = None,
    workspace_slug: str | None = None,
    statuses: Sequence[str] | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE_DEFAULT,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
) -> MigrationRun:
    """Record a planned run (status `planned`); `session_to_project_run_execute` carries it out."""
    if not 1 <= batch_size <= BATCH_SIZE_MAX:
        raise MigrationError(f"The batch size must be between 1 and {BATCH_SIZE_MAX}.")
    if session_ids is not None:
        session_ids = sorted({str(session_id) for session_id in session_ids})
    total = session_to_project_selection(
        session_ids=session_ids, workspace_slug=workspace_slug, statuses=statuses
    ).count()
    if session_ids is not None and not workspace_slug and not statuses:
        total = len(session_ids)  # unknown ids are reported as skipped items
    return MigrationRun.objects.create(
        kind=KIND,
        status=MigrationRun.Status.PLANNED,
        dry_run=dry_run,
        params={
            "session_ids": session_ids,
            "workspace": workspace_slug or None,
            "statuses": list(statuses) if statuses else None,
            "batch_size": batch_size,
        },
        actor=actor,
        origin=origin,
        progress_total=total,
    )


def session_to_project_run_execute(*, run_id: str, on_batch=None) -> MigrationRun:
    """Carry out a planned run batch by batch; each batch commits on its own."""
    run = MigrationRun.objects.get(pk=run_id, kind=KIND)
    claimed = MigrationRun.objects.filter(pk=run.pk, status=MigrationRun.Status.PLANNED).update(
        status=MigrationRun.Status.RUNNING
    )
    if not claimed:
        raise MigrationError(f"Run {run.pk} is {run.status}, not planned.")
    run.status = MigrationRun.Status.RUNNING
    batch_size = run.params.get("batch_size") or BATCH_SIZE_DEFAULT
    total = messages = artifacts = 0
    errors: list[str] = []
    try:
        for ids in _selection_batches(run.params, batch_size):
            result = _batch_run(ids, run=run, actor=run.actor)
            total += len(result.items)
            messages += result.messages_relinked
            artifacts += result.artifacts_relinked
            errors += [i.reason for i in result.items if i.outcome == Outcome.FAILED]
            errors = errors[:FIRST_ERRORS_MAX]
            if on_batch:
                on_batch(run)
    except Exception as exc:  # the run stops: record why, keep what committed
        migration_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
        raise
    return migration_run_finish(
        run=run,
        extra_counts={
            "total": total,
            "messages_relinked": messages,
            "artifacts_relinked": artifacts,
            "first_errors": errors,
        },
    )


def _batch_run(ids: Sequence[str], *, run: MigrationRun, actor: str) -> BatchResult:
    try:
        with transaction.atomic():
            return _batch_apply(ids, run=run, dry_run=run.dry_run, actor=actor)
    except Exception as exc:
        if len(ids) == 1:
            return _item_failed(ids[0], run=run, exc=exc)
    # The set-based path failed as a whole: replay it one session per savepoint so that
    # only the bad session fails.
    total = BatchResult()
    for session_id in ids:
        try:
            with transaction.atomic():
                result = _batch_apply([session_id], run=run, dry_run=run.dry_run, actor=actor)
        except Exception as exc:
            result = _item_failed(session_id, run=run, exc=exc)
        total.items += result.items
        total.messages_relinked += result.messages_relinked
        total.artifacts_relinked += result.artifacts_relinked
    return total


def _item_failed(session_id: str, *, run: MigrationRun, exc: Exception) -> BatchResult:
    reason = f"Session {session_id}: {type(exc).__name__}: {exc}"
    item = ItemRecord(SUBJECT, session_id, Outcome.FAILED, reason)
    with transaction.atomic():
        migration_items_record(run=run, items=[item])
        migration_run_progress(run=run, advance=1)
    return BatchResult(items=[item])


def sessions_migrate_to_projects(
    *,
    session_ids: Sequence[str] | None = None,
    workspace_slug: str | None = None,
    statuses: Sequence[str] | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE_DEFAULT,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
    on_batch=None,
) -> MigrationRun:
    """Migrate the selected sessions to projects (or plan it: `dry_run`); returns the run."""
    run = session_to_project_run_create(
        session_ids=session_ids,
        workspace_slug=workspace_slug,
        statuses=statuses,
        dry_run=dry_run,
        batch_size=batch_size,
        actor=actor,
        origin=origin,
    )
    return session_to_project_run_execute(run_id=run.pk, on_batch=on_batch)


def session_migrate_to_project(
    *,
    session_id: str,
    dry_run: bool = False,
    actor: str = "",
    origin: str = MigrationRun.Origin.API,
) -> tuple[MigrationRun, MigrationItem]:
    """One session (the API endpoint): the run and its single item."""
    run = sessions_migrate_to_projects(
        session_ids=[session_id], dry_run=dry_run, actor=actor, origin=origin
    )
    return run, run.items.get()


# --- undo ----------------------------------------------------------------------------------


@undo_handler(KIND)
def session_to_project_undo(run: MigrationRun) -> UndoResult:
    """Restore the previous links of sessions, conversations and artifacts; delete what was made.

    Only sessions that still point at the project this run gave them are restored. Rows
    added to a created project after the run (conversations, artifacts) are detached, not
    deleted, and reported in the notes.
    """
    result = UndoResult()
    items = MigrationItem.objects.filter(run=run, outcome=Outcome.MIGRATED).order_by("pk")
    last = 0
    while True:
        chunk = list(items.filter(pk__gt=last)[:BATCH_SIZE_DEFAULT])
        if not chunk:
            return result
        last = chunk[-1].pk
        with transaction.atomic():
            _undo_chunk(chunk, result)


def _undo_chunk(chunk: list[MigrationItem], result: UndoResult) -> None:
    project_of = {item.subject_id: item.after["project_id"] for item in chunk}
    project_ids = list(project_of.values())
    current = dict(Session.objects.filter(pk__in=list(project_of)).values_list("pk", "project_id"))
    restorable = [i for i in chunk if current.get(i.subject_id) == project_of[i.subject_id]]
    for item in chunk:
        if item not in restorable:
            result.notes.append(
                f"session {item.subject_id} no longer points at project "
                f"{project_of[item.subject_id]}; left as it is"
            )
    _rows_update(
        Session,
        key="id",
        columns=["project", "conversation"],
        rows=[(i.subject_id, None, i.before["session"]["conversation_id"]) for i in restorable],
    )
    attached = [i.before["conversation"] for i in chunk if i.before["conversation"]]
    _rows_update(
        Conversation,
        key="id",
        columns=["project", "status", "message_count", "last_message_at"],
        rows=[
            (c["id"], c["project_id"], c["status"], c["message_count"],
             _parse(c["last_message_at"]))
            for c in attached
        ],
    )  # fmt: skip
    _rows_update(
        Artifact,
        key="id",
        columns=["project"],
        rows=[
            (artifact_id, project_id)
            for item in chunk
            for artifact_id, project_id in item.before["artifacts"].items()
        ],
        where_in=("project", project_ids),
    )
    created = [i.after["conversation_id"] for i in chunk if i.after["conversation_created"]]
    Conversation.objects.filter(pk__in=created, messages__isnull=True).delete()
    # Anything still inside the created projects was added after the run: keep it, detached.
    kept_conversations = Conversation.objects.filter(project_id__in=project_ids).update(
        project=None
    )
    kept_artifacts = Artifact.objects.filter(project_id__in=project_ids).update(project=None)
    if kept_conversations or kept_artifacts:
        result.notes.append(
            f"kept {kept_conversations} conversation(s) and {kept_artifacts} artifact(s) "
            "added to the migrated projects after the run, detached from them"
        )
    ProjectVersion.objects.filter(project_id__in=project_ids).delete()
    Project.objects.filter(pk__in=project_ids).delete()
    MigrationItem.objects.filter(pk__in=[i.pk for i in chunk]).update(outcome=Outcome.UNDONE)
    result.restored += len(restorable)


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


__all__ = [
    "SessionPlan",
    "session_migrate_to_project",
    "session_to_project_plan",
    "session_to_project_run_create",
    "session_to_project_run_execute",
    "session_to_project_selection",
    "session_to_project_undo",
    "sessions_migrate_to_projects",
]
