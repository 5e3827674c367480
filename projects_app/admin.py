import json

from django.contrib import admin, messages
from django.db.models import BigIntegerField, Case, F, Sum, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from projects_app.admin_display import (
    ReadableList,
    UsageColumns,
    ellipsis_column,
    short_id_column,
)
from projects_app.models import (
    ApiKey,
    Artifact,
    Conversation,
    Message,
    Project,
    ProjectVersion,
    Workspace,
)
from projects_app.services import api_key_create, api_key_revoke


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Project)
class ProjectAdmin(UsageColumns, ReadableList, admin.ModelAdmin):
    list_display = [
        "short_project_id", "short_title", "workspace", "project_type", "status", "source",
        "usage_tokens", "usage_cost", "created_at",
    ]  # fmt: skip
    list_display_links = ["short_project_id", "short_title"]
    list_filter = ["status", "project_type", "source", "kind", "workspace"]
    search_fields = ["=id", "title", "path"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]
    date_hierarchy = "created_at"
    short_project_id = short_id_column()
    short_title = ellipsis_column("title", 60, ordering="title")

    def get_queryset(self, request):
        # Token usage is recorded per session (sessions_app.UsageRecord); the relation is
        # named, not imported: projects_app does not import sessions_app.
        records = "sessions__usage_records__"
        no_price = When(**{f"{records}cost_micro_usd__isnull": True},
                        then=F(f"{records}total_tokens"))  # fmt: skip
        unpriced = Case(no_price, default=0, output_field=BigIntegerField())
        return (
            super()
            .get_queryset(request)
            .annotate(
                usage_tokens=Coalesce(Sum(f"{records}total_tokens"), 0),
                usage_cost=Sum(f"{records}cost_micro_usd"),
                usage_unpriced=Coalesce(Sum(unpriced), 0),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # The id is the project's identity (ao ids verbatim): fixed once the row exists.
        fixed = ["id", "source", "registered_at", "created_at", "updated_at"]
        return fixed if obj is not None else ["source", "created_at", "updated_at"]


CHAT_MESSAGES = 500  # a conversation page shows this many; the message list has them all


def _tool_call_view(call) -> dict:
    """A tool call as the chat folds it: its name and outcome on the summary line."""
    if not isinstance(call, dict):
        return {"name": "?", "status": "", "error": "", "failed": False, "body": repr(call)}
    status = str(call.get("status", ""))
    return {
        "name": call.get("name") or call.get("function", {}).get("name", "?"),
        "status": status,
        "error": str(call.get("error") or ""),
        "failed": status.lower() in ("error", "failed"),
        "body": json.dumps(call, indent=2, ensure_ascii=False, default=str),
    }


@admin.register(Conversation)
class ConversationAdmin(ReadableList, admin.ModelAdmin):
    list_display = [
        "short_conversation_id", "short_title", "project", "workspace", "status",
        "message_count", "created_at",
    ]  # fmt: skip
    list_display_links = ["short_conversation_id", "short_title"]
    list_filter = ["status", "workspace"]
    search_fields = ["=id", "title"]
    list_select_related = ["project", "workspace"]
    autocomplete_fields = ["project", "workspace"]
    date_hierarchy = "created_at"
    readonly_fields = ["message_count", "last_message_at", "created_at", "updated_at", "chat"]
    fieldsets = [
        (None, {"fields": ["title", "purpose", "status", "project", "workspace"]}),
        ("Messages", {"fields": ["chat"]}),
        (
            "Details",
            {
                "classes": ["collapse"],
                "fields": [
                    "message_count", "last_message_at", "selection_context", "extra_data",
                    "created_at", "updated_at",
                ],
            },
        ),
    ]  # fmt: skip

    @admin.display(description="conversation")
    def chat(self, conversation: Conversation) -> str:
        messages = list(conversation.messages.order_by("created_at", "id")[: CHAT_MESSAGES + 1])
        for message in messages:
            calls = message.tool_calls if isinstance(message.tool_calls, list) else []
            message.calls = [_tool_call_view(call) for call in calls]
        total = conversation.messages.count() if len(messages) > CHAT_MESSAGES else len(messages)
        url = reverse("admin:projects_app_message_changelist")
        return render_to_string(
            "admin/projects_app/conversation/chat.html",
            {
                "messages": messages[:CHAT_MESSAGES],
                "more": len(messages) > CHAT_MESSAGES,
                "total": total,
                "all_url": f"{url}?conversation__id__exact={conversation.pk}",
            },
        )

    short_conversation_id = short_id_column()
    short_title = ellipsis_column("title", 60, ordering="title")


@admin.register(Message)
class MessageAdmin(ReadableList, admin.ModelAdmin):
    list_display = [
        "short_message_id", "short_conversation", "role", "short_content", "tokens_used",
        "created_at",
    ]  # fmt: skip
    list_filter = ["role"]
    search_fields = ["=id", "=conversation__id"]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]
    show_full_result_count = False
    short_message_id = short_id_column()
    short_conversation = short_id_column(
        "conversation_id", description="conversation", ordering="conversation"
    )
    short_content = ellipsis_column("content", 80)


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "artifact_type", "version", "is_latest", "created_at"]
    list_filter = ["is_latest", "artifact_type"]
    search_fields = ["name", "=id"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    raw_id_fields = ["conversation", "parent_version"]
    date_hierarchy = "created_at"
    readonly_fields = ["lineage", "created_at", "updated_at"]


@admin.register(ProjectVersion)
class ProjectVersionAdmin(admin.ModelAdmin):
    list_display = ["project", "version_number", "change_type", "changed_by", "created_at"]
    list_filter = ["change_type"]
    search_fields = ["=project__id", "change_summary"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "status"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    fields = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]

    @admin.display(description="status")
    def status(self, key: ApiKey) -> str:
        return "active" if key.is_active else format_html("<b>revoked</b>")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, secret = api_key_create(user=obj.user, name=obj.name)
        obj.pk = key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"API key created. Copy the secret now, it is not shown again: {secret}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
