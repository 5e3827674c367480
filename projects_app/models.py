"""The project-first shape: Workspace → Project → Conversations → Messages, Artifacts, Versions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects_app.timestamps import CreatedAtField, UpdatedAtField


def new_text_id() -> str:
    return str(uuid.uuid4())


def empty_context() -> dict:
    return {"decisions": [], "failures": [], "key_findings": [], "tags": []}


class Source(models.TextChoices):
    """Where a row came from."""

    NATIVE = "native", "native"
    AO = "ao", "ao"
    AO_RS = "ao-rs", "ao-rs"
    MINSKY = "minsky", "minsky"
    ARAWN = "arawn", "arawn"
    TOKENDANCE = "tokendance", "TokenDance"
    CLAUDE_CODE = "claude-code", "Claude Code"
    CODEX = "codex", "Codex"


class Workspace(models.Model):
    DEFAULT_SLUG = "default"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    # What a legacy origin kept about the workspace that has no column here (TokenDance:
    # description, type, owner and team ids, filesystem path, settings, stats).
    metadata = models.JSONField(default=dict, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="workspaces"
    )
    created_at = CreatedAtField()
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Project(models.Model):
    class ProjectType(models.TextChoices):
        RESEARCH = "research"
        DOCUMENT = "document"
        SLIDES = "slides"
        CODE = "code"
        DATA_ANALYSIS = "data_analysis"
        QUICK_TASK = "quick_task"

    class Status(models.TextChoices):
        DRAFT = "draft"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        ARCHIVED = "archived"

    class Kind(models.TextChoices):
        SINGLE_REPO = "single_repo"
        WORKSPACE = "workspace"

    # New ids are uuid4 text; ao project ids are kept verbatim.
    id = models.CharField(primary_key=True, max_length=128, default=new_text_id)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    project_type = models.CharField(
        max_length=20, choices=ProjectType.choices, default=ProjectType.QUICK_TASK
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    intent = models.TextField(blank=True)
    context = models.JSONField(default=empty_context, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=1024, blank=True)
    repo_origin_url = models.CharField(max_length=1024, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SINGLE_REPO)
    config = models.JSONField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.NATIVE)
    created_at = CreatedAtField(db_index=True)
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "status"], name="project_ws_status_idx"),
            models.Index(fields=["source"], name="project_source_idx"),
            models.Index(fields=["project_type"], name="project_type_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.id


class Conversation(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Nullable until the owning session is migrated to a project.
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="conversations")
    title = models.CharField(max_length=500, blank=True)
    purpose = models.CharField(max_length=100, blank=True, default="general")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    selection_context = models.JSONField(null=True, blank=True)
    extra_data = models.JSONField(default=dict, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = CreatedAtField(db_index=True)
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="conversation_status_idx")]

    def __str__(self) -> str:
        return self.title or str(self.id)


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"
        SYSTEM = "system"
        TOOL = "tool"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: message_conv_created_id_idx starts with it.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    content = models.TextField(blank=True)
    tool_calls = models.JSONField(null=True, blank=True)
    tool_call_id = models.CharField(max_length=255, blank=True)
    extra_data = models.JSONField(default=dict, blank=True)
    tokens_used = models.PositiveIntegerField(default=0)
    created_at = CreatedAtField()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # A conversation in its reading order, (created_at, id): keyset pages read it
            # without sorting (the transcript viewer and the transcript API).
            models.Index(
                fields=["conversation", "created_at", "id"], name="message_conv_created_id_idx"
            ),
            models.Index(fields=["role"], name="message_role_idx"),
            # Search past its rank limit: the newest matches, read backwards from the end.
            models.Index(fields=["created_at", "id"], name="message_created_id_idx"),
            # The transcript viewer folds tool results beneath their calls by this pair.
            models.Index(fields=["conversation", "tool_call_id"], name="message_conv_toolcall_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class Artifact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="artifacts"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="artifacts"
    )
    # Every version of one artifact shares a lineage (the first version's id).
    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=500)
    artifact_type = models.CharField(max_length=50, blank=True, default="document")
    content = models.TextField(blank=True)
    mime_type = models.CharField(max_length=100, blank=True, default="text/markdown")
    version = models.PositiveIntegerField(default=1)
    parent_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    is_latest = models.BooleanField(default=True)
    # Fields of an imported artifact that have no column here: TokenDance keeps the bytes
    # in object storage (`object_storage`: file_path, file_size, preview_url, …) and the
    # rest of its row under `legacy`; a session file keeps its relative path.
    extra_data = models.JSONField(default=dict, blank=True)
    created_at = CreatedAtField()
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["lineage"],
                condition=Q(is_latest=True),
                name="artifact_one_latest_per_lineage",
            ),
            models.UniqueConstraint(fields=["lineage", "version"], name="artifact_lineage_version"),
        ]
        indexes = [
            models.Index(fields=["project", "is_latest"], name="artifact_project_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ProjectVersion(models.Model):
    class ChangeType(models.TextChoices):
        AUTO = "auto"
        MANUAL = "manual"
        MILESTONE = "milestone"
        ROLLBACK = "rollback"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    version_number = models.PositiveIntegerField()
    snapshot = models.JSONField(default=dict, blank=True)
    change_summary = models.TextField(blank=True)
    change_type = models.CharField(
        max_length=20, choices=ChangeType.choices, default=ChangeType.AUTO
    )
    changed_by = models.CharField(max_length=150, blank=True)
    created_at = CreatedAtField()

    class Meta:
        ordering = ["project", "-version_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "version_number"], name="project_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} v{self.version_number}"


class ApiKey(models.Model):
    """A bearer key for the REST API; only a hash of the secret is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=200)
    # The first characters of the key, shown to identify it and used for lookup.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
