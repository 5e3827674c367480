"""What one arawn import run carries from step to step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from migration_app.services.legacy_import.shared import RunState
from projects_app.models import Workspace

# Conversations get ids derived from what they hold, so a re-run finds them by key.
_CONVERSATION_NS = uuid.UUID("0b7f5d8e-3c41-4e6a-9d2a-5a1e7c0f4b21")


def session_conversation_id(session_id: str) -> uuid.UUID:
    return uuid.uuid5(_CONVERSATION_NS, f"arawn-session:{session_id}")


def workstream_conversation_id(workstream_id: str) -> uuid.UUID:
    return uuid.uuid5(_CONVERSATION_NS, f"arawn-workstream:{workstream_id}")


@dataclass
class ArawnState(RunState):
    workspace: Workspace
    db_path: str
    tree: str
    batch_size: int
    # Workstream ids usable in the hub (imported, already there, or scratch).
    workstreams: set[str] = field(default_factory=set)
    # Session id -> the hub workstream it is in (imported now or before).
    session_ws: dict[str, str] = field(default_factory=dict)
