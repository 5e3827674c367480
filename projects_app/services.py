"""Write-side use cases of the projects app."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from projects_app.models import (
    ApiKey,
    Artifact,
    Conversation,
    Message,
    Project,
    ProjectVersion,
    Workspace,
)
from projects_app.selectors import not_found, object_get

_KEY_PREFIX_LENGTH = 12
# `last_used_at` is refreshed at most this often, so a busy key is not one UPDATE per request.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


class ConflictError(Exception):
    """The request contradicts the current state (stale selection, ambiguous id, duplicate).

    `extra` carries machine-readable facts for the client (e.g. the number of matches).
    """

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.extra = extra or {}


def _api_key_hash(secret: str) -> str:
    # The secret is 256 bits of randomness, so a fast hash is enough (no brute force).
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, user, name: str) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its hash is stored."""
    secret = "shk_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user, name=name, prefix=secret[:_KEY_PREFIX_LENGTH], key_hash=_api_key_hash(secret)
    )
    return key, secret


def api_key_authenticate(*, secret: str):
    """The active user owning this key, or None; records `last_used_at`.

    Read from the database on every call (one query: the key and its user), so a revoked
    key or a deactivated user is refused from the next request on.
    """
    keys = (
        ApiKey.objects.select_related("user")
        .only("key_hash", "last_used_at", "user")
        .filter(prefix=secret[:_KEY_PREFIX_LENGTH], revoked_at__isnull=True)
        .order_by()  # `prefix` is unique
    )
    key = next(iter(keys[:1]), None)
    valid = key is not None and secrets.compare_digest(key.key_hash, _api_key_hash(secret))
    if not valid or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= _LAST_USED_RESOLUTION:
        # Compare-and-set: of concurrent requests only one writes.
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - _LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return key.user


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def superuser_ensure(*, username: str = "admin") -> str | None:
    """Create the superuser with a generated password; None when it already exists."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password


# Fields a client may change with PATCH /projects/{id}.
PROJECT_EDITABLE_FIELDS = (
    "title", "description", "project_type", "status", "intent", "context", "settings", "config",
)  # fmt: skip


def _project_version_record(project: Project, change_type: str, summary: str, actor: str):
    """Append the next version; the caller holds the project's row lock."""
    last = project.versions.aggregate(n=Max("version_number"))["n"] or 0
    return ProjectVersion.objects.create(
        project=project,
        version_number=last + 1,
        snapshot={name: getattr(project, name) for name in PROJECT_EDITABLE_FIELDS},
        change_summary=summary,
        change_type=change_type,
        changed_by=actor,
    )


@transaction.atomic
def project_create(
    *,
    workspace: Workspace,
    intent: str,
    project_type: str | None = None,
    title: str = "",
    actor: str = "",
) -> Project:
    """A new project from the user's intent; the title defaults to the intent's first line."""
    intent = intent.strip()
    if not intent:
        raise ValidationError({"intent": ["The intent must not be empty."]})
    project = Project(
        workspace=workspace,
        intent=intent,
        title=(title or intent.splitlines()[0])[:500],
        project_type=project_type or Project.ProjectType.QUICK_TASK,
    )
    project.full_clean()
    project.save(force_insert=True)
    _project_version_record(project, ProjectVersion.ChangeType.AUTO, "Created", actor)
    return project


@transaction.atomic
def project_update(*, project: Project, changes: dict[str, Any], actor: str = "") -> Project:
    """Apply the sent fields only; every effective change appends a ProjectVersion."""
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    # The row lock serialises concurrent PATCHes, so version numbers stay dense.
    project = Project.objects.select_for_update().get(pk=project.pk)
    changed = [name for name, value in changes.items() if getattr(project, name) != value]
    if not changed:
        return project
    for name in changed:
        setattr(project, name, changes[name])
    if "status" in changed:
        archived = project.status == Project.Status.ARCHIVED
        project.archived_at = (project.archived_at or timezone.now()) if archived else None
        changed.append("archived_at")
    project.full_clean()
    project.save(update_fields=[*changed, "updated_at"])
    summary = "Changed " + ", ".join(sorted(set(changed) - {"archived_at"}))
    _project_version_record(project, ProjectVersion.ChangeType.MANUAL, summary, actor)
    return project


# --- Chat: select → ask → replace ------------------------------------------------------


def _artifact_latest_locked(project: Project, artifact_id) -> Artifact:
    """The latest version of the artifact's lineage, with the lineage locked.

    404 outside the project. The lock is taken on every version of the lineage (rows whose
    `lineage` never changes), and the latest is read by a fresh query afterwards: locking
    `is_latest=True` directly would, on PostgreSQL, make a waiting edit find no row once
    the edit it waited for has moved `is_latest`.
    """
    artifact = Artifact.objects.filter(project=project, pk=artifact_id).only("lineage").first()
    if artifact is None:
        raise not_found(Artifact, artifact_id)
    list(Artifact.objects.select_for_update().filter(lineage=artifact.lineage).values("pk"))
    return Artifact.objects.get(lineage=artifact.lineage, is_latest=True)


def _message_append(*, conversation: Conversation, **fields) -> Message:
    message = Message.objects.create(conversation=conversation, **fields)
    # F() keeps the counter right when several messages arrive at once.
    Conversation.objects.filter(pk=conversation.pk).update(
        message_count=F("message_count") + 1,
        last_message_at=message.created_at,
        updated_at=timezone.now(),
    )
    return message


@transaction.atomic
def chat_message_post(
    *,
    project: Project,
    message: str,
    conversation_id=None,
    selection: dict | None = None,
) -> Message:
    """Append the user's message, creating the conversation when none is given.

    With a selection (`artifact_id`, `selected_text`, `selection_range` {start, end}) the
    text must still be what the artifact's latest version holds at that range, else
    ConflictError: the user selected text that has changed since.
    """
    selection_record = None
    if selection is not None:
        start, end = selection["selection_range"]["start"], selection["selection_range"]["end"]
        latest = _artifact_latest_locked(project, selection["artifact_id"])
        current = latest.content[start:end] if end <= len(latest.content) else None
        if current != selection["selected_text"]:
            raise ConflictError(
                "The selected text no longer matches the artifact's latest content.",
                extra={"artifact_id": str(latest.pk), "version": latest.version},
            )
        selection_record = {
            "artifact_id": str(latest.pk),
            "lineage": str(latest.lineage),
            "version": latest.version,
            "selected_text": selection["selected_text"],
            "selection_range": {"start": start, "end": end},
        }
    if conversation_id is None:
        conversation = Conversation.objects.create(
            project=project, workspace_id=project.workspace_id, title=message.strip()[:80]
        )
    else:
        conversation = object_get(
            Conversation.objects.select_for_update().filter(project=project), key=conversation_id
        )
    if selection_record is not None:
        conversation.selection_context = selection_record
        conversation.save(update_fields=["selection_context", "updated_at"])
    extra = {"selection": selection_record} if selection_record else {}
    return _message_append(
        conversation=conversation, role=Message.Role.USER, content=message, extra_data=extra
    )


@transaction.atomic
def conversation_reply_post(
    *,
    conversation: Conversation,
    content: str,
    role: str = Message.Role.ASSISTANT,
    tool_calls: list | None = None,
    tokens_used: int = 0,
    edit: dict | None = None,
) -> tuple[Message, Artifact | None]:
    """An agent's reply; with `edit` the artifact's next version replaces the range.

    The old version stays (history); `is_latest` moves to the new row of the same lineage.
    """
    new_version = None
    extra: dict[str, Any] = {}
    if edit is not None:
        start, end = edit["selection_range"]["start"], edit["selection_range"]["end"]
        latest = _artifact_latest_locked(conversation.project, edit["artifact_id"])
        if str(latest.pk) != str(edit["artifact_id"]):
            # The range was computed against an older version: replacing it would lose edits.
            raise ConflictError(
                "The artifact has a newer version; compute the range against it.",
                extra={"artifact_id": str(latest.pk), "version": latest.version},
            )
        if end > len(latest.content):
            raise ValidationError(
                {"edit": [f"The range ends after the artifact's {len(latest.content)} characters."]}
            )
        Artifact.objects.filter(pk=latest.pk).update(is_latest=False, updated_at=timezone.now())
        new_version = Artifact.objects.create(
            project_id=latest.project_id,
            conversation=conversation,
            lineage=latest.lineage,
            name=latest.name,
            artifact_type=latest.artifact_type,
            mime_type=latest.mime_type,
            content=latest.content[:start] + edit["replacement"] + latest.content[end:],
            version=latest.version + 1,
            parent_version=latest,
            is_latest=True,
        )
        extra["edit"] = {
            "artifact_id": str(new_version.pk),
            "parent_artifact_id": str(latest.pk),
            "version": new_version.version,
            "selection_range": {"start": start, "end": end},
            "replacement": edit["replacement"],
        }
    message = _message_append(
        conversation=conversation,
        role=role,
        content=content,
        extra_data=extra,
        tool_calls=tool_calls,
        tokens_used=tokens_used,
    )
    return message, new_version
