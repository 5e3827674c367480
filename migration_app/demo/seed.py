"""`manage.py seed_demo`: insert the demo rows that are missing, then the missing files;
never update a row or a file it finds (docs/foundation.md: idempotent and deterministic).
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from migration_app.demo.plan import DemoFile, DemoPlan
from migration_app.demo.rows import ORIGINS
from projects_app.list_cache import project_list_version_renew
from projects_app.models import Artifact, Conversation, Message, Project, ProjectVersion, Workspace
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream

_BATCH = 500

MODELS = {
    "workspaces": Workspace,
    "workstreams": Workstream,
    "projects": Project,
    "project_versions": ProjectVersion,
    "sessions": Session,
    "conversations": Conversation,
    "messages": Message,
    "artifacts": Artifact,
}


@dataclass
class DemoSeedResult:
    """Rows and files the run added (all zero on a second run) and the totals after it."""

    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    files_written: int = 0


def demo_seed() -> DemoSeedResult:
    """Insert the demo rows that are missing, then write the demo files that are missing."""
    before = {name: model.objects.count() for name, model in MODELS.items()}
    with transaction.atomic():
        plan = DemoPlan()
        plan.workspaces_get()
        for origin in ORIGINS:
            origin(plan)
        _rows_save(plan)
        # In the transaction: a data directory that cannot hold them rolls the rows back.
        for ws_id in [SCRATCH_WORKSTREAM_ID, *(w.id for w in plan.workstreams)]:
            files.workstream_dirs_create(ws_id)
    files_written = files_write(plan.files)
    totals = {name: model.objects.count() for name, model in MODELS.items()}
    return DemoSeedResult(
        created={name: totals[name] - before[name] for name in MODELS},
        totals=totals,
        files_written=files_written,
    )


def _rows_save(plan: DemoPlan) -> None:
    """Insert what is missing; rows already there (perhaps changed since) are left alone."""
    Workstream.objects.bulk_create(plan.workstreams, ignore_conflicts=True)
    Project.objects.bulk_create(plan.projects, ignore_conflicts=True)
    project_list_version_renew()  # bulk_create sends no signal
    ProjectVersion.objects.bulk_create(plan.versions, ignore_conflicts=True)
    Conversation.objects.bulk_create(plan.conversations, ignore_conflicts=True)
    Session.objects.bulk_create(plan.sessions, ignore_conflicts=True, batch_size=_BATCH)
    Message.objects.bulk_create(plan.messages, ignore_conflicts=True, batch_size=_BATCH)
    # Parents first: a version points at the version before it.
    for v in sorted({a.version for a in plan.artifacts}):
        Artifact.objects.bulk_create(
            [a for a in plan.artifacts if a.version == v], ignore_conflicts=True
        )


def files_write(demo_files: list[DemoFile]) -> int:
    """Write the demo files that are missing, only where their session still is."""
    session_ids = {f.session_id for f in demo_files if f.session_id}
    where = dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "workstream_id"))
    written = 0
    for demo_file in demo_files:
        if demo_file.session_id and where.get(demo_file.session_id) != demo_file.workstream_id:
            continue
        written += _file_write_once(demo_file.path, demo_file.data)
    return written


def _file_write_once(path: Path, data: bytes) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: an interrupted run never leaves a truncated file behind.
    tmp = path.with_name(f".{path.name}.seed-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True
