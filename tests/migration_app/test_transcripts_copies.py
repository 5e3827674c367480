"""A later import_transcripts reads the originals of the transcripts the ao import copied
for its sessions' new worktrees, not the copies: one conversation, not two. A copy whose
original is gone and was never imported is read: it is all that is left."""

import os
from pathlib import Path

import pytest

from migration_app.models import MigrationItem, MigrationRun, TranscriptFile
from projects_app.models import Message
from tests.migration_app.legacy_helpers import command_run
from tests.migration_app.test_transcripts_follow_up import ao_import, store  # noqa: F401

# transaction=True: the ao import copies transcripts in transaction.on_commit.
pytestmark = pytest.mark.django_db(transaction=True)


def copies_made() -> dict[str, str]:
    """copy → original, as the ao import journaled them."""
    items = MigrationItem.objects.filter(subject_type="transcript", outcome="migrated")
    copies = {item.subject_id: item.after["source"] for item in items}
    assert copies and all(os.path.isfile(path) for path in copies)
    return copies


def messages_by_conversation() -> dict:
    rows = Message.objects.values_list("conversation_id", flat=True)
    return {c: list(rows).count(c) for c in set(rows)}


def import_transcripts(store):  # noqa: F811
    _, claude, codex = store
    code, _, err = command_run("import_transcripts", "--claude-home", str(claude),
                               "--codex-home", str(codex))  # fmt: skip
    assert code == 0, err


def test_a_later_import_reads_the_originals_and_leaves_the_copies(store):  # noqa: F811
    code, _, err = ao_import(store)
    assert code == 0, err
    copies = copies_made()
    before = messages_by_conversation()

    import_transcripts(store)

    read = set(TranscriptFile.objects.values_list("path", flat=True))
    assert read.isdisjoint(copies) and set(copies.values()) <= read
    # Other transcripts came in; the conversations of ao's sessions did not grow.
    after = messages_by_conversation()
    assert len(after) > len(before)
    assert {c: after[c] for c in before} == before
    assert MigrationRun.objects.filter(kind="import_transcripts").count() == 2


def test_a_copy_whose_original_is_gone_unimported_is_read(store):  # noqa: F811
    code, _, err = ao_import(store, "--no-transcripts")
    assert code == 0, err
    copies = copies_made()
    gone_copy, gone_original = next(iter(copies.items()))
    Path(gone_original).unlink()

    import_transcripts(store)

    read = set(TranscriptFile.objects.values_list("path", flat=True))
    assert gone_copy in read
    assert read.isdisjoint(set(copies) - {gone_copy})


def test_a_copy_whose_original_was_imported_then_deleted_is_not_read_again(store):  # noqa: F811
    code, _, err = ao_import(store)
    assert code == 0, err
    copies = copies_made()
    before = messages_by_conversation()
    for original in copies.values():
        Path(original).unlink()  # Claude Code's cleanup after cleanupPeriodDays

    import_transcripts(store)

    assert set(TranscriptFile.objects.values_list("path", flat=True)).isdisjoint(copies)
    after = messages_by_conversation()
    assert {c: after[c] for c in before} == before


def test_the_follow_up_of_migrate_legacy_keeps_to_the_same_rule(store):  # noqa: F811
    """The follow-up run of a re-run of migrate_legacy (its copies `already present`) leaves
    out the copies whose original is there, and reads the one whose original is gone and
    was never imported, as any import does (no list of its own copies to skip)."""
    code, _, err = ao_import(store, "--no-transcripts")
    assert code == 0, err
    copies = copies_made()
    gone_copy, gone_original = next(iter(copies.items()))
    Path(gone_original).unlink()

    code, _, err = ao_import(store)  # every session already imported, every copy present
    assert code == 0, err

    follow_up = MigrationRun.objects.get(kind="import_transcripts")
    read = set(follow_up.items.filter(subject_type="transcript_file", outcome="migrated")
               .values_list("subject_id", flat=True))  # fmt: skip
    assert gone_copy in read
    assert read.isdisjoint(set(copies) - {gone_copy})
    assert set(copies.values()) - {gone_original} <= read
