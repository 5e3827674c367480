"""The state one ao/ao-rs import carries from batch to batch, and its small helpers."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from migration_app.legacy.reading import DEFAULT_MAX_FILE_BYTES
from migration_app.legacy.records import LegacyParseError, exception_text
from migration_app.legacy.rows import MAPPED_COLUMNS, RUN_COLUMNS, SessionRowFormat
from migration_app.legacy.transcripts import CachedRealpath
from migration_app.legacy.walk import SessionFile
from migration_app.models import MigrationItem
from migration_app.services.journal import ItemRecord
from migration_app.services.legacy_import.shared import RunState
from projects_app.models import Workspace
from sessions_app.models import HARNESSES, Session

Outcome = MigrationItem.Outcome

HARNESS_NAMES = frozenset(HARNESSES)


def session_row_format() -> SessionRowFormat:
    """The session table as the row preparer needs it (sent once to the parse helper)."""
    return SessionRowFormat(
        defaults={
            f.attname: f.get_db_prep_save(f.get_default(), connection)
            for f in Session._meta.concrete_fields
            if f.attname not in MAPPED_COLUMNS and f.attname not in RUN_COLUMNS
        },
        harnesses=HARNESS_NAMES,
        naive_utc_dates=connection.vendor == "sqlite",
    )


@dataclass
class Deferred:
    """A session left for the second pass: it has no number of its own, or lost a clash."""

    file: SessionFile
    created_at: dt.datetime
    session_id: str
    note: str


@dataclass
class TranscriptCopy:
    source: str
    dest: str
    copy: bool  # False: only clear a temp file a killed run may have left


@dataclass
class ImportState(RunState):
    workspace: Workspace
    source: str
    include_terminated: bool
    claude_home: str
    data_dir: str
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger legacy files are rejected unread
    seen_projects: set[str] = field(default_factory=set)
    deferred: list[Deferred] = field(default_factory=list)
    # Second pass: each project's free numbers, ascending (batches.free_numbers).
    free_nums: dict[str, Iterator[int]] = field(default_factory=dict)
    realpath: CachedRealpath = field(default_factory=CachedRealpath)
    row_format: SessionRowFormat = field(default_factory=session_row_format)

    def __post_init__(self):
        self.column = {name: i for i, name in enumerate(self.row_format.columns)}
        workspace = Session._meta.get_field("workspace")
        self.workspace_db_id = workspace.get_db_prep_save(self.workspace.pk, connection)

    @property
    def prepare_options(self) -> dict[str, Any]:
        """What session_files_prepare takes besides the files (sent to the parse helper)."""
        names = ("source", "row_format", "claude_home", "data_dir", "max_file_bytes")
        return {name: getattr(self, name) for name in names}


def rejected_file(path: str, exc: Exception) -> ItemRecord:
    reason = exc.reason if isinstance(exc, LegacyParseError) else exception_text(exc)
    return ItemRecord("file", path, Outcome.FAILED, reason)
