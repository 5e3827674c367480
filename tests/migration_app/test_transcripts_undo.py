"""Undo of an import_transcripts run (services/transcripts/undo.py) never destroys the
only copy of a transcript: the archive copy goes only while the original still holds its
bytes, and a run that a later run read on from is undone after it. (That a plain undo,
original there and nothing appended, removes the copy: test_transcripts_import.py,
test_undo_removes_what_the_run_made.) A copy an undo kept is not overwritten by another
file that appears at its original's path later (services/transcripts/files.py, _start)."""

import pytest

from migration_app.models import MigrationRun, TranscriptFile
from migration_app.services import MigrationConflict, migration_undo
from sessions_app.models import Session
from tests.migration_app.transcript_helpers import (
    claude_session,
    claude_user,
    codex_session,
    homes,
    lines_write,
    transcripts_run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    return claude_session(claude)


@pytest.fixture
def archive(tmp_path, data_dir, original):
    return data_dir / "transcripts" / "claude-code" / original.relative_to(tmp_path / "claude")


def _notes(run: MigrationRun) -> list[str]:
    return MigrationRun.objects.get(pk=run.pk).counts["undo_notes"]


def test_undo_keeps_the_copy_of_an_original_deleted_since(tmp_path, data_dir, original, archive):
    codex = codex_session(homes(tmp_path)[1])
    run = transcripts_run(tmp_path)
    data = original.read_bytes()
    original.unlink()  # as Claude Code does after cleanupPeriodDays
    migration_undo(run=run)
    assert archive.read_bytes() == data
    [note] = _notes(run)
    assert str(archive) in note and "is gone, so the copy is the only one" in note
    # The Codex original is still there: its copy goes, as a plain undo's does.
    assert codex.exists()
    assert not (data_dir / "transcripts" / "codex" / codex.relative_to(tmp_path / "codex")).exists()
    # The rest of the run is undone as usual.
    assert not Session.objects.exists() and not TranscriptFile.objects.exists()


def test_undo_keeps_the_copy_of_an_original_rewritten_since(tmp_path, original, archive):
    run = transcripts_run(tmp_path)
    data = original.read_bytes()
    lines_write(original, [claude_user("u1", "something else entirely, and longer")] * 9)
    migration_undo(run=run)
    assert archive.read_bytes() == data
    assert "no longer holds the bytes copied" in _notes(run)[0]


def test_undo_of_a_run_a_later_run_read_on_from_is_refused(tmp_path, original, archive):
    first = transcripts_run(tmp_path)
    lines_write(original, [claude_user("u9", "more")], append=True)
    later = transcripts_run(tmp_path)
    with pytest.raises(MigrationConflict, match=f"Run {later.pk} .* undo that run first"):
        migration_undo(run=first)
    assert archive.read_bytes() == original.read_bytes()
    assert MigrationRun.objects.get(pk=first.pk).status == MigrationRun.Status.SUCCEEDED
    # In order, newest first, both undo.
    migration_undo(run=later)
    migration_undo(run=first)
    assert not archive.exists() and not TranscriptFile.objects.exists()


def test_undo_of_an_appending_run_keeps_the_appended_bytes_of_a_deleted_original(
    tmp_path, original, archive
):
    first = transcripts_run(tmp_path)
    lines_write(original, [claude_user("u9", "more")], append=True)
    later = transcripts_run(tmp_path)
    data = original.read_bytes()
    original.unlink()
    migration_undo(run=later)
    assert archive.read_bytes() == data  # not cut back: the appended line exists nowhere else
    assert "is gone" in _notes(later)[0]
    migration_undo(run=first)
    assert archive.read_bytes() == data
    assert "does not end where this run left it" in _notes(first)[0]


def test_undo_of_a_rereading_run_keeps_its_new_copy_beside_the_earlier_one(
    tmp_path, original, archive
):
    transcripts_run(tmp_path)
    old = original.read_bytes()
    lines_write(original, [claude_user("u1", "A!")])  # shrank: read again, old copy set aside
    run = transcripts_run(tmp_path)
    new = original.read_bytes()
    original.unlink()
    migration_undo(run=run)
    assert archive.read_bytes() == old
    kept = archive.parent / f"{archive.name}.replaced-2"
    assert kept.read_bytes() == new
    assert f"it is kept as {kept}" in _notes(run)[0]


def kept_by_an_undo(tmp_path, original) -> bytes:
    """Import, delete the original, undo: the copy stays, with no row. Its bytes."""
    run = transcripts_run(tmp_path)
    data = original.read_bytes()
    original.unlink()
    migration_undo(run=run)
    assert not TranscriptFile.objects.exists()
    return data


def test_another_file_at_a_kept_copy_s_path_sets_the_copy_aside_first(tmp_path, original, archive):
    kept = kept_by_an_undo(tmp_path, original)
    lines_write(original, [claude_user("n1", "a new session at the old path")])
    aside = archive.parent / f"{archive.name}.replaced-1"
    transcripts_run(tmp_path, dry_run=True)  # a dry run moves nothing
    assert archive.read_bytes() == kept and not aside.exists()

    run = transcripts_run(tmp_path)
    assert aside.read_bytes() == kept
    assert archive.read_bytes() == original.read_bytes()
    note = run.items.get(subject_type="transcript_file", outcome="skipped").reason
    assert "kept by an undo" in note and f"kept as {aside}" in note
    # Undoing that import puts the kept copy back where it was.
    migration_undo(run=run)
    assert archive.read_bytes() == kept and not aside.exists()


def test_the_same_file_back_at_a_kept_copy_s_path_is_copied_over_it(tmp_path, original, archive):
    kept = kept_by_an_undo(tmp_path, original)
    original.write_bytes(kept)
    lines_write(original, [claude_user("u9", "more")], append=True)
    transcripts_run(tmp_path)
    assert archive.read_bytes() == original.read_bytes()  # starts with the kept bytes
    assert list(archive.parent.glob("*.replaced-*")) == []
