"""TokenDance artifacts → Artifact rows: lineage kept, object-storage fields in extra_data.

Every version of one artifact shares a lineage, the id of its first version (the root of
its `parent_version_id` chain, followed across batches and, when needed, in the source).
Our constraints (one latest row per lineage, one row per lineage and version) are
checked before the insert, so a source that breaks them gives a rejected item naming the
row and column instead of failing its batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from migration_app.legacy import tokendance_db as reader
from migration_app.services.legacy_import.shared import pks_present
from migration_app.services.legacy_import.tokendance_db.state import (
    State,
    as_uuid,
    derived_id,
    missing,
    stamped,
    too_long,
)
from projects_app.models import Artifact

KNOWN_TYPES = frozenset({"document", "ppt", "report", "code", "data", "image", "kv_snapshot"})
_STORAGE = ("file_path", "file_size", "preview_url", "thumbnail_url")
_LEGACY = (
    "description", "word_count", "parent_step", "parent_message_id", "kv_anchor_id",
    "context_length", "session_id", "project_id", "parent_version_id",
)  # fmt: skip
_MAX_DEPTH = 10_000


@dataclass
class ArtifactPlan:
    artifacts: list[Artifact] = field(default_factory=list)
    problems: list[reader.RowProblem] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # artifact id -> notes


def _lineage_of_root(root_id: str) -> uuid.UUID:
    return as_uuid(root_id) or derived_id("artifact-lineage", root_id)


def _roots(state: State, rows: list[dict]) -> dict[str, uuid.UUID | reader.RowProblem]:
    """Lineage of every row: the root of its parent chain (hub, run, source, in that order)."""
    parent = {r["id"]: r["parent_version_id"] for r in rows}
    # Lineages of parents imported already (this run's earlier batches included): per batch
    # only, so memory does not grow with the run.
    known: dict[str, uuid.UUID] = {}
    unknown = {p for p in parent.values() if p and p not in parent}
    if unknown:
        uuids = [u for u in map(as_uuid, unknown) if u]
        for pk, lineage in Artifact.objects.filter(pk__in=uuids).values_list("pk", "lineage"):
            known[str(pk)] = lineage
    # Parents neither imported nor in this batch: read their chain from the source.
    while missing := {p for p in parent.values() if p and p not in parent and p not in known}:
        found = reader.rows_where_in(state.source, "artifacts", "id", sorted(missing))
        for row in found:
            parent[row["id"]] = row["parent_version_id"]
        for gone in missing - {row["id"] for row in found}:
            parent[gone] = None  # a dangling parent: the chain starts at the child
    result: dict[str, uuid.UUID | reader.RowProblem] = {}
    for row in rows:
        node, seen = row["id"], set()
        while node not in known and parent.get(node) and len(seen) < _MAX_DEPTH:
            if node in seen:
                break
            seen.add(node)
            node = parent[node]
        if node in seen:
            result[row["id"]] = reader.RowProblem(
                "artifacts", row["id"], "parent_version_id", "its version chain is a cycle"
            )
        else:
            result[row["id"]] = known.get(node) or _lineage_of_root(node)
    return result


def artifacts_plan(
    state: State,
    raws: list[dict],
    *,
    conversation_of: dict[str, uuid.UUID | None],
    project_of: dict[str, str | None],
) -> ArtifactPlan:
    """Artifact rows for `raws` (new ones only). `conversation_of`/`project_of`: per
    TokenDance session id (None for artifacts without a session)."""
    plan = ArtifactPlan()
    rows = []
    for raw in raws:
        row = reader.row_convert("artifacts", raw)
        if isinstance(row, reader.RowProblem):
            plan.problems.append(row)
            continue
        problem = too_long(
            Artifact, "artifacts", row, {"name": "name", "mime_type": "mime_type"}
        ) or too_long(Artifact, "artifacts", row, {"artifact_type": "artifact_type"})
        if problem is None and as_uuid(row["id"]) is None:
            problem = reader.RowProblem("artifacts", row["id"], "id", "not a UUID")
        if problem is None and row["project_id"] and row["project_id"] not in state.projects:
            problem = missing("artifacts", row, "project_id", "project")
        version = 1 if row["version"] is None else row["version"]
        if problem is None and version < 1:
            problem = reader.RowProblem("artifacts", row["id"], "version", f"{version} < 1")
        if problem:
            plan.problems.append(problem)
            continue
        rows.append(row)
    lineages = _roots(state, rows)
    taken: set[tuple[uuid.UUID, int]] = set()
    latest: set[uuid.UUID] = set()
    known = [lin for lin in lineages.values() if isinstance(lin, uuid.UUID)]
    for lineage, version, is_latest in Artifact.objects.filter(lineage__in=known).values_list(
        "lineage", "version", "is_latest"
    ):
        taken.add((lineage, version))
        if is_latest:
            latest.add(lineage)
    accepted: set[str] = set()
    for row in sorted(rows, key=lambda r: (r["version"] or 1, r["id"])):
        lineage = lineages[row["id"]]
        if isinstance(lineage, reader.RowProblem):
            plan.problems.append(lineage)
            continue
        version = row["version"] or 1
        is_latest = True if row["is_latest"] is None else row["is_latest"]
        if (lineage, version) in taken:
            plan.problems.append(
                reader.RowProblem(
                    "artifacts", row["id"], "version", f"version {version} of its lineage exists"
                )
            )
            continue
        if is_latest and lineage in latest:
            plan.problems.append(
                reader.RowProblem(
                    "artifacts", row["id"], "is_latest", "its lineage has a latest version already"
                )
            )
            continue
        taken.add((lineage, version))
        if is_latest:
            latest.add(lineage)
        accepted.add(row["id"])
        plan.artifacts.append(_artifact(state, row, lineage, conversation_of, project_of, plan))
    # Parents: set when the parent is in (now, or after this batch); else fixed at the end.
    parents = {as_uuid(a.extra_data["legacy"].get("parent_version_id")) for a in plan.artifacts}
    present = pks_present(Artifact, [p for p in parents if p]) | {as_uuid(i) for i in accepted}
    for artifact in plan.artifacts:
        parent = as_uuid(artifact.extra_data["legacy"].get("parent_version_id"))
        if parent in present:
            artifact.parent_version_id = parent
        elif parent is not None:
            state.pending_parents.append((artifact.pk, parent))
    return plan


def _artifact(
    state: State,
    row: dict,
    lineage: uuid.UUID,
    conversation_of: dict,
    project_of: dict,
    plan: ArtifactPlan,
) -> Artifact:
    extra, dropped = reader.secrets_drop(row["extra_data"])
    legacy = {key: row[key] for key in _LEGACY if row[key] is not None}
    if extra is not None:
        legacy["extra_data"] = extra
    notes = []
    if dropped:
        notes.append(f"dropped secret-looking key(s) extra_data.{', extra_data.'.join(dropped)}")
    kind = (row["artifact_type"] or "").strip()
    if kind.casefold() in KNOWN_TYPES:
        kind = kind.casefold()
    elif kind:
        notes.append(f"artifact_type {kind!r} is not a TokenDance type; kept as it is")
    if notes:
        plan.notes[row["id"]] = notes
    artifact = Artifact(
        id=as_uuid(row["id"]),
        project_id=row["project_id"] or project_of.get(row["session_id"]),
        conversation_id=conversation_of.get(row["session_id"]),
        lineage=lineage,
        name=row["name"] or "",
        artifact_type=kind,
        content=row["content_preview"] or "",
        mime_type=row["mime_type"] or "",
        version=row["version"] or 1,
        is_latest=True if row["is_latest"] is None else row["is_latest"],
        extra_data={
            "object_storage": {k: row[k] for k in _STORAGE if row[k] is not None},
            "legacy": legacy,
        },
    )
    return stamped(artifact, row)


def pending_parents_link(state: State) -> int:
    """Link children whose parent came in a later batch (one query per 500)."""
    linked = 0
    pairs = state.pending_parents
    state.pending_parents = []
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        present = set(
            Artifact.objects.filter(pk__in=[p for _, p in chunk]).values_list("pk", flat=True)
        )
        for child, parent in chunk:
            if parent in present:
                linked += Artifact.objects.filter(pk=child, parent_version__isnull=True).update(
                    parent_version_id=parent
                )
    return linked
