"""The migration journal: one MigrationRun per invocation, one MigrationItem per subject."""

import uuid

from django.db import models


class MigrationRun(models.Model):
    class Kind(models.TextChoices):
        LEGACY_IMPORT = "legacy_import"
        SESSION_TO_PROJECT = "session_to_project"
        ATTACH_WORKSTREAM = "attach_workstream"
        REASSOCIATE_TASK = "reassociate_task"
        TASK_BACKEND = "task_backend"
        SESSION_DELETE = "session_delete"
        IMPORT_TRANSCRIPTS = "import_transcripts"

    class Status(models.TextChoices):
        PLANNED = "planned"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial"
        FAILED = "failed"
        UNDONE = "undone"

    class Origin(models.TextChoices):
        CLI = "cli"
        ADMIN = "admin"
        API = "api"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    dry_run = models.BooleanField(default=False)
    params = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.CLI)
    counts = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [("undo_migrationrun", "Can undo a migration run")]
        indexes = [
            models.Index(fields=["kind", "started_at"], name="run_kind_started_idx"),
            models.Index(fields=["status"], name="run_status_idx"),
        ]

    def __str__(self) -> str:
        mode = " (dry run)" if self.dry_run else ""
        return f"{self.get_kind_display()} {str(self.id)[:8]}{mode}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class MigrationItem(models.Model):
    class Outcome(models.TextChoices):
        MIGRATED = "migrated"
        SKIPPED = "skipped"
        FAILED = "failed"
        UNDONE = "undone"

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="items")
    subject_type = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=2048)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    # Enough to undo the item exactly.
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "outcome"], name="item_run_outcome_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="item_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id}: {self.outcome}"


class MigrationSelection(models.Model):
    """The subjects a run was asked to cover, kept from its plan until it finishes; then its
    items hold them. A selection of 18,000 sessions is rows here, not a list in `params`."""

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="selection")
    subject_id = models.CharField(max_length=2048)

    class Meta:
        indexes = [models.Index(fields=["run", "subject_id"], name="selection_run_subject_idx")]

    def __str__(self) -> str:
        return self.subject_id


class LegacyImport(MigrationRun):
    """The runs of `migrate_legacy`, for the "Legacy imports" admin list."""

    class Meta:
        proxy = True
        verbose_name = "legacy import"
        verbose_name_plural = "legacy imports"


class LegacyLogOffset(models.Model):
    """How far an append-only legacy log (arawn's messages.jsonl) has been imported.

    Moved in the same transaction as the rows a batch of its lines became, so it is exact
    after a kill -9; a re-run reads the log from here. `head_sha256` (of the first bytes up
    to `offset`, at most 4 KiB) tells an appended log from one replaced or truncated.
    """

    path = models.CharField(max_length=2048, unique=True)
    offset = models.BigIntegerField(default=0)  # bytes of whole lines imported
    lines = models.BigIntegerField(default=0)  # lines those bytes hold
    head_sha256 = models.CharField(max_length=64, blank=True)
    # Where the last line imported stands among tied lines, so lines appended later go on
    # after it: it was given tie_timestamp + tie_count µs (arawn_store/messages.py).
    tie_timestamp = models.DateTimeField(null=True, blank=True)
    tie_count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.path} @ {self.offset}"


class TranscriptFile(models.Model):
    """How far one Claude Code or Codex transcript file has been imported (import_transcripts).

    Moved in the same transaction as the messages read from it, so it is exact after a
    kill -9. `offset` is where the whole lines imported end; `tail_start` is where the next
    read starts (the last message may still grow); `archive_path` is the hub's byte-exact
    copy of the first `offset` bytes, `prefix_sha256` their hash; device, inode, size, mtime
    and `head_sha256` (of the first 4 KiB) tell an appended file from one replaced.
    """

    path = models.CharField(max_length=2048, unique=True)
    source = models.CharField(max_length=20)  # claude-code, codex
    device = models.BigIntegerField(default=0)
    inode = models.BigIntegerField(default=0)
    size = models.BigIntegerField(default=0)
    mtime_ns = models.BigIntegerField(default=0)
    offset = models.BigIntegerField(default=0)
    tail_start = models.BigIntegerField(default=0)
    head_sha256 = models.CharField(max_length=64, blank=True)
    prefix_sha256 = models.CharField(max_length=64, blank=True)
    archive_path = models.CharField(max_length=2048, blank=True)
    session_id = models.CharField(max_length=255, blank=True)
    conversation_id = models.UUIDField(null=True, blank=True)
    # Where the last message before `tail_start` stands among tied timestamps, so the next
    # read goes on after it: it was given tie_timestamp + tie_count µs (transcripts/files.py).
    tie_timestamp = models.DateTimeField(null=True, blank=True)
    tie_count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.path} @ {self.offset}"

    def unchanged_since(self, st) -> bool:
        """Whether the file (its os.stat result `st`) is as the last read left it."""
        return (self.size, self.mtime_ns, self.inode) == (st.st_size, st.st_mtime_ns, st.st_ino)


class TranscriptBatch(models.Model):
    """A share of a background import_transcripts run (PostgreSQL): a list of files that
    one worker at a time imports (docs/transcripts.md, "Several workers").

    A worker holds the batch's advisory lock while it works, so a batch is never read by
    two at once and a killed worker's batch is free again; `files_done` and `counts` move
    as each file is done, so the worker taking over goes on from the file under way.
    """

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    files = models.JSONField()  # [path, source, relative, agent id, parent id] per file
    files_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    claims = models.PositiveIntegerField(default=0)  # more than 1: taken over
    worker = models.CharField(max_length=255, blank=True)  # host:pid of the last claim
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="transcript_batch_number_uniq")
        ]

    def __str__(self) -> str:
        return f"batch {self.number} of run {self.run_id}"
