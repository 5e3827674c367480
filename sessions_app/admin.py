from django.contrib import admin

from sessions_app.models import Session, Workstream
from sessions_app.paginators import EstimatedCountPaginator
from sessions_app.selectors import session_list_for_admin, session_search_qualified


@admin.register(Workstream)
class WorkstreamAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "workspace", "is_scratch", "state", "created_at"]
    list_filter = ["state", "is_scratch", "workspace"]
    search_fields = ["id", "title"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "id", "num", "title_or_name", "workspace", "project", "workstream", "status",
        "activity_state", "source", "issue_id", "task_id", "created_at",
    ]  # fmt: skip
    list_filter = [
        "status", "source", "activity_state", "kind", "is_terminated", "harness",
        "workstream", "workspace",
    ]  # fmt: skip
    # id__startswith: case-sensitive, so PostgreSQL uses the id's varchar_pattern_ops index
    # (^id would be UPPER(id) LIKE …, a full scan). = = exact (indexed lookups).
    search_fields = ["id__startswith", "title", "^branch", "=issue_id", "=task_id"]
    search_help_text = (
        "Id prefix, title, branch prefix, issue id or task id. On a large table search one "
        "indexed field: id:<prefix>, task:<task id>, issue:<issue id>."
    )
    list_select_related = ["workspace", "project", "workstream"]
    autocomplete_fields = ["workspace", "project", "workstream"]
    raw_id_fields = ["conversation"]
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = ["source", "source_path", "legacy_status"]
    fieldsets = [
        (None, {"fields": ["id", "num", "title", "display_name", "prompt", "skill_id"]}),
        ("Placement", {"fields": ["workspace", "project", "workstream", "conversation"]}),
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
        return session_list_for_admin()

    def get_search_results(self, request, queryset, search_term):
        # A plain term is ORed over every search field, title included: a full scan.
        qualified = session_search_qualified(queryset=queryset, term=search_term)
        if qualified is not None:
            return qualified, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="title", ordering="title")
    def title_or_name(self, session: Session) -> str:
        return session.title or session.display_name
