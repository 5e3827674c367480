"""GET /api/v1/search (mounted by config/api.py): one search over messages, sessions and
projects of the caller's workspaces; query syntax in sessions_app/search_query.py."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Query, Router

from projects_app.models import Message
from projects_app.schemas import ErrorOut, Out
from sessions_app.search_selectors import SearchFilters, search_page

router = Router(tags=["search"])

PAGE = 20


class SearchHitOut(Out):
    kind: Literal["message", "session", "project"]
    id: str
    score: float
    snippet: str  # HTML: the text escaped, each matching word in <mark>
    role: str | None
    is_error: bool | None
    session_id: str | None
    session_title: str | None
    project_id: str | None
    workspace_id: UUID
    conversation_id: UUID | None
    source: str | None
    created_at: datetime


class SearchPageOut(Out):
    items: list[SearchHitOut]
    next_cursor: str | None


@router.get("/search", response={200: SearchPageOut, 400: ErrorOut})
def search(
    request,
    q: str,
    project: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    workspace_id: UUID | None = None,
    role: Literal[tuple(Message.Role.values)] | None = None,
    has_errors: bool = False,
    limit: int = Query(PAGE, ge=1, le=100),
):
    """Hits best first: words, "phrases", -exclusions, and id:, task:, issue: to filter by
    session. A malformed query is a 400 naming the reason. Pass `next_cursor` back as
    `cursor` for the next page (at most 1000 hits deep)."""
    filters = SearchFilters(
        workspace_id=str(workspace_id) if workspace_id else None,
        project_id=project,
        source=source,
        role=role,
        since=since,
        until=until,
        has_errors=has_errors,
    )
    return search_page(user=request.auth, text=q, filters=filters, cursor=cursor, limit=limit)
