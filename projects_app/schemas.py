"""Request and response shapes of the project endpoints (separate In / Out / Patch)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, model_validator

from projects_app.models import Message, Project

ProjectType = Literal[tuple(Project.ProjectType.values)]
ProjectStatus = Literal[tuple(Project.Status.values)]
ReplyRole = Literal[
    Message.Role.ASSISTANT.value, Message.Role.SYSTEM.value, Message.Role.TOOL.value
]


class Out(BaseModel):
    """Base of every response shape: plain pydantic reading model attributes.

    pydantic-core reads the attributes itself; ninja's Schema would route every field
    through its Python-level DjangoGetter, several times slower on list pages. No Out
    shape needs ninja resolvers.
    """

    model_config = ConfigDict(from_attributes=True)


class In(Schema):
    """Base of every request body: a field the schema does not name is refused (422 naming
    it), never silently ignored (`PATCH {"workstream": …}` would otherwise change nothing
    and answer 200)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Out):
    detail: Any
    code: str


class ProjectIn(In):
    workspace_id: UUID
    intent: str = Field(..., min_length=1, max_length=20_000)
    project_type: ProjectType | None = None
    title: str | None = Field(None, max_length=500)


class ProjectPatch(In):
    """Only the fields sent are changed. `config: null` clears it; other fields refuse null."""

    title: str = Field(None, max_length=500)
    description: str = None
    project_type: ProjectType = None
    status: ProjectStatus = None
    intent: str = None
    context: dict[str, Any] = None
    settings: dict[str, Any] = None
    config: dict[str, Any] | None = None


class ProjectOut(Out):
    id: str
    workspace_id: UUID
    title: str
    description: str
    project_type: str
    status: str
    intent: str
    context: Any
    settings: Any
    path: str
    repo_origin_url: str
    kind: str
    config: Any = None
    registered_at: datetime | None
    archived_at: datetime | None
    source: str
    created_at: datetime
    updated_at: datetime


class ConversationOut(Out):
    id: UUID
    project_id: str | None
    workspace_id: UUID
    title: str
    purpose: str
    status: str
    selection_context: Any = None
    message_count: int
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MessageOut(Out):
    id: UUID
    conversation_id: UUID
    role: str
    content: str
    tool_calls: Any = None
    tool_call_id: str
    extra_data: Any
    tokens_used: int
    created_at: datetime


class ArtifactOut(Out):
    id: UUID
    project_id: str | None
    conversation_id: UUID | None
    lineage: UUID
    name: str
    artifact_type: str
    content: str
    mime_type: str
    version: int
    parent_version_id: UUID | None
    is_latest: bool
    created_at: datetime
    updated_at: datetime


class ProjectVersionOut(Out):
    id: int
    project_id: str
    version_number: int
    snapshot: Any
    change_summary: str
    change_type: str
    changed_by: str
    created_at: datetime


class TextRange(In):
    """Character offsets into the artifact's content, `end` exclusive."""

    start: int = Field(..., ge=0, le=10_000_000)
    end: int = Field(..., ge=0, le=10_000_000)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class SelectionIn(In):
    artifact_id: UUID
    selected_text: str
    selection_range: TextRange


class ChatIn(In):
    message: str = Field(..., min_length=1, max_length=100_000)
    conversation_id: UUID | None = None
    selection: SelectionIn | None = None


class ChatOut(Out):
    conversation_id: UUID
    message_id: UUID


class EditIn(In):
    artifact_id: UUID
    selection_range: TextRange
    replacement: str


class ReplyIn(In):
    content: str = Field(..., max_length=1_000_000)
    role: ReplyRole = Message.Role.ASSISTANT.value
    tool_calls: list[Any] | None = None
    tokens_used: int = Field(0, ge=0, le=2_000_000_000)
    edit: EditIn | None = None


class ReplyOut(Out):
    conversation_id: UUID
    message: MessageOut
    artifact: ArtifactOut | None = None
