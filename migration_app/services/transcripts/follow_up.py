"""migrate_legacy's follow-up: which transcripts belong to the sessions an ao or ao-rs
import covered, for the import_transcripts run that migrate_legacy starts after it.

Read from the legacy run's journal, not from the session rows, so that a dry run (whose
sessions were rolled back) plans the same transcript run as the real one: the agent
session ids of the sessions it imported (kept in their items) and of those it found
already imported. The transcript copies it made in the Claude home for the new worktrees
are left out by the rule every import follows (copies.py: a copy is not read while its
original is there or was imported), not by a list of this run's own.
"""

from __future__ import annotations

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import MigrationError
from migration_app.services.legacy_import.shared import rows_in
from migration_app.services.transcripts import import_transcripts_plan
from projects_app.models import Workspace
from sessions_app.models import Session

Outcome = MigrationItem.Outcome
SOURCES = ("ao", "ao-rs")  # the stores whose sessions carry Claude / Codex session ids


def transcripts_follow_up_request(*, run: MigrationRun, codex_home: str | None) -> dict:
    """The import_transcripts request that follows the legacy import `run` (its Claude
    home, its workspace). Raises MigrationError, saying why, when there is nothing to
    run: no session with an agent session id, no transcript home, or no file of theirs
    (no empty run is recorded)."""
    agent_session_ids = legacy_agent_session_ids(run=run)
    if not agent_session_ids:
        raise MigrationError("no imported session has an agent session id")
    request = {
        "claude_home": run.params.get("claude_home"),
        "codex_home": codex_home,
        "workspace_slug": run.params.get("workspace") or Workspace.DEFAULT_SLUG,
        "agent_session_ids": agent_session_ids,
    }
    if not import_transcripts_plan(**request).total:
        n = len(agent_session_ids)
        raise MigrationError(f"no transcript file of the {n} imported session(s) was found")
    return request


def legacy_agent_session_ids(*, run: MigrationRun) -> list[str]:
    """The agent session ids of the sessions `run` imported or found imported."""
    sessions = run.items.filter(subject_type="session")
    ids = {
        after["agent_session_id"]
        for after in sessions.filter(outcome=Outcome.MIGRATED).values_list("after", flat=True)
        if isinstance(after, dict) and after.get("agent_session_id")
    }
    present = list(
        sessions.filter(outcome=Outcome.SKIPPED, reason="already imported").values_list(
            "subject_id", flat=True
        )
    )
    with_ids = Session.objects.exclude(agent_session_id="")
    ids.update(agent_id for (agent_id,) in rows_in(with_ids, "pk", present, "agent_session_id"))
    return sorted(ids)
