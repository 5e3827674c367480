"""Workspaces, and the projects, conversations and project versions that TokenDance's own
migration already created: imported verbatim, before the sessions that point at them."""

from __future__ import annotations

from django.db import transaction

from migration_app.legacy import tokendance_db as reader
from migration_app.legacy.tokendance import fold
from migration_app.services.journal import ItemRecord
from migration_app.services.legacy_import.shared import Outcome, pks_present
from migration_app.services.legacy_import.tokendance_db.state import (
    ConversationRef,
    State,
    as_uuid,
    missing,
    notes_join,
    rejected,
    skipped,
    stamped,
    too_long,
)
from projects_app.list_cache import project_list_version_renew
from projects_app.models import Conversation, Project, ProjectVersion, Source, Workspace


def _secrets_note(dropped: list[str]) -> str:
    return f"dropped secret-looking key(s) {', '.join(sorted(dropped))}" if dropped else ""


# --- workspaces ---------------------------------------------------------------------------


def workspaces_import(state: State) -> None:
    """All workspaces in one transaction (a TokenDance database holds few)."""
    rows, items = [], []
    for batch in reader.table_rows(state.source, "workspaces", batch_size=state.batch_size):
        for raw in batch:
            row = reader.row_convert("workspaces", raw)
            if isinstance(row, reader.RowProblem):
                items.append(rejected("workspace", row))
                continue
            problem = too_long(Workspace, "workspaces", row, {"name": "name"})
            if problem is None and as_uuid(row["id"]) is None and state.target_workspace is None:
                problem = reader.RowProblem("workspaces", row["id"], "id", "not a UUID")
            if problem:
                items.append(rejected("workspace", problem))
                continue
            if row["filesystem_path"]:
                mapped = reader.path_mapped(row["filesystem_path"], state.path_map)
                state.workspace_paths[row["id"]] = mapped
            rows.append(row)
    if state.target_workspace is not None:
        for row in rows:
            state.workspaces[row["id"]] = state.target_workspace
        with transaction.atomic():
            state.record(items)
        return
    rows.sort(key=lambda r: (r["created_at"] is None, r["created_at"] or state.now, r["id"]))
    existing = pks_present(Workspace, [as_uuid(r["id"]) for r in rows])
    new = []
    taken: set[str] = set()
    for row in rows:
        pk = as_uuid(row["id"])
        state.workspaces[row["id"]] = pk
        if pk in existing:
            items.append(skipped("workspace", row))
            continue
        slug, note = _slug_unique(row, taken)
        taken.add(slug)
        workspace, dropped = _workspace(row, pk, slug)
        new.append(workspace)
        after = {"id": str(pk), "slug": slug}
        reason = notes_join([note, _secrets_note(dropped)])
        items.append(ItemRecord("workspace", row["id"], Outcome.MIGRATED, reason, None, after))
    with transaction.atomic():
        Workspace.objects.bulk_create(new)
        state.record(items)


def _slug_unique(row: dict, taken: set[str]) -> tuple[str, str]:
    base = (row["slug"] or "workspace")[:90]
    used = taken | set(
        Workspace.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    )
    if base not in used:
        return base, ""
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    slug = f"{base}-{n}"
    return slug, f"slug {base!r} is used by another owner's workspace; imported as {slug!r}"


def _workspace(row: dict, pk, slug: str) -> tuple[Workspace, list[str]]:
    settings, dropped = reader.secrets_drop(row["settings"])
    stats, dropped_stats = reader.secrets_drop(row["stats"])
    metadata = {
        "source": Source.TOKENDANCE.value,
        "description": row["description"],
        "workspace_type": row["workspace_type"],
        "owner_id": row["owner_id"],
        "team_id": row["team_id"],
        "filesystem_path": row["filesystem_path"],
        "settings": settings,
        "stats": stats,
        "last_accessed_at": _iso(row["last_accessed_at"]),
    }
    workspace = stamped(Workspace(id=pk, name=row["name"], slug=slug, metadata=metadata), row)
    dropped = [f"settings.{k}" for k in dropped] + [f"stats.{k}" for k in dropped_stats]
    return workspace, dropped


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


# --- projects, conversations, versions ----------------------------------------------------


def projects_import(state: State) -> None:
    for table, batch_import in [
        ("projects", _projects_batch),
        ("conversations", _conversations_batch),
        ("project_versions", _versions_batch),
    ]:
        for batch in reader.table_rows(state.source, table, batch_size=state.batch_size):
            with transaction.atomic():
                batch_import(state, batch)


def _projects_batch(state: State, batch: list[dict]) -> None:
    items, new = [], []
    existing = pks_present(Project, [r["id"] for r in batch])
    for raw in batch:
        row = reader.row_convert("projects", raw)
        if isinstance(row, reader.RowProblem):
            items.append(rejected("project", row))
            continue
        workspace = state.workspaces.get(row["workspace_id"])
        problem = too_long(Project, "projects", row, {"id": "id", "title": "title"})
        if problem is None and workspace is None:
            problem = missing("projects", row, "workspace_id", "workspace")
        if problem:
            items.append(rejected("project", problem))
            continue
        state.projects[row["id"]] = workspace
        if row["id"] in existing:
            items.append(skipped("project", row))
            continue
        settings, dropped = reader.secrets_drop(row["settings"] or {})
        context, dropped_context = reader.secrets_drop(row["context"] or {})
        project = Project(
            id=row["id"],
            workspace_id=workspace,
            title=row["title"] or "",
            description=row["description"] or "",
            project_type=fold(row["project_type"]) or Project.ProjectType.QUICK_TASK,
            status=fold(row["status"]) or Project.Status.DRAFT,
            intent=row["intent"] or "",
            context=context,
            settings=settings,
            source=Source.TOKENDANCE,
        )
        new.append(stamped(project, row))
        dropped = [f"settings.{k}" for k in dropped] + [f"context.{k}" for k in dropped_context]
        reason, after = _secrets_note(dropped), {"id": row["id"]}
        items.append(ItemRecord("project", row["id"], Outcome.MIGRATED, reason, None, after))
    Project.objects.bulk_create(new)
    project_list_version_renew()  # bulk_create sends no signal
    state.record(items)


_CONVERSATION_EXTRA = ("context_summary", "tokens_used", "turn_count", "shared_memory")


def _conversations_batch(state: State, batch: list[dict]) -> None:
    items, new = [], []
    existing = pks_present(Conversation, [u for u in map(as_uuid, (r["id"] for r in batch)) if u])
    for raw in batch:
        row = reader.row_convert("conversations", raw)
        if isinstance(row, reader.RowProblem):
            items.append(rejected("conversation", row))
            continue
        pk = as_uuid(row["id"])
        problem = too_long(Conversation, "conversations", row, {"title": "title"})
        if problem is None and pk is None:
            problem = reader.RowProblem("conversations", row["id"], "id", "not a UUID")
        if problem is None and row["project_id"] not in state.projects:
            problem = missing("conversations", row, "project_id", "project")
        if problem:
            items.append(rejected("conversation", problem))
            continue
        extra, dropped = reader.secrets_drop(row["extra_data"] or {})
        if not isinstance(extra, dict):
            extra = {"extra_data": extra}
        marker = extra.get("migrated_from_session_id")
        if isinstance(marker, str) and marker:
            state.migrated_by_origin.setdefault(marker, row["id"])
        workspace = state.projects[row["project_id"]]
        state.conversations[row["id"]] = ConversationRef(row["project_id"], workspace)
        if pk in existing:
            items.append(skipped("conversation", row))
            continue
        kept = {k: row[k] for k in _CONVERSATION_EXTRA if row[k] not in (None, 0)}
        kept.update(
            current_session_id=row["current_session_id"], completed_at=_iso(row["completed_at"])
        )
        extra["tokendance"] = {k: v for k, v in kept.items() if v is not None}
        conversation = Conversation(
            id=pk,
            project_id=row["project_id"],
            workspace_id=workspace,
            title=row["title"] or "",
            purpose=fold(row["purpose"]) or "general",
            status=fold(row["status"]) or Conversation.Status.ACTIVE,
            selection_context=row["selection_context"],
            extra_data=extra,
        )
        new.append(stamped(conversation, row))
        reason = _secrets_note([f"extra_data.{k}" for k in dropped])
        items.append(
            ItemRecord("conversation", row["id"], Outcome.MIGRATED, reason, None, {"id": str(pk)})
        )
    Conversation.objects.bulk_create(new)
    state.record(items)


def _versions_batch(state: State, batch: list[dict]) -> None:
    items, new = [], []
    rows = []
    for raw in batch:
        row = reader.row_convert("project_versions", raw)
        if isinstance(row, reader.RowProblem):
            items.append(rejected("project_version", row))
        elif row["project_id"] not in state.projects:
            problem = missing("project_versions", row, "project_id", "project")
            items.append(rejected("project_version", problem))
        elif not isinstance(row["version_number"], int) or row["version_number"] < 0:
            problem = reader.RowProblem(
                "project_versions", row["id"], "version_number", "not a version number"
            )
            items.append(rejected("project_version", problem))
        else:
            rows.append(row)
    existing = set(
        ProjectVersion.objects.filter(project_id__in={r["project_id"] for r in rows}).values_list(
            "project_id", "version_number"
        )
    )
    for row in rows:
        key = (row["project_id"], row["version_number"])
        if key in existing:
            items.append(skipped("project_version", row))
            continue
        existing.add(key)
        snapshot, _ = reader.secrets_drop(row["snapshot"] or {})
        version = ProjectVersion(
            project_id=row["project_id"],
            version_number=row["version_number"],
            snapshot=snapshot,
            change_summary=row["change_summary"] or "",
            change_type=fold(row["change_type"]) or ProjectVersion.ChangeType.AUTO,
            changed_by=(row["changed_by"] or "")[:150],
        )
        if row["created_at"]:
            version.created_at = row["created_at"]
        new.append(version)
        after = {"project_id": row["project_id"], "version_number": row["version_number"]}
        items.append(ItemRecord("project_version", row["id"], Outcome.MIGRATED, "", None, after))
    ProjectVersion.objects.bulk_create(new)
    state.record(items)
