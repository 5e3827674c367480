import os
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import path

from projects_app.admin_display import (
    ReadableList,
    UsageColumns,
    ellipsis,
    ellipsis_column,
    short_id_column,
)
from sessions_app.files import session_work_dir, tree_usage, workstream_usage
from sessions_app.models import Session, Workstream
from sessions_app.paginators import EstimatedCountPaginator
from sessions_app.search_admin import search_view
from sessions_app.search_query import QueryError
from sessions_app.search_selectors import session_list_search
from sessions_app.transcript_view import transcript_view_page
from sessions_app.usage_panel import session_usage_panel
from sessions_app.usage_rollups import usage_annotate


def transcript_view_context(request, session: Session) -> dict:
    """The viewer's page for the session page's query string (parameters `t_conv`,
    `t_after`, `t_before`, `t_error`, `t_hidden`: apart from the admin's own), and the
    links of its controls."""
    get = request.GET
    hidden = get.get("t_hidden") == "1"
    problem = ""
    try:
        page = transcript_view_page(
            session=session,
            conversation_id=get.get("t_conv") or None,
            after=get.get("t_after"),
            before=get.get("t_before"),
            first_error=get.get("t_error") == "1",
            show_hidden=hidden,
        )
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        page = transcript_view_page(session=session, show_hidden=hidden)

    def link(*, show_hidden: bool = hidden, **params) -> str:
        params = {k: v for k, v in params.items() if v} | ({"t_hidden": "1"} if show_hidden else {})
        return "?" + urlencode(params) + "#transcript"

    conv = str(page.conversation.pk) if page.subagent else ""
    # Where the page is, for the hidden-records toggle: a cursor, or the jump itself (its
    # page has no cursor; the jump again, with records shown or not, keeps the error in view).
    here = {"t_conv": conv, "t_after": get.get("t_after"), "t_before": get.get("t_before")}
    if get.get("t_error") == "1":
        here = {"t_error": "1"}
    return {
        "page": page,
        "problem": problem,
        "first_url": link(t_conv=conv),
        "older_url": link(t_conv=conv, t_before=page.older) if page.older else "",
        "newer_url": link(t_conv=conv, t_after=page.newer) if page.newer else "",
        "error_url": link(t_error="1"),
        "session_url": link(),
        "hidden_url": link(show_hidden=not hidden, **(here if not problem else {})),
    }


@admin.register(Workstream)
class WorkstreamAdmin(ReadableList, admin.ModelAdmin):
    list_display = [
        "id", "short_title", "workspace", "is_scratch", "state", "session_count", "file_count",
        "file_bytes", "created_at",
    ]  # fmt: skip
    list_filter = ["state", "is_scratch", "workspace"]
    search_fields = ["id", "title"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        # One annotated query for the counts, not one per row.
        return super().get_queryset(request).annotate(session_total=Count("sessions"))

    short_title = ellipsis_column("title", 40, ordering="title")

    @admin.display(description="sessions", ordering="session_total")
    def session_count(self, workstream: Workstream) -> int:
        return workstream.session_total

    def _usage(self, workstream: Workstream) -> tuple[int, int]:
        # Read from the file area once per row (list_display asks twice).
        if not hasattr(workstream, "_usage_cache"):
            workstream._usage_cache = workstream_usage(workstream.id)
        return workstream._usage_cache

    @admin.display(description="files")
    def file_count(self, workstream: Workstream) -> int:
        return self._usage(workstream)[0]

    @admin.display(description="bytes")
    def file_bytes(self, workstream: Workstream) -> str:
        return filesizeformat(self._usage(workstream)[1])


@admin.register(Session)
class SessionAdmin(UsageColumns, ReadableList, admin.ModelAdmin):
    list_display = [
        "short_session_id", "num", "title_or_name", "workspace", "project_title", "workstream",
        "state", "source", "issue_or_task", "usage_tokens", "usage_cost", "created_at",
    ]  # fmt: skip
    list_display_links = ["short_session_id", "title_or_name"]
    list_filter = [
        "status", "source", "activity_state", "kind", "is_terminated", "harness",
        "workstream", "workspace",
    ]  # fmt: skip
    # The box goes through the full-text index (get_search_results); search_fields only
    # makes Django show it.
    search_fields = ["title"]
    search_help_text = (
        'Words of the title, name, prompt, issue, branch or task, ranked ("a phrase", '
        "-exclude); an id prefix; id:<prefix>, task:<task id>, issue:<issue id>."
    )
    list_select_related = ["workspace", "project", "workstream"]
    autocomplete_fields = ["workspace", "project", "workstream"]
    raw_id_fields = ["conversation"]
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 100
    # What the journal owns (placement changes through the migration actions, which move
    # files and record undo), the origin's facts and the timestamps are read-only here.
    readonly_fields = [
        "id", "num", "workspace", "project", "workstream", "conversation", "work_files",
        "legacy_status", "is_terminated", "terminated_at", "archived_at", "completed_at",
        "created_at", "updated_at", "activity_last_at", "first_signal_at", "source",
        "source_path", "metadata", "usage",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["id", "num", "title", "display_name", "prompt", "skill_id"]}),
        (
            "Placement",
            {"fields": ["workspace", "project", "workstream", "conversation", "work_files"]},
        ),
        (
            "State",
            {
                "fields": [
                    "status", "legacy_status", "activity_state", "kind", "harness",
                    "is_terminated", "terminated_at", "archived_at", "completed_at",
                ]
            },
        ),
        (
            "Work",
            {
                "fields": [
                    "agent_session_id", "issue_id", "issue_url", "task_id", "branch",
                    "workspace_path", "runtime_handle_id",
                ]
            },
        ),
        ("Token usage and estimated cost", {"fields": ["usage"]}),
        (
            "Times and origin",
            {
                "fields": [
                    "created_at", "updated_at", "activity_last_at", "first_signal_at",
                    "source", "source_path", "metadata",
                ]
            },
        ),
    ]  # fmt: skip

    def get_queryset(self, request):
        # The session page, too, shows every related row: joined in one query.
        sessions = Session.objects.select_related(*self.list_select_related)
        return usage_annotate(sessions, via="session")

    change_form_template = "admin/sessions_app/session/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if session is not None and self.has_view_permission(request, session):
            context["transcript"] = transcript_view_context(request, session)
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        view = partial(search_view, admin_site=self.admin_site)
        search = path("search/", self.admin_site.admin_view(view), name="sessions_app_search")
        return [search, *super().get_urls()]

    def has_add_permission(self, request):
        # Sessions come from their origins (imports) or the API; a hand-made row would
        # have no origin and no files.
        return False

    @admin.display(description="work files")
    def work_files(self, session: Session) -> str:
        path = session_work_dir(session.pk, session.workstream_id)
        if path is None:
            return "—"
        count, size = tree_usage(path)
        where = os.path.relpath(path, settings.SESSIONHUB_DATA_DIR)
        return f"{where}/ — {count} files, {filesizeformat(size)}"

    @admin.display(description="usage")
    def usage(self, session: Session) -> str:
        # Its own figures and each subagent's apart, then the totals (usage_panel).
        panel = session_usage_panel(session=session)
        return render_to_string("admin/sessions_app/session/usage.html", {"usage": panel})

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        try:
            found = session_list_search(queryset=queryset, term=search_term)
        except QueryError as error:
            self.message_user(request, f"Search: {error}", messages.WARNING)
            return queryset.none(), False
        if "o" not in request.GET:  # by relevance, unless a column is sorted
            found = found.order_by("-score", "-created_at", "-pk")
        return found, False

    short_session_id = short_id_column()

    @admin.display(description="title", ordering="title")
    def title_or_name(self, session: Session) -> str:
        return ellipsis(session.title or session.display_name, 50)

    @admin.display(description="project", ordering="project__title")
    def project_title(self, session: Session) -> str:
        return ellipsis(session.project.title, 30) if session.project_id else "—"

    @admin.display(description="state")
    def state(self, session: Session) -> str:
        """Ours, and in brackets the word the origin showed when it differs."""
        shown = f"{session.status} · {session.activity_state}"
        legacy = session.legacy_status
        return f"{shown} ({legacy})" if legacy and legacy != session.status else shown

    @admin.display(description="issue / task")
    def issue_or_task(self, session: Session) -> str:
        return " · ".join(v for v in (session.issue_id, session.task_id) if v) or "—"
