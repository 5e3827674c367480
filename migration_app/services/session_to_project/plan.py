"""What migrating each session to a project does, read from the database: writes nothing.

`batch_plan` is the only place that decides a session's outcome; the run and every
preview call it. Three queries per batch, whatever its size: the sessions with their
conversation's message figures, the tool-call messages, the artifacts.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Substr
from django.utils import timezone

from migration_app.legacy import tokendance
from migration_app.models import MigrationItem
from migration_app.services.journal import ItemRecord
from projects_app.models import Artifact, Conversation, Message, Project, ProjectVersion
from sessions_app.models import Session

Outcome = MigrationItem.Outcome
SUBJECT = "session"


@dataclass
class SessionPlan:
    """What migrating one session does (or, for a skip or failure, why it does not): the
    project and, for a session without one, the conversation it creates, as unsaved rows."""

    session_id: str
    outcome: str
    reason: str = ""
    project: Project | None = None
    new_conversation: Conversation | None = None
    conversation_id: uuid.UUID | None = None
    conversation_status: str = ""
    conversation_before: dict | None = None
    message_count: int = 0
    last_message_at: datetime | None = None
    artifacts: list[dict] = field(default_factory=list)

    @property
    def failure_count(self) -> int:
        return len(self.project.context.get("failures", []))

    @property
    def intent_excerpt(self) -> str:
        intent = self.project.intent
        return intent if len(intent) <= 120 else intent[:119] + "…"

    def first_version(self, *, changed_by: str, at: datetime) -> ProjectVersion:
        return ProjectVersion(
            project_id=self.project.pk,
            version_number=1,
            snapshot={
                "artifacts": [
                    {"id": str(a["id"]), "lineage": str(a["lineage"])}
                    | {name: a[name] for name in ("name", "artifact_type", "version", "is_latest")}
                    for a in self.artifacts
                ],
                "context": self.project.context,
            },
            change_summary=f"Migrated from session {self.session_id}",
            change_type=ProjectVersion.ChangeType.AUTO,
            changed_by=changed_by,
            created_at=at,
        )

    def item(self) -> ItemRecord:
        """The plan's journal item; a migrated session's holds enough to undo it."""
        if self.outcome != Outcome.MIGRATED:
            return ItemRecord(SUBJECT, self.session_id, self.outcome, self.reason)
        project, created = self.project, self.new_conversation is not None
        session_conversation_id = None if created else self.conversation_id
        before = {
            "session": {"project_id": None, "conversation_id": _text(session_conversation_id)},
            "conversation": self.conversation_before,
            "artifacts": {str(a["id"]): a["project_id"] for a in self.artifacts},
        }
        after = {
            "project_id": project.pk,
            "conversation_id": _text(self.conversation_id),
            "conversation_created": created,
            "title": project.title,
            "project_type": project.project_type,
            "status": project.status,
            "messages": self.message_count,
            "artifacts": [str(a["id"]) for a in self.artifacts],
            "failures": self.failure_count,
        }
        return ItemRecord(SUBJECT, self.session_id, self.outcome, "", before, after)


def _text(value) -> str | None:
    return None if value is None else str(value)


_SESSION_FIELDS = (
    "id", "workspace_id", "project_id", "conversation_id", "title", "status", "skill_id",
    "created_at", "updated_at", "first_user_message", "n_messages", "last_message",
    "conversation__project_id", "conversation__status", "conversation__message_count",
    "conversation__last_message_at",
)  # fmt: skip
_ARTIFACT_FIELDS = (
    "id", "conversation_id", "project_id", "name", "artifact_type", "version", "is_latest",
    "lineage",
)  # fmt: skip


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
        .values(*_SESSION_FIELDS)
    )


def _session_plan(row: dict, tool_calls: dict, artifacts: dict, *, now) -> SessionPlan:
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
    existing = row["conversation_id"]
    try:
        failures = tokendance.failures_extract(tool_calls.get(existing, []), now=now)
    except tokendance.MalformedToolCalls as exc:
        return SessionPlan(session_id, Outcome.FAILED, f"Session {session_id}: {exc}")
    status, title, skill_id = row["status"], row["title"], row["skill_id"]
    project = Project(
        id=str(uuid.uuid4()),
        workspace_id=row["workspace_id"],
        title=tokendance.project_title_for(title),
        description=f"Migrated from session {session_id}",
        project_type=tokendance.project_type_infer(skill_id=skill_id, title=title),
        status=tokendance.project_status_for(status),
        intent=tokendance.intent_extract(first_user_message=row["first_user_message"], title=title),
        context=tokendance.project_context_for(failures),
        settings={"skill_id": skill_id or None},
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
    conversation_status = tokendance.conversation_status_for(status)
    if existing is None:
        new_conversation = Conversation(
            id=uuid.uuid4(),
            project_id=project.pk,
            workspace_id=project.workspace_id,
            title=tokendance.conversation_title_for(title),
            purpose="general",
            status=conversation_status,
            extra_data={"migrated_from_session_id": session_id},
            created_at=project.created_at,
            updated_at=project.updated_at,
        )
        before = None
    else:
        new_conversation = None
        last_at = row["conversation__last_message_at"]
        before = {
            "id": str(existing),
            "project_id": None,
            "status": row["conversation__status"],
            "message_count": row["conversation__message_count"],
            "last_message_at": None if last_at is None else last_at.isoformat(),
        }
    return SessionPlan(
        session_id,
        Outcome.MIGRATED,
        project=project,
        new_conversation=new_conversation,
        conversation_id=existing or new_conversation.pk,
        conversation_status=conversation_status,
        conversation_before=before,
        message_count=row["n_messages"] or 0,
        last_message_at=row["last_message"],
        artifacts=artifacts.get(existing, []),
    )


def batch_plan(session_ids: Sequence[str]) -> list[SessionPlan]:
    """Three queries: the plan of every session of a batch."""
    now = timezone.now()
    rows = _sessions_load(session_ids)
    conversation_ids = [row["conversation_id"] for row in rows if row["conversation_id"]]
    tool_calls: dict[Any, list] = defaultdict(list)  # in order, per conversation
    for conversation_id, calls, created_at in (
        Message.objects.filter(conversation_id__in=conversation_ids, tool_calls__isnull=False)
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "tool_calls", "created_at")
    ):
        tool_calls[conversation_id].append(
            tokendance.ToolCallMessage(tool_calls=calls, created_at=created_at)
        )
    artifacts: dict[Any, list[dict]] = defaultdict(list)
    for artifact in (
        Artifact.objects.filter(conversation_id__in=conversation_ids)
        .order_by("conversation_id", "name", "version", "id")
        .values(*_ARTIFACT_FIELDS)
    ):
        artifacts[artifact["conversation_id"]].append(artifact)
    found = {row["id"] for row in rows}
    plans = [_session_plan(row, tool_calls, artifacts, now=now) for row in rows]
    plans += [
        SessionPlan(session_id, Outcome.SKIPPED, "no such session")
        for session_id in session_ids
        if session_id not in found
    ]
    return plans


def selection_counts(sessions: QuerySet[Session]) -> dict[str, int]:
    """How `_session_plan` will decide the selection, counted in one query: the skips it
    makes from the rows alone. A malformed tool call is found only by planning the
    session (see the preview's sample)."""
    counts = sessions.aggregate(
        selected=Count("pk"),
        already_migrated=Count("pk", filter=Q(project__isnull=False)),
        conversation_taken=Count(
            "pk", filter=Q(project__isnull=True, conversation__project__isnull=False)
        ),
    )
    counts["to_migrate"] = (
        counts["selected"] - counts["already_migrated"] - counts["conversation_taken"]
    )
    return counts
