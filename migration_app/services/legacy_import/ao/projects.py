"""Projects of an ao/ao-rs import: from config.yaml and portfolio/registered.json (ao),
or from a session's project directory when nothing else names it.
"""

import os
from typing import Any

from django.db import transaction

from migration_app.legacy import ao_config
from migration_app.legacy.reading import file_read
from migration_app.legacy.records import LegacyParseError, ProjectRecord, project_id_problem
from migration_app.models import MigrationItem
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.ao.state import HARNESS_NAMES, ImportState, rejected_file
from migration_app.services.legacy_import.shared import pks_present
from projects_app.list_cache import project_list_version_renew
from projects_app.models import Project, Source

Outcome = MigrationItem.Outcome


def project_row(state: ImportState, record: ProjectRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "workspace_id": state.workspace.pk,
        "title": record.title[:500],
        "path": record.path,
        "repo_origin_url": record.repo_origin_url,
        "config": record.config,
        "kind": Project.Kind.SINGLE_REPO,
        "registered_at": record.registered_at or state.now,
        "source": Source.AO if state.source == "ao" else Source.AO_RS,
        "created_at": state.now,
        "updated_at": state.now,
    }


def projects_plan(
    state: ImportState, records: list[ProjectRecord], existing: set[str]
) -> tuple[list[dict], list[ItemRecord]]:
    """Rows to insert and items for projects met for the first time in this run."""
    rows, items = [], []
    for record in records:
        if record.id in state.seen_projects:
            continue
        state.seen_projects.add(record.id)
        reason = "; ".join(record.notes)
        if record.id in existing:
            items.append(ItemRecord("project", record.id, Outcome.SKIPPED, "already exists"))
            continue
        rows.append(project_row(state, record))
        after = {"source_path": record.source_path}
        items.append(ItemRecord("project", record.id, Outcome.MIGRATED, reason, None, after))
    return rows, items


def import_config_projects(state: ImportState, root: str) -> None:
    """Projects of config.yaml and portfolio/registered.json (ao only), one batch."""
    items: list[ItemRecord] = []
    registered: list[ao_config.RegisteredEntry] = []
    registered_path = os.path.join(root, "portfolio", "registered.json")
    if os.path.isfile(registered_path):
        try:
            data, _ = file_read(registered_path, state.max_file_bytes)
            registered = ao_config.parse_ao_registered(data, path=registered_path)
        except Exception as exc:  # noqa: BLE001 - an unusable file is a rejected item
            items.append(rejected_file(registered_path, exc))
    config_path = os.path.join(root, "config.yaml")
    results: list[ProjectRecord | LegacyParseError] = []
    if os.path.isfile(config_path):
        try:
            data, mtime = file_read(config_path, state.max_file_bytes)
            results = ao_config.parse_ao_config(
                data, path=config_path, mtime=mtime, registered=registered, harnesses=HARNESS_NAMES
            )
        except Exception as exc:  # noqa: BLE001 - an unusable file is a rejected item
            items.append(rejected_file(config_path, exc))
    records = []
    for result in results:
        if isinstance(result, LegacyParseError):
            items.append(ItemRecord("project", result.path, Outcome.FAILED, result.reason))
            continue
        problem = project_id_problem(result.id)
        if problem:
            state.seen_projects.add(result.id)
            items.append(ItemRecord("project", result.id, Outcome.FAILED, problem))
            continue
        # The origin reads the URL with `git remote get-url origin`; the config's is a fallback.
        result.repo_origin_url = ao_config.git_origin_url(result.path) or result.repo_origin_url
        records.append(result)
    with transaction.atomic():
        existing = pks_present(Project, (r.id for r in records))
        rows, project_items = projects_plan(state, records, existing)
        write_projects(rows)
        items.extend(project_items)
        state.record(items)
        # Config projects count towards the progress total as well as the files.
        total = state.run.progress_total + len(results)
        migration_run_progress(run=state.run, advance=len(results), total=total)


def write_projects(rows: list[dict]) -> None:
    if not rows:
        return  # no new project: the API's cached project pages stay valid
    Project.objects.bulk_create([Project(**row) for row in rows], ignore_conflicts=True)
    project_list_version_renew()  # bulk_create sends no signal
