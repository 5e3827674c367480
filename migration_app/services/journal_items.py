"""The journal's items: one line per subject of a run, written in batches (services/bulk.py),
or held while a rolled-back dry run executes and written after the rollback. Used through
`migration_app.services.journal`, which re-exports what kinds call."""

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.bulk import rows_insert, rows_insert_matching, rows_select_matching


@dataclass(frozen=True)
class ItemRecord:
    """One journal line, before it is written."""

    subject_type: str
    subject_id: str
    outcome: str
    reason: str = ""
    before: Any = None
    after: Any = None


# Set while a rolled-back dry run executes: its items wait here for the rollback.
held_items: ContextVar["HeldItems | None"] = ContextVar("held_items", default=None)
_ITEM_COLUMNS = (
    "run", "subject_type", "subject_id", "outcome", "reason", "before", "after", "created_at",
)  # fmt: skip


class HeldItems:
    """Items of a dry run, spooled to a temporary file so memory stays bounded."""

    def __init__(self):
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()

    def add(self, items: list[ItemRecord]) -> None:
        pickle.dump(items, self._file, pickle.HIGHEST_PROTOCOL)

    def batches(self) -> Iterator[list[ItemRecord]]:
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


def migration_items_record(
    *, run: MigrationRun, items: Iterable[ItemRecord], created_at=None
) -> int:
    """Write a batch of items in one statement (services/bulk.py); returns how many."""
    items = list(items)
    held = held_items.get()
    if held is not None:
        held.add(items)
        return len(items)
    return items_write(run, items, created_at)


def migration_items_record_matching(
    *,
    run: MigrationRun,
    item: ItemRecord,
    model,
    keys: Sequence[str],
    equal: dict[str, str],
    created_at=None,
) -> int:
    """`item` (its subject_id aside) once for each row of `model` among `keys` whose text
    fields hold `equal`'s values, the row's key as subject: one INSERT … SELECT, no item
    built here (services/bulk.py); a dry run holds them as any items. Returns how many."""
    held = held_items.get()
    if held is not None:
        found = rows_select_matching(model, keys, equal)
        held.add([replace(item, subject_id=key) for key in found])
        return len(found)
    fixed = {"run": run.pk, "subject_type": item.subject_type, "outcome": item.outcome,
             "reason": item.reason, "created_at": created_at or timezone.now()}  # fmt: skip
    return rows_insert_matching(
        MigrationItem, fixed, "subject_id", source=model, keys=keys, equal=equal
    )


def items_write(run: MigrationRun, items: list[ItemRecord], created_at=None) -> int:
    ops = connection.ops
    created_at = ops.adapt_datetimefield_value(created_at or timezone.now())
    run_id = MigrationItem._meta.get_field("run").get_db_prep_save(run.pk, connection)
    json_field = MigrationItem._meta.get_field("after")
    rows = [
        (
            run_id, item.subject_type, item.subject_id, item.outcome, item.reason,
            None if item.before is None else ops.adapt_json_value(item.before, json_field.encoder),
            None if item.after is None else ops.adapt_json_value(item.after, json_field.encoder),
            created_at,
        )
        for item in items
    ]  # fmt: skip
    rows_insert(MigrationItem, _ITEM_COLUMNS, rows)
    return len(rows)
