"""migrate_legacy: one migration kind, `legacy_import`, for every legacy origin.

Each origin (ao, ao-rs, …) is a LegacySource registered here; the kind hands a run to the
source named in its params. A dry run is rolled back (journal.DryRun.ROLLED_BACK), so a
source writes as for real and registers file copies with `transaction.on_commit`.
Adding an origin: a module in this package that calls `legacy_source_register`, imported
at the bottom of this file.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from migration_app.legacy.minsky import url_without_password
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import (
    DryRun,
    MigrationError,
    MigrationKind,
    Planned,
    UndoResult,
    migration_kind_register,
)
from projects_app.db_tuning import tables_analyze
from projects_app.models import Artifact, Conversation, Message, Project, Workspace
from sessions_app.models import Session, UsageRecord, Workstream
from sessions_app.usage import LEGACY_USAGE_KEYS, usage_sessions_record

# What the origins write into, analyzed after a run that wrote (PostgreSQL).
IMPORTED_MODELS = (
    Workspace, Workstream, Project, Session, Conversation, Message, Artifact, UsageRecord,
    MigrationItem,
)  # fmt: skip


@dataclass(frozen=True)
class LegacySource:
    name: str  # the value of migrate_legacy --source
    default_location: Callable[[], str]  # where the origin keeps its store by default
    plan: Callable[..., Planned]  # location=…, plus the command options it names
    execute: Callable[[MigrationRun], dict[str, Any]]
    undo: Callable[[MigrationRun], UndoResult]
    # Writes a small realistic store at a path (make_sample_store), for trying the import.
    sample_write: Callable[..., None]
    options: tuple[str, ...] = ()  # migrate_legacy options its plan takes
    # Whether a location (directory, file or URL; False for one it cannot read) has the
    # shape of this origin's store: a location given to the wrong --source is refused
    # with the right command (legacy_import_plan).
    recognises: Callable[[str], bool] | None = None


_SOURCES: dict[str, LegacySource] = {}


def workspace_require(
    *, slug: str, instead: str = "pass --workspace with an existing slug"
) -> None:
    """Every source's plan refuses a --workspace that does not exist, saying what to do."""
    if not Workspace.objects.filter(slug=slug).exists():
        raise MigrationError(
            f"Workspace {slug!r} does not exist; create it in the admin or {instead}."
        )


def source_dir_require(*, location: str, expected: str) -> str:
    """The store's absolute path; a plan refuses one that is no readable directory."""
    path = os.path.abspath(os.path.expanduser(location))
    if not os.path.isdir(path):
        raise MigrationError(
            f"Source path {path} does not exist or is not a directory; pass {expected} as PATH."
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise MigrationError(
            f"Source path {path} is not readable; fix its permissions or run as its owner."
        )
    return path


def legacy_source_register(source: LegacySource) -> None:
    _SOURCES[source.name] = source


def legacy_source_get(name: str) -> LegacySource:
    try:
        return _SOURCES[name]
    except KeyError:
        known = ", ".join(legacy_source_names())
        raise MigrationError(f"Unknown source {name!r}; use one of {known}.") from None


def legacy_source_names() -> list[str]:
    return sorted(_SOURCES)


def legacy_import_plan(*, source: str, **request: Any) -> Planned:
    origin = legacy_source_get(source)
    location = request.get("location") or ""
    path = location if "://" in location else os.path.abspath(os.path.expanduser(location))
    # A directory that is not a store of `source` but has the shape of another registered
    # origin's store is refused with the command that imports it.
    if location and origin.recognises and os.path.isdir(path) and not origin.recognises(path):
        _another_origin_refuse(source=source, path=path)
    try:
        planned = origin.plan(**request)
    except MigrationError:
        # A file or database the source refuses may be another origin's (a TokenDance
        # database given as minsky): probed only now, so a good store costs nothing more.
        if location and origin.recognises and not origin.recognises(path):
            _another_origin_refuse(source=source, path=path)
        raise
    return replace(planned, params={"source": source, **planned.params})


def _another_origin_refuse(*, source: str, path: str) -> None:
    """Raise the wrong-source refusal when another origin recognises `path` (or, for a
    file, the directory holding it: arawn's workstreams.db is part of its data dir)."""
    places = [path]
    if os.path.isfile(path):
        places.append(os.path.dirname(path))
    shown = url_without_password(path)
    for place in places:
        for name, other in sorted(_SOURCES.items()):
            if name != source and other.recognises is not None and other.recognises(place):
                what = "has the shape of" if place == path else "is part of"
                raise MigrationError(
                    f"{shown} is not {_a(source)} {source} store: it {what} {_a(name)} {name} "
                    f"store. Run: python manage.py migrate_legacy --source {name} "
                    f"{url_without_password(place)}"
                )


def _a(name: str) -> str:
    return "an" if name[:1] in "aeiou" else "a"


def legacy_import_execute(run: MigrationRun) -> dict[str, Any]:
    counts = legacy_source_get(run.params["source"]).execute(run)
    if run.params["source"] in LEGACY_USAGE_KEYS:
        # The token totals some stores keep (ao-rs cost blocks, TokenDance total_tokens_used).
        imported = run.items.filter(subject_type="session", outcome=MigrationItem.Outcome.MIGRATED)
        usage_sessions_record(session_ids=list(imported.values_list("subject_id", flat=True)))
    if not run.dry_run and run.items.filter(outcome=MigrationItem.Outcome.MIGRATED).exists():
        tables_analyze(IMPORTED_MODELS)  # the next run's look-ups plan on the rows it wrote
    return counts


migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.LEGACY_IMPORT,
        plan=legacy_import_plan,
        execute=legacy_import_execute,
        undo=lambda run: legacy_source_get(run.params["source"]).undo(run),
        dry_run=DryRun.ROLLED_BACK,
        one_at_a_time=True,  # the importers' numbering and idempotency assume one writer
    )
)

# The origins; each registers itself.
from migration_app.services.legacy_import import (  # noqa: E402
    ao,  # noqa: F401
    arawn_store,  # noqa: F401
    minsky_store,  # noqa: F401
    tokendance_db,  # noqa: F401
)
