"""Messages and artifacts that no session of the source owns.

A message or artifact whose `session_id` names a session that does not exist is a
dangling reference: a rejected item naming table, id and column. One with no session at
all still comes in when it names a conversation (messages) or a project (artifacts) that
was imported; otherwise it is rejected as well.
"""

from __future__ import annotations

from django.db import transaction

from migration_app.legacy import tokendance_db as reader
from migration_app.services.journal import ItemRecord
from migration_app.services.legacy_import.shared import (
    Outcome,
    conversation_counters_update,
    messages_write,
    pks_present,
)
from migration_app.services.legacy_import.tokendance_db.artifacts import artifacts_plan
from migration_app.services.legacy_import.tokendance_db.sessions import message_build
from migration_app.services.legacy_import.tokendance_db.state import (
    State,
    as_uuid,
    missing,
    rejected,
    skipped,
)
from projects_app.models import Artifact, Message


def leftovers_import(state: State) -> None:
    for batch in reader.dangling_rows(state.source, "messages", "session_id", "sessions"):
        with transaction.atomic():
            _messages(state, batch)
    for batch in reader.dangling_rows(state.source, "artifacts", "session_id", "sessions"):
        with transaction.atomic():
            _artifacts(state, batch)


def _messages(state: State, batch: list[dict]) -> None:
    items, new = [], []
    old = pks_present(Message, [u for u in map(as_uuid, (r["id"] for r in batch)) if u])
    for row in batch:
        if row["session_id"] is not None:
            items.append(rejected("message", missing("messages", row, "session_id", "session")))
        elif row["conversation_id"] not in state.conversations:
            problem = missing("messages", row, "conversation_id", "conversation")
            items.append(rejected("message", problem))
        elif as_uuid(row["id"]) in old:
            items.append(skipped("message", row))
        else:
            message = message_build(state, row, None)
            if isinstance(message, reader.RowProblem):
                items.append(rejected("message", message))
                continue
            new.append(message)
            after = {"conversation_id": str(message.conversation_id)}
            items.append(ItemRecord("message", str(row["id"]), Outcome.MIGRATED, "", None, after))
    messages_write(new)
    conversation_counters_update(new)
    state.record(items)


def _artifacts(state: State, batch: list[dict]) -> None:
    items, candidates = [], []
    old = pks_present(Artifact, [u for u in map(as_uuid, (r["id"] for r in batch)) if u])
    for row in batch:
        if row["session_id"] is not None:
            items.append(rejected("artifact", missing("artifacts", row, "session_id", "session")))
        elif row["project_id"] not in state.projects:
            items.append(rejected("artifact", missing("artifacts", row, "project_id", "project")))
        elif as_uuid(row["id"]) in old:
            items.append(skipped("artifact", row))
        else:
            candidates.append(row)
    plan = artifacts_plan(state, candidates, conversation_of={}, project_of={})
    items += [rejected("artifact", problem) for problem in plan.problems]
    for artifact in plan.artifacts:
        reason = "; ".join(plan.notes.get(str(artifact.pk), []))
        after = {"project_id": artifact.project_id}
        items.append(
            ItemRecord("artifact", str(artifact.pk), Outcome.MIGRATED, reason, None, after)
        )
    Artifact.objects.bulk_create(plan.artifacts)
    state.record(items)
