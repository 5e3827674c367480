"""Claude transcripts of imported sessions: planned (journaled) in the batch transaction,
copied once it commits, through a temporary file and a hard link (never overwriting a
destination). A rolled-back dry run never reaches the copy.
"""

from __future__ import annotations

import os
import shutil
from functools import partial

from django.db import transaction

from migration_app.legacy.rows import ParsedSession
from migration_app.legacy.transcripts import transcript_destination
from migration_app.models import MigrationItem
from migration_app.services.journal import ItemRecord
from migration_app.services.legacy_import.ao.state import TEMP_SUFFIX, ImportState, TranscriptCopy

Outcome = MigrationItem.Outcome


def transcript_plan(
    state: ImportState,
    items: list[ItemRecord],
    copies: list[TranscriptCopy],
    project_id: str,
    session_id: str,
    uuid: str,
    source: str,
    source_found: bool | None = None,
    dest: str = "",
    dest_found: bool = False,
) -> None:
    """Journal the transcript's item and add its copy. `source_found`, `dest`, `dest_found`:
    what the parse helper already looked up (None, '': look now)."""
    if not dest:
        dest = transcript_destination(
            claude_home=state.claude_home,
            data_dir=state.data_dir,
            project_id=project_id,
            session_id=session_id,
            uuid=uuid,
        )
        dest_found = os.path.exists(dest)
    after = {"source": source, "dest": dest, "session_id": session_id}
    if dest_found:
        state.bump("transcripts_already_present")
        item = ItemRecord("transcript", dest, Outcome.SKIPPED, "already present", None, after)
        copies.append(TranscriptCopy(source, dest, copy=False))
    elif not (os.path.isfile(source) if source_found is None else source_found):
        state.bump("transcripts_source_missing")
        item = ItemRecord("transcript", dest, Outcome.SKIPPED, f"source missing: {source}")
    else:
        state.bump("transcripts_copied")  # in a dry run: would be copied
        item = ItemRecord("transcript", dest, Outcome.MIGRATED, "copied", None, after)
        copies.append(TranscriptCopy(source, dest, copy=True))
    items.append(item)


def record_transcript(
    state: ImportState, record: ParsedSession, items: list[ItemRecord], copies: list
) -> None:
    if record.transcript_source:
        transcript_plan(
            state, items, copies, record.project_id, record.id, record.agent_session_id,
            record.transcript_source, record.transcript_source_found, record.transcript_dest,
            record.transcript_dest_found,
        )  # fmt: skip


def copy_transcripts(copies: list[TranscriptCopy]) -> int:
    """Copy (never move) each transcript; a destination that exists is left alone."""
    done = 0
    for copy in copies:
        temp = copy.dest + TEMP_SUFFIX
        if not copy.copy or os.path.exists(copy.dest):
            if os.path.exists(temp):
                os.unlink(temp)
            continue
        os.makedirs(os.path.dirname(copy.dest), exist_ok=True)
        try:
            shutil.copyfile(copy.source, temp)
            os.link(temp, copy.dest)  # fails instead of overwriting
            done += 1
        except FileExistsError:
            pass
        except OSError:
            continue
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    return done


def copy_after_commit(state: ImportState, copies: list[TranscriptCopy]) -> None:
    """Files are copied only once the batch that journals them has committed (never in a
    dry run, never when the batch rolls back)."""
    if copies:
        transaction.on_commit(partial(copy_transcripts, copies))
