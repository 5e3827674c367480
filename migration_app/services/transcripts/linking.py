"""Which session and conversation a transcript file belongs to.

A Claude Code transcript belongs to the session whose `agent_session_id` is its uuid, a
Codex rollout to the one whose `agent_session_id` is its thread id, whatever the
session's source. With no such session the transcript becomes a native session (source
`claude-code` / `codex`): in the project whose `path` is its cwd, else in the run's
workspace with no project. A subagent transcript is a conversation of its own, linked
to its parent's session. Every row made here is journaled for undo.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from migration_app.legacy.transcript_rows import stable_id
from migration_app.models import MigrationItem
from migration_app.services.journal import ItemRecord
from projects_app.models import Conversation, Project, Workspace
from sessions_app.models import Session

Outcome = MigrationItem.Outcome


@dataclass(frozen=True)
class TranscriptSource:
    """One transcript file found under a home."""

    path: str
    source: str  # claude-code, codex
    relative: str  # under its home: names its archive copy and its messages' ids
    agent_id: str  # Claude session uuid (or subagent name), Codex thread id
    parent_id: str | None = None  # a subagent's session uuid


def conversation_resolve(
    *, file: TranscriptSource, workspace: Workspace, cwd: str, title: str, created_at, items: list
) -> tuple[Session, Conversation]:
    """The session and conversation of `file`, made when missing (items appended)."""
    session = _session_find(file.parent_id or file.agent_id)
    if session is None:
        session = _session_create(file, workspace, cwd, title, created_at, items)
    if file.parent_id is None and session.conversation_id:
        return session, Conversation.objects.get(pk=session.conversation_id)
    conversation, made = Conversation.objects.get_or_create(
        pk=stable_id("conversation", file.source, file.relative),
        defaults={
            "workspace_id": session.workspace_id,
            "project_id": session.project_id,
            "title": (f"{file.agent_id} (subagent)" if file.parent_id else title)[:500],
            "purpose": file.source,
            "extra_data": _conversation_extra(file, session),
            "created_at": created_at,
        },
    )
    if made:
        after = {"session": session.pk, "path": file.path}
        items.append(
            ItemRecord("conversation", str(conversation.pk), Outcome.MIGRATED, "", None, after)
        )
    if file.parent_id is None and not session.conversation_id:
        # Compare-and-set: a session given a conversation meanwhile keeps it.
        linked = Session.objects.filter(pk=session.pk, conversation__isnull=True).update(
            conversation=conversation
        )
        if linked:
            session.conversation_id = conversation.pk
            why = f"linked to the transcript {file.relative}"
            after = {"conversation": str(conversation.pk)}
            items.append(ItemRecord("session_link", session.pk, Outcome.MIGRATED, why, None, after))
    return session, conversation


def _conversation_extra(file: TranscriptSource, session: Session) -> dict:
    extra = {"source": file.source, "transcript": file.relative, "agent_session_id": file.agent_id}
    if file.parent_id:
        extra.update(subagent=file.agent_id, parent_session=session.pk)
    return extra


def _session_find(agent_id: str) -> Session | None:
    return Session.objects.filter(agent_session_id=agent_id).order_by("created_at", "pk").first()


def _session_create(file, workspace, cwd, title, created_at, items) -> Session:
    project = Project.objects.filter(path=cwd).order_by("pk").first() if cwd else None
    agent_id = file.parent_id or file.agent_id
    session_id = agent_id if not Session.objects.filter(pk=agent_id).exists() else None
    session_id = session_id or f"{file.source}-{agent_id}"
    num = 0
    if project is not None:
        num = (Session.objects.filter(project=project).aggregate(n=Max("num"))["n"] or 0) + 1
    session = Session.objects.create(
        id=session_id,
        num=num,
        workspace_id=project.workspace_id if project else workspace.pk,
        project=project,
        title=title[:500],
        harness=file.source,
        agent_session_id=agent_id,
        workspace_path=cwd[:1024],
        created_at=created_at,
        updated_at=created_at,
        source=file.source,
        source_path=file.path[:2048],
    )
    why = f"native {file.source} session" + (f" in project {project.pk}" if project else "")
    after = {"source_path": session.source_path}
    items.append(ItemRecord("session", session.pk, Outcome.MIGRATED, why, None, after))
    return session
