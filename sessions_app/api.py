"""REST endpoints of sessions_app (mounted by config/api.py).

Operations on one URL must share one router and one path string: session detail
operations are all written "/sessions/{session_id}" (migration_app adds PATCH to it).
The three session-centric endpoints of the TokenDance guide are deprecated (`_deprecated`).
"""

from functools import wraps
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.http import http_date
from ninja import Query, Router
from ninja.conf import settings as ninja_settings
from ninja.decorators import decorate_view
from ninja.pagination import paginate
from ninja.responses import Status

from projects_app.schemas import ErrorOut, MessageOut
from projects_app.selectors import (
    message_list,
    project_get,
    workspace_get_for_user,
    workspace_list_for_user,
)
from projects_app.services import ConflictError
from sessions_app import selectors, services, transcripts, usage_rollups
from sessions_app.schemas import (
    SessionCreateIn,
    SessionOut,
    SessionUsageOut,
    TranscriptPageOut,
    UsageOut,
    WorkstreamIn,
    WorkstreamOut,
    WorkstreamState,
)

router = Router(tags=["sessions"])


def _deprecation_headers(view):
    """RFC 9745 `Deprecation`, RFC 8594 `Sunset` and the successor `Link`, dates from
    settings.SESSION_API_DEPRECATED_AT / _SUNSET_AT. Applied in VIEW mode (ninja's
    `decorate_view`): on every response of the operation, 401, 404 and 422 alike."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Deprecation"] = f"@{int(settings.SESSION_API_DEPRECATED_AT.timestamp())}"
        response["Sunset"] = http_date(settings.SESSION_API_SUNSET_AT.timestamp())
        response["Link"] = '</api/v1/projects>; rel="successor-version"'
        return response

    return wrapper


def _deprecated(method: str, path: str, response: dict):
    """A session-centric operation: flagged in OpenAPI, with the deprecation headers."""
    route = router.api_operation(
        [method], path, response=response, deprecated=True, tags=["sessions (deprecated)"]
    )
    return lambda view: route(decorate_view(_deprecation_headers)(view))


@_deprecated("POST", "/sessions", {201: SessionOut, 400: ErrorOut, 404: ErrorOut})
def session_create(request, payload: SessionCreateIn):
    """Deprecated: use `POST /api/v1/projects`."""
    workspace = workspace_get_for_user(user=request.auth, workspace_id=payload.workspace_id)
    return Status(201, services.session_create(workspace=workspace, title=payload.title))


@_deprecated("GET", "/sessions", {200: list[SessionOut], 404: ErrorOut})
@paginate
def session_list(request, workspace_id: UUID | None = None):
    """Deprecated: use `GET /api/v1/projects?workspace_id=…`. Newest first."""
    if workspace_id is not None:
        workspace_get_for_user(user=request.auth, workspace_id=workspace_id)
    return selectors.session_list(user=request.auth, workspace_id=workspace_id)


@_deprecated("GET", "/sessions/{session_id}/messages", {200: list[MessageOut], 404: ErrorOut})
@paginate
def session_message_list(request, session_id: str):
    """Deprecated: use `GET /api/v1/projects/{id}/conversations` and their messages."""
    session = selectors.session_get(user=request.auth, session_id=session_id)
    if session.conversation_id is None:
        return []
    return message_list(conversation=session.conversation)


@router.get("/sessions/", response={404: ErrorOut}, include_in_schema=False)
def session_detail_empty_id(request):
    # `/sessions/` is an empty id: answer the API's own 404, not Django's HTML page.
    raise Http404("Session '' not found.")


@router.get(
    "/sessions/{session_id}",
    response={200: SessionOut, 404: ErrorOut, 409: ErrorOut},
)
def session_detail(request, session_id: str):
    """One session by id or by an unambiguous id prefix (several matches: 409 with `matches`)."""
    return selectors.session_get_by_prefix(user=request.auth, id_or_prefix=session_id)


@router.post("/sessions/{session_id}/archive", response={200: SessionOut, 404: ErrorOut})
def session_archive(request, session_id: str):
    session = selectors.session_get(user=request.auth, session_id=session_id)
    return services.session_archive(session=session)


@router.get(
    "/sessions/{session_id}/transcript",
    response={200: TranscriptPageOut, 400: ErrorOut, 404: ErrorOut},
)
def session_transcript(
    request,
    session_id: str,
    cursor: str | None = None,
    limit: int = Query(
        ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT
    ),
):
    """The session's transcript: its conversation's messages and its subagents', oldest
    first (`subagent` names the subagent's conversation). Pass `next_cursor` back as
    `cursor` for the next page; it is null after the last one."""
    session = selectors.session_get(user=request.auth, session_id=session_id)
    entries, next_cursor = transcripts.transcript_page(session=session, cursor=cursor, limit=limit)
    return {"items": [entry.as_dict() for entry in entries], "next_cursor": next_cursor}


@router.get("/sessions/{session_id}/usage", response={200: SessionUsageOut, 404: ErrorOut})
def session_usage(request, session_id: str):
    """The session's tokens and estimated cost per model and origin, its subagents apart
    (`subagents`), and totals of itself, its subagents and both."""
    session = selectors.session_get(user=request.auth, session_id=session_id)
    return usage_rollups.session_usage(session=session)


@router.get("/usage", response={200: UsageOut, 400: ErrorOut})
def usage_list(
    request,
    group_by: str = "day",
    since: str | None = None,
    until: str | None = None,
    tz: str = "UTC",
):
    """Tokens and estimated cost of the caller's workspaces grouped by `day` (in `tz`, an
    IANA name), `session`, `project`, `workspace`, `model` or `source`. `since` / `until`:
    a date (until includes its day) or an ISO datetime. A bad group_by, tz or date is 400."""
    try:
        zone = usage_rollups.usage_tz(name=tz)
        records = usage_rollups.usage_records(
            workspace_ids=workspace_list_for_user(user=request.auth),
            since=usage_rollups.usage_bound(value=since, tz=zone, end=False),
            until=usage_rollups.usage_bound(value=until, tz=zone, end=True),
        )
        items = usage_rollups.usage_rollup(records=records, group_by=(group_by,), tz=zone)
    except usage_rollups.UsageQueryError as exc:
        raise ValidationError(str(exc)) from exc
    versions = usage_rollups.usage_price_versions(records=records)
    return {"group_by": group_by, "tz": tz, "items": items, "price_versions": versions}


@router.get("/projects/{project_id}/sessions", response={200: list[SessionOut], 404: ErrorOut})
@paginate
def project_session_list(request, project_id: str, archived: bool | None = None):
    """A project's sessions, newest first; `archived=true` only the archived ones,
    `archived=false` the others (the ao-rs store's `list_for_project` / `list_archived`)."""
    project = project_get(user=request.auth, project_id=project_id)
    return selectors.session_list_for_project(project=project, archived=archived)


@router.get("/issues/{issue_id}/sessions", response=list[SessionOut])
@paginate
def issue_session_list(request, issue_id: str, active: bool | None = None):
    """Sessions on an issue; `active=true` lists the live ones (duplicate check before spawning)."""
    return selectors.session_list_for_issue(user=request.auth, issue_id=issue_id, active=active)


@router.get("/workstreams", response={200: list[WorkstreamOut], 404: ErrorOut})
@paginate
def workstream_list(
    request, workspace_id: UUID | None = None, state: WorkstreamState | None = None
):
    """A `workspace_id` the caller is not a member of is 404, as for `GET /sessions`."""
    if workspace_id is not None:
        workspace_get_for_user(user=request.auth, workspace_id=workspace_id)
    return selectors.workstream_list(user=request.auth, workspace_id=workspace_id, state=state)


@router.post(
    "/workstreams",
    response={201: WorkstreamOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def workstream_create(request, payload: WorkstreamIn):
    """A named workstream and its directories; the id follows the name rule (else 400)."""
    workspace = workspace_get_for_user(user=request.auth, workspace_id=payload.workspace_id)
    if selectors.workstream_exists(workstream_id=payload.id):
        raise ConflictError(f"A workstream named {payload.id!r} already exists.")
    workstream = services.workstream_create(
        workstream_id=payload.id, workspace=workspace, title=payload.title, summary=payload.summary
    )
    return Status(201, workstream)
