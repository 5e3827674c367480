"""REST endpoints of projects_app (mounted by config/api.py): the project-first API.

Thin: parse, call one selector or service, return. Rows of workspaces the caller is not a
member of raise DoesNotExist in the selectors, which config/api.py answers with 404.
"""

from uuid import UUID

from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from projects_app import selectors, services
from projects_app.pagination import CachedLimitOffsetPagination
from projects_app.schemas import (
    ArtifactOut,
    ChatIn,
    ChatOut,
    ConversationOut,
    ErrorOut,
    MessageOut,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ProjectStatus,
    ProjectVersionOut,
    ReplyIn,
    ReplyOut,
)

router = Router(tags=["projects"])

NOT_FOUND = {404: ErrorOut}


@router.post("/projects", response={201: ProjectOut, 400: ErrorOut, 404: ErrorOut})
def project_create(request, payload: ProjectIn):
    workspace = selectors.workspace_get_for_user(
        user=request.auth, workspace_id=payload.workspace_id
    )
    project = services.project_create(
        workspace=workspace,
        intent=payload.intent,
        project_type=payload.project_type,
        title=payload.title or "",
        actor=request.auth.get_username(),
    )
    return Status(201, project)


# The list page reads exactly ProjectOut's columns as dicts: no model instances to build.
PROJECT_OUT_FIELDS = tuple(ProjectOut.model_fields)


@router.get("/projects", response={200: list[ProjectOut], 404: ErrorOut})
@paginate(CachedLimitOffsetPagination)
def project_list(request, workspace_id: UUID | None = None, status: ProjectStatus | None = None):
    """Newest first. A `workspace_id` the caller is not a member of is 404."""
    if workspace_id is not None:
        selectors.workspace_get_for_user(user=request.auth, workspace_id=workspace_id)

    def page_query():  # built only when the page is not in the cache
        projects = selectors.project_list(
            user=request.auth, workspace_id=workspace_id, status=status
        )
        return projects.values(*PROJECT_OUT_FIELDS)

    return page_query


@router.get("/projects/{project_id}", response={200: ProjectOut, **NOT_FOUND})
def project_detail(request, project_id: str):
    return selectors.project_get(user=request.auth, project_id=project_id)


@router.patch("/projects/{project_id}", response={200: ProjectOut, 400: ErrorOut, **NOT_FOUND})
def project_update(request, project_id: str, payload: ProjectPatch):
    project = selectors.project_get(user=request.auth, project_id=project_id)
    return services.project_update(
        project=project,
        changes=payload.dict(exclude_unset=True),
        actor=request.auth.get_username(),
    )


@router.get(
    "/projects/{project_id}/conversations", response={200: list[ConversationOut], **NOT_FOUND}
)
@paginate
def conversation_list(request, project_id: str):
    project = selectors.project_get(user=request.auth, project_id=project_id)
    return selectors.conversation_list(project=project)


@router.get(
    "/projects/{project_id}/conversations/{conversation_id}/messages",
    response={200: list[MessageOut], **NOT_FOUND},
)
@paginate
def message_list(request, project_id: str, conversation_id: UUID):
    project = selectors.project_get(user=request.auth, project_id=project_id)
    conversation = selectors.conversation_get(project=project, conversation_id=conversation_id)
    return selectors.message_list(conversation=conversation)


@router.post(
    "/projects/{project_id}/conversations/{conversation_id}/messages",
    response={201: ReplyOut, 400: ErrorOut, 409: ErrorOut, **NOT_FOUND},
)
def conversation_reply(request, project_id: str, conversation_id: UUID, payload: ReplyIn):
    """An agent's reply; with `edit` the artifact gets its next version (select → ask → replace)."""
    project = selectors.project_get(user=request.auth, project_id=project_id)
    conversation = selectors.conversation_get(project=project, conversation_id=conversation_id)
    message, artifact = services.conversation_reply_post(
        conversation=conversation,
        content=payload.content,
        role=payload.role,
        tool_calls=payload.tool_calls,
        tokens_used=payload.tokens_used,
        edit=payload.edit.dict() if payload.edit else None,
    )
    return Status(
        201, {"conversation_id": conversation.pk, "message": message, "artifact": artifact}
    )


@router.get("/projects/{project_id}/artifacts", response={200: list[ArtifactOut], **NOT_FOUND})
@paginate
def artifact_list(
    request, project_id: str, all_versions: bool = False, lineage: UUID | None = None
):
    """Latest versions by default; `all_versions=true` (optionally one `lineage`) for history."""
    project = selectors.project_get(user=request.auth, project_id=project_id)
    return selectors.artifact_list(project=project, all_versions=all_versions, lineage=lineage)


@router.get("/projects/{project_id}/versions", response={200: list[ProjectVersionOut], **NOT_FOUND})
@paginate
def project_version_list(request, project_id: str):
    project = selectors.project_get(user=request.auth, project_id=project_id)
    return selectors.project_version_list(project=project)


@router.post(
    "/projects/{project_id}/chat",
    response={201: ChatOut, 409: ErrorOut, **NOT_FOUND},
)
def chat(request, project_id: str, payload: ChatIn):
    """Append the user's message; a `selection` must match the artifact's latest text (409)."""
    project = selectors.project_get(user=request.auth, project_id=project_id)
    message = services.chat_message_post(
        project=project,
        message=payload.message,
        conversation_id=payload.conversation_id,
        selection=payload.selection.dict() if payload.selection else None,
    )
    return Status(201, {"conversation_id": message.conversation_id, "message_id": message.pk})
