"""Full-text search over messages, sessions and projects (read side; issue 19).

Each kind is one ORM query joined to its index (FTS5 table or `search_vector` column,
see search_schema) and ranked there; the pages are merged by score. Every value from
the user is a bound parameter: the match expression is built by search_query from
the user's words only.
"""

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT, KeyTransform

from projects_app.models import Conversation, Message, Project
from projects_app.selectors import workspace_scope
from sessions_app import search_postgresql
from sessions_app.models import Session
from sessions_app.search_query import (
    QueryError,
    SearchQuery,
    fts5_expression,
    fts5_words_expression,
    query_parse,
)
from sessions_app.search_schema import INDEXES, TRIGRAM_COLUMNS
from sessions_app.search_snippets import snippet_html
from sessions_app.selectors import id_prefix_q, session_search_qualified

MAX_RESULTS = 1000  # how deep pages go: ranking beyond this is noise
RANK_LIMIT = 10_000  # candidates ranked by relevance; more: newest first
# PostgreSQL ranks a candidate by reading its vector from the table. At 1,000,000 messages
# (a kept database, 2026-12-06, 30 words × 3 rounds) ranking up to 10,000 matches put the
# p95 of one word at 113 ms, up to 5,000 at 44 ms. A filtered query ranks only what its
# filters keep, while reading newest first must skip the rest: its p95 was 74 ms with
# 10,000 and 146 ms with 5,000, so it keeps RANK_LIMIT.
UNFILTERED_RANK_LIMIT = {"postgresql": 5_000}
INVALID_CURSOR = "Not a cursor of this search: pass `next_cursor` as it was given."


@dataclass(frozen=True)
class SearchFilters:
    workspace_id: str | None = None
    project_id: str | None = None
    source: str | None = None
    role: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    has_errors: bool = False

    def __post_init__(self):
        # The same moments in UTC: PostgreSQL refuses offsets beyond ±15:59 (a DataError
        # that would abort the request's transaction), Python allows up to ±23:59. A time
        # without an offset is read as UTC, as the hub reads every naive timestamp.
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
            except OverflowError:
                raise ValidationError(f"`{name}` is out of range.") from None
            object.__setattr__(self, name, value)


@dataclass
class SearchHit:
    kind: str  # message, session, project
    obj: object
    score: float
    session: Session | None = None


def _vendor(queryset: QuerySet) -> str:
    return connections[queryset.db].vendor


def _pg_tsquery(query: SearchQuery) -> tuple[str, list]:
    """A tsquery expression of bound parameters: each term parsed by PostgreSQL's own
    text parser (phraseto_tsquery), never as tsquery syntax."""
    parts = ["phraseto_tsquery('simple', %s)"] * len(query.include)
    parts += ["!! phraseto_tsquery('simple', %s)"] * len(query.exclude)
    return "(" + " && ".join(parts) + ")", [t.text for t in (*query.include, *query.exclude)]


def _candidate_count(*, kind: str, query: SearchQuery, cap: int) -> int:
    """How many rows hold every word of the query (on SQLite counted up to `cap` + 1):
    ranking reads all of them (a phrase is checked in each), so they, not the matches,
    are its cost. 1,000,000 messages: a phrase of two common words, 5,412 matches among
    more than 10,000 such rows, took 290 ms counted and ranked on SQLite; read newest
    first, 1 ms."""
    table, fts, _, _ = INDEXES[kind]
    connection = connections["default"]
    if connection.vendor == "postgresql":
        words = [term.text for term in query.include]
        return search_postgresql.candidate_count(table=table, words=words, cap=cap)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH %s LIMIT %s) AS m",
            [fts5_words_expression(query.include), cap + 1],
        )
        return cursor.fetchone()[0]


def _matching(
    queryset: QuerySet, *, kind: str, query: SearchQuery, ranked: bool = True
) -> QuerySet:
    """`queryset` restricted to rows matching the query's words, with a `score` (0 when
    not `ranked`: the caller orders by recency)."""
    table, fts, _, _ = INDEXES[kind]
    if _vendor(queryset) == "sqlite":
        expression = fts5_expression(query.include, query.exclude)
        return queryset.extra(
            select={"score": f"-bm25({fts})" if ranked else "0.0", "position": f"{fts}.rowid"},
            tables=[fts],
            where=[f"{fts}.rowid = {table}.rowid", f"{fts} MATCH %s"],
            params=[expression],
        )
    tsquery, params = _pg_tsquery(query)
    return queryset.extra(
        select={"score": f"ts_rank({table}.search_vector, {tsquery})" if ranked else "0.0"},
        select_params=params if ranked else [],
        where=[f"{table}.search_vector @@ {tsquery}"],
        params=params,
    )


def _qualified_sessions(*, user, query: SearchQuery) -> QuerySet | None:
    if not query.qualifiers:
        return None
    sessions = workspace_scope(Session.objects.all(), user=user)
    for qualifier, value in query.qualifiers:
        sessions = session_search_qualified(queryset=sessions, term=f"{qualifier}:{value}")
    return sessions


def _subagent_conversations(*, sessions: QuerySet) -> QuerySet:
    """Conversations of the subagents of `sessions` (a values("id") query): their
    extra_data names the parent session, compared as text on both databases."""
    conversations = Conversation.objects.alias(parent=KT("extra_data__parent_session"))
    return conversations.filter(parent__in=sessions).values("id")


def _message_hits(*, user, query, filters: SearchFilters, sessions, limit) -> list[SearchHit]:
    messages = workspace_scope(Message.objects.all(), user=user, field="conversation__workspace")
    f = filters
    messages = _filtered(
        messages, conversation__workspace_id=f.workspace_id, role=f.role,
        created_at__gte=f.since, created_at__lt=f.until,
        extra_data__is_error=True if f.has_errors else None,
    )  # fmt: skip
    if f.project_id:
        messages = messages.filter(
            Q(conversation__project_id=f.project_id)
            | Q(conversation__session__project_id=f.project_id)
        )
    if f.source:
        parents = Session.objects.filter(source=f.source).values("id")
        messages = messages.filter(
            Q(conversation__session__source=f.source)
            | Q(conversation__in=_subagent_conversations(sessions=parents))
        )
    if sessions is not None:
        messages = messages.filter(
            Q(conversation__session__in=sessions)
            | Q(conversation__in=_subagent_conversations(sessions=sessions.values("id")))
        )
    # Past RANK_LIMIT candidates (a very common word or phrase) the newest matches come
    # first instead, read backwards until a page is full (SQLite: the FTS index's rowid
    # order; PostgreSQL: message_created_id_idx), so a query costs about the same at any
    # table size.
    cap = RANK_LIMIT
    if sessions is None and filters == SearchFilters():
        cap = UNFILTERED_RANK_LIMIT.get(_vendor(messages), RANK_LIMIT)
    candidates = _candidate_count(kind="message", query=query, cap=cap)
    ranked = candidates <= cap
    rows = _matching(messages, kind="message", query=query, ranked=ranked)
    rows = rows.defer("extra_data", "tool_calls")
    rows = rows.annotate(is_error=KeyTransform("is_error", "extra_data"))
    if ranked:
        order = ["-score", "id"]
    elif _vendor(rows) == "sqlite":
        order = ["-position"]  # the index's own order, newest rows last
    else:
        order = ["-created_at", "-id"]
    rows = rows.select_related("conversation").order_by(*order)
    page = None
    phrase = any(len(term.words) > 1 for term in query.include)
    if (
        not ranked
        and phrase
        and _vendor(rows) == "postgresql"
        and candidates <= search_postgresql.WINDOW_CANDIDATES
    ):
        page = search_postgresql.recent_page(rows, limit=limit)
    if page is None:
        page = rows[:limit]
    return [SearchHit(kind="message", obj=m, score=m.score) for m in page]


def _text_or_identifier(
    queryset: QuerySet, *, kind: str, query: SearchQuery, ranked: bool = True
) -> QuerySet:
    """Rows matching the words, or (for a query of one punctuated term) its substring."""
    if _punctuated_term(query) is None:
        return _matching(queryset, kind=kind, query=query, ranked=ranked)
    return queryset.filter(_text_q(kind=kind, query=query)).extra(select={"score": "0.0"})


def _punctuated_term(query: SearchQuery):
    """The query's only term when it is code-like (an id, a branch, a path), else None."""
    term = query.include[0] if len(query.include) == 1 and not query.exclude else None
    return term if term is not None and term.code_like else None


def _text_q(*, kind: str, query: SearchQuery) -> Q:
    """Rows matching the words, as a condition that can be ORed with others; for one
    punctuated term also its substring of ids, branches and paths (trigram-indexed on
    PostgreSQL). The match is a self-contained subquery: `_matching`'s rows as a subquery
    named the outer table in its raw SQL, so the index was searched again for every row
    (200,000 sessions: 25 s for a list page, 2026-12-07)."""
    table, fts, _, _ = INDEXES[kind]
    if connections["default"].vendor == "sqlite":
        sql = (f"SELECT m.id FROM {table} m JOIN {fts} ON {fts}.rowid = m.rowid "
               f"WHERE {fts} MATCH %s")  # fmt: skip
        params = [fts5_expression(query.include, query.exclude)]
    else:
        tsquery, params = _pg_tsquery(query)
        sql = f"SELECT m.id FROM {table} m WHERE m.search_vector @@ {tsquery}"
    condition = Q(pk__in=RawSQL(sql, params))
    term = _punctuated_term(query)
    if term is not None:
        columns = TRIGRAM_COLUMNS[table]
        condition |= Q(*((f"{c}__icontains", term.text) for c in columns), _connector=Q.OR)
    return condition


def _row_filters(queryset: QuerySet, *, filters: SearchFilters, project_field: str) -> QuerySet:
    """The filters sessions and projects share (their own workspace, source, time)."""
    f = filters
    return _filtered(
        queryset, workspace_id=f.workspace_id, **{project_field: f.project_id}, source=f.source,
        created_at__gte=f.since, created_at__lt=f.until,
    )  # fmt: skip


def _filtered(queryset: QuerySet, **conditions) -> QuerySet:
    """`queryset` filtered by the conditions whose value is given (not None)."""
    return queryset.filter(**{k: v for k, v in conditions.items() if v is not None})


def _session_hits(*, user, query, filters: SearchFilters, sessions, limit) -> list[SearchHit]:
    f = filters
    if f.role:
        return []
    base = sessions if sessions is not None else workspace_scope(Session.objects.all(), user=user)
    base = _row_filters(base, filters=f, project_field="project_id")
    if f.has_errors:
        base = base.filter(status=Session.Status.FAILED)
    if query.include:
        rows = _text_or_identifier(base, kind="session", query=query).order_by("-score", "id")
    else:  # qualifiers only: the session list's own search
        rows = base.extra(select={"score": "0.0"}).order_by("-created_at", "id")
    rows = rows.select_related("project").defer("metadata")[:limit]
    return [SearchHit(kind="session", obj=s, score=s.score, session=s) for s in rows]


def session_list_search(*, queryset: QuerySet, term: str) -> QuerySet:
    """The session list's search box: `queryset` restricted to what `term` asks, each row
    with a `score` (the list ranks by it unless a column is sorted; 0 for all past
    RANK_LIMIT candidates). `id:`, `task:` and
    `issue:` filter their indexed field; the words (and "phrases", -exclusions) go through
    the full-text index of the session's own text (title, name, prompt, issue, branch,
    task); a single token that begins some session's id also finds those (newest first).
    Raises QueryError, as the search page does, for a malformed query."""
    query = query_parse(text=term)
    for qualifier, value in query.qualifiers:
        queryset = session_search_qualified(queryset=queryset, term=f"{qualifier}:{value}")
    unranked = {"score": "0.0"}
    if not query.include:
        return queryset.extra(select=unranked)
    # Past RANK_LIMIT rows holding the words, ranking is noise and costs a read of each:
    # the list shows them newest first (score 0), as the search page does.
    ranked = _candidate_count(kind="session", query=query, cap=RANK_LIMIT) <= RANK_LIMIT
    found = _text_or_identifier(queryset, kind="session", query=query, ranked=ranked)
    token = term.strip()
    if query.qualifiers or " " in token or not queryset.filter(id_prefix_q(token)).exists():
        return found
    # Also the sessions whose id it begins (one primary-key probe said there are some):
    # both sets, newest first.
    text = _text_q(kind="session", query=query)
    return queryset.filter(text | id_prefix_q(token)).extra(select=unranked)


def _project_hits(*, user, query, filters: SearchFilters, limit) -> list[SearchHit]:
    f = filters
    if f.role or f.has_errors or query.qualifiers or not query.include:
        return []
    projects = workspace_scope(Project.objects.all(), user=user)
    projects = _row_filters(projects, filters=f, project_field="pk")
    rows = _text_or_identifier(projects, kind="project", query=query).order_by("-score", "id")
    rows = rows.only("id", "title", "intent", "source", "workspace_id", "created_at")[:limit]
    return [SearchHit(kind="project", obj=p, score=p.score) for p in rows]


def _attach_sessions(hits: list[SearchHit]) -> None:
    """The session of each message hit: its conversation's, or the parent of a subagent's."""
    conversations = {h.obj.conversation_id for h in hits if h.kind == "message"}
    if not conversations:
        return
    own = {s.conversation_id: s for s in Session.objects.filter(conversation_id__in=conversations)}
    parents = {
        h.obj.conversation.extra_data.get("parent_session")
        for h in hits
        if h.kind == "message" and h.obj.conversation_id not in own
    } - {None}
    parent = Session.objects.in_bulk([p for p in parents if isinstance(p, str)])
    for hit in hits:
        if hit.kind == "message":
            conversation = hit.obj.conversation
            hit.session = own.get(conversation.pk) or parent.get(
                (conversation.extra_data or {}).get("parent_session")
            )


def search_hits(
    *, user, query: SearchQuery, filters: SearchFilters, offset: int = 0, limit: int = 20
) -> tuple[list[SearchHit], bool]:
    """One page of hits, best first, and whether there is a next page."""
    wanted = min(offset + limit + 1, MAX_RESULTS + 1)
    sessions = _qualified_sessions(user=user, query=query)
    hits: list[SearchHit] = []
    if query.include:
        hits += _message_hits(
            user=user, query=query, filters=filters, sessions=sessions, limit=wanted
        )
    hits += _session_hits(user=user, query=query, filters=filters, sessions=sessions, limit=wanted)
    hits += _project_hits(user=user, query=query, filters=filters, limit=wanted)
    hits.sort(key=lambda h: -h.score)  # stable: each kind keeps its own order on ties
    page = hits[offset : offset + limit]
    _attach_sessions(page)
    more = len(hits) > offset + limit and offset + limit < MAX_RESULTS
    return page, more


def _hit_text(hit: SearchHit) -> str:
    obj = hit.obj
    if hit.kind == "message":
        return obj.content
    if hit.kind == "session":
        return " · ".join(
            t for t in (obj.title, obj.display_name, obj.prompt, obj.issue_id, obj.branch) if t
        )
    return " · ".join(t for t in (obj.title, obj.intent) if t)


def hit_as_dict(hit: SearchHit, *, words) -> dict:
    """A hit as the API and the admin page show it (snippet: escaped, matches in <mark>)."""
    obj, session = hit.obj, hit.session
    conversation_id = getattr(obj, "conversation_id", None)  # a project has none
    if hit.kind == "message":
        project_id = obj.conversation.project_id or (session.project_id if session else None)
        workspace_id = obj.conversation.workspace_id
    else:
        project_id = obj.pk if hit.kind == "project" else obj.project_id
        workspace_id = obj.workspace_id
    return {
        "kind": hit.kind,
        "id": str(obj.pk),
        "score": hit.score,
        "snippet": str(snippet_html(text=_hit_text(hit), words=words)),
        "role": obj.role if hit.kind == "message" else None,
        "is_error": bool(obj.is_error) if hit.kind == "message" else None,
        "session_id": session.pk if session else None,
        "session_title": (session.title or session.display_name) if session else None,
        "project_id": project_id,
        "workspace_id": str(workspace_id),
        "conversation_id": str(conversation_id) if conversation_id else None,
        "source": (session.source if session else getattr(obj, "source", None)) or None,
        "created_at": obj.created_at,
    }


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()[2:])
        if not cursor.isascii() or offset < 0 or offset >= MAX_RESULTS:
            raise ValueError
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
    return offset


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def search_page(
    *, user, text: str, filters: SearchFilters, cursor: str | None = None, limit: int = 20
) -> dict:
    """{"items": hits as dicts, "next_cursor"}; a malformed query or cursor is a
    ValidationError naming the reason (400 in the API, a shown error in the admin)."""
    try:
        query = query_parse(text=text)
    except QueryError as error:
        raise ValidationError({"q": [str(error)]}) from None
    offset = _cursor_offset(cursor)
    hits, more = search_hits(user=user, query=query, filters=filters, offset=offset, limit=limit)
    return {
        "items": [hit_as_dict(hit, words=query.highlight_words) for hit in hits],
        "next_cursor": _cursor(offset + limit) if more else None,
    }
