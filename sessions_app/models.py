"""Workstreams and the sessions of every origin, in one shape."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects_app.models import Conversation, Project, Source, Workspace
from projects_app.timestamps import CreatedAtField, UpdatedAtField
from sessions_app.names import validate_name

SCRATCH_WORKSTREAM_ID = "scratch"

# The ao rewrite's v12 harness list (after its migration 0007); '' means unknown.
HARNESSES = (
    "claude-code", "codex", "aider", "opencode", "grok", "droid", "amp", "agy", "crush",
    "cursor", "qwen", "copilot", "goose", "auggie", "continue", "devin", "cline", "kimi",
    "kiro", "kilocode", "vibe", "pi", "autohand",
)  # fmt: skip


def new_session_id() -> str:
    return str(uuid.uuid4())


class Workstream(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active"
        ARCHIVED = "archived"

    id = models.CharField(primary_key=True, max_length=100, validators=[validate_name])
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="workstreams")
    title = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    is_scratch = models.BooleanField(default=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    # What an origin knows beyond these fields (arawn: default_model, tags), verbatim.
    metadata = models.JSONField(default=dict, blank=True)
    created_at = CreatedAtField()
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state"], name="workstream_state_idx")]

    def __str__(self) -> str:
        return self.id


class Session(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"
        ARCHIVED = "archived"

    class ActivityState(models.TextChoices):
        ACTIVE = "active"
        IDLE = "idle"
        WAITING_INPUT = "waiting_input"
        BLOCKED = "blocked"
        EXITED = "exited"

    class Kind(models.TextChoices):
        WORKER = "worker"
        ORCHESTRATOR = "orchestrator"

    Harness = models.TextChoices("Harness", [(h.upper().replace("-", "_"), h) for h in HARNESSES])

    # Legacy ids are kept verbatim; new ones are uuid4 text.
    id = models.CharField(primary_key=True, max_length=255, default=new_session_id)
    num = models.IntegerField(default=0)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="sessions")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    workstream = models.ForeignKey(
        Workstream,
        on_delete=models.PROTECT,
        default=SCRATCH_WORKSTREAM_ID,
        related_name="sessions",
    )
    conversation = models.OneToOneField(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="session"
    )
    title = models.CharField(max_length=500, blank=True)
    display_name = models.CharField(max_length=500, blank=True)
    prompt = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The source's own status word, verbatim.
    legacy_status = models.CharField(max_length=100, blank=True)
    activity_state = models.CharField(
        max_length=20, choices=ActivityState.choices, default=ActivityState.IDLE
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WORKER)
    harness = models.CharField(max_length=30, choices=Harness.choices, blank=True)
    agent_session_id = models.CharField(max_length=255, blank=True)
    issue_id = models.CharField(max_length=255, blank=True)
    issue_url = models.CharField(max_length=1024, blank=True)
    # Qualified `backend#local` where known.
    task_id = models.CharField(max_length=255, blank=True)
    branch = models.CharField(max_length=500, blank=True)
    workspace_path = models.CharField(max_length=1024, blank=True)
    runtime_handle_id = models.CharField(max_length=255, blank=True)
    skill_id = models.CharField(max_length=255, blank=True)
    is_terminated = models.BooleanField(default=False)
    terminated_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    activity_last_at = models.DateTimeField(null=True, blank=True)
    first_signal_at = models.DateTimeField(null=True, blank=True)
    # Not auto_now: imports carry the origin's own timestamps.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.NATIVE)
    source_path = models.CharField(max_length=2048, blank=True)
    # Every legacy key we did not map, verbatim; integers beyond signed 64-bit as strings.
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "num"],
                condition=Q(project__isnull=False),
                name="session_unique_num_per_project",
            )
        ]
        indexes = [
            models.Index(fields=["task_id"], name="session_task_id_idx"),
            models.Index(fields=["issue_id"], name="session_issue_id_idx"),
            # (status, created_at): a status filter reads the newest first without a sort.
            models.Index(fields=["status", "created_at"], name="session_status_idx"),
            models.Index(fields=["source"], name="session_source_idx"),
            models.Index(fields=["created_at"], name="session_created_at_idx"),
            models.Index(fields=["workspace", "created_at"], name="session_ws_created_idx"),
            models.Index(fields=["activity_state"], name="session_activity_idx"),
            models.Index(fields=["kind"], name="session_kind_idx"),
            models.Index(fields=["harness"], name="session_harness_idx"),
            models.Index(fields=["is_terminated"], name="session_terminated_idx"),
            # import_transcripts links each file by it (bench.transcript_import, the lookup).
            models.Index(fields=["agent_session_id"], name="session_agent_session_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.display_name or self.id


class UsageRecord(models.Model):
    """Tokens of one API message (from a transcript) or one legacy session's total, with
    its estimated cost. A session's subagents' records name the subagent."""

    class Origin(models.TextChoices):
        CLAUDE_CODE = "claude-code", "Claude Code transcript"
        CODEX = "codex", "Codex rollout"
        AO_RS = "ao-rs", "ao-rs cost block"
        TOKENDANCE = "tokendance", "TokenDance total_tokens_used"

    # "claude-code:msg:<message.id>:<requestId>" for a Claude API message (in whatever file),
    # "message:<uuid>" for another transcript message, "<origin>:<session id>" for a legacy
    # total: a natural key, so a re-import or a re-run after a kill writes the same rows.
    key = models.CharField(max_length=300, primary_key=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="usage_records")
    subagent = models.CharField(max_length=255, blank=True)
    message = models.OneToOneField(
        "projects_app.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    origin = models.CharField(max_length=20, choices=Origin.choices)
    model = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    input_tokens = models.BigIntegerField(default=0)  # not cached (Codex: gross − cached)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    # Of cache_write_tokens, those written to Claude's 1-hour cache (priced at its rate);
    # the rest were 5-minute writes. 0 when the source gives no split.
    cache_write_1h_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    # input + output + cache write + cache read, or a source's undivided total (TokenDance).
    total_tokens = models.BigIntegerField(default=0)
    # An estimate from the price table `price_version`; null = no price for the model.
    cost_micro_usd = models.BigIntegerField(null=True, blank=True)
    price_version = models.CharField(max_length=40, blank=True)
    # What the source itself reported (ao-rs `cost_usd`), kept beside our estimate.
    reported_cost_micro_usd = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at"]
        indexes = [
            models.Index(fields=["workspace", "occurred_at"], name="usage_ws_when_idx"),
            models.Index(fields=["session", "subagent"], name="usage_session_idx"),
            models.Index(fields=["model"], name="usage_model_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.total_tokens} tokens"
