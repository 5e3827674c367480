"""`manage.py seed_demo`: insert the demo rows that are missing, then the missing files;
never update a row or a file it finds (docs/foundation.md: idempotent and deterministic).
"""

import os
from dataclasses import dataclass, field

from django.db import transaction

from migration_app.demo.plan import DemoFile, DemoPlan
from migration_app.demo.rows import ORIGINS
from projects_app.list_cache import project_list_version_renew
from projects_app.models import Artifact, Conversation, Message, Project, ProjectVersion, Workspace
from sessions_app import files
from sessions_app.models import Session, Workstream

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
        # Rows already there (perhaps changed since) are left alone. The foreign keys are
        # checked at commit, so the order of the inserts does not matter.
        for model in MODELS.values():
            model.objects.bulk_create(plan.rows[model], ignore_conflicts=True, batch_size=500)
        project_list_version_renew()  # bulk_create sends no signal
        # In the transaction: a data directory that cannot hold them rolls the rows back.
        for workstream in plan.rows[Workstream]:
            files.workstream_dirs_create(workstream.id)
    files_written = files_write(plan.files)
    totals = {name: model.objects.count() for name, model in MODELS.items()}
    return DemoSeedResult(
        created={name: totals[name] - before[name] for name in MODELS},
        totals=totals,
        files_written=files_written,
    )


def files_write(demo_files: list[DemoFile]) -> int:
    """Write the demo files that are missing, only where their session still is."""
    session_ids = {f.session.id for f in demo_files if f.session}
    where = dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "workstream_id"))
    written = 0
    for path, data, session in demo_files:
        if path.exists() or (session and where.get(session.id) != session.workstream_id):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: an interrupted run never leaves a truncated file behind.
        tmp = path.with_name(f".{path.name}.seed-tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written += 1
    return written
