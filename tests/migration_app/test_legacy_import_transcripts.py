"""Claude transcripts of imported sessions: copied once, after commit, never overwritten."""

import json
from pathlib import Path

import pytest

from migration_app.legacy.transcripts import claude_slug
from migration_app.models import MigrationItem
from migration_app.services import migration_undo
from projects_app.models import Project
from sessions_app.models import Session
from tests.migration_app.legacy_helpers import (
    import_committing,
    item_plan,
    legacy_import_run,
    list_files,
    run_import,
)

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome


def test_undo_keeps_a_transcript_destination_that_was_already_present(ao_tree, claude_home):
    first = run_import(ao_tree, claude_home)
    copied = first.items.filter(subject_type="transcript", outcome=Outcome.MIGRATED).first()
    Session.objects.all().delete()
    Project.objects.all().delete()
    second = run_import(ao_tree, claude_home)
    item = second.items.get(subject_type="transcript", subject_id=copied.subject_id)
    assert item.outcome == Outcome.SKIPPED and item.reason == "already present"
    migration_undo(run=second)
    assert Path(copied.subject_id).exists()


def test_an_existing_transcript_destination_is_never_overwritten(ao_tree, claude_home, data_dir):
    dry = run_import(ao_tree, claude_home, dry_run=True)
    planned = dry.items.filter(subject_type="transcript", outcome=Outcome.MIGRATED).first()
    dest = Path(planned.subject_id)
    dest.parent.mkdir(parents=True)
    dest.write_text("the user's own file")
    run = run_import(ao_tree, claude_home)
    assert dest.read_text() == "the user's own file"
    assert run.items.get(subject_type="transcript", subject_id=str(dest)).outcome == "skipped"


def test_the_transcript_destination_uses_the_literal_data_dir_even_through_a_symlink(
    ao_tree, claude_home, data_dir, settings, tmp_path
):
    """legacy-formats §8 trap 27: we follow the TS importer (literal path, no realpath)."""
    link = tmp_path / "data-link"
    link.symlink_to(data_dir)
    settings.SESSIONHUB_DATA_DIR = link
    run = run_import(ao_tree, claude_home)
    copied = run.items.filter(subject_type="transcript", outcome=Outcome.MIGRATED).first()
    assert claude_slug(f"{link}/worktrees/") in copied.subject_id
    assert claude_slug(f"{data_dir}/worktrees/") not in copied.subject_id


def test_transcripts_are_copied_only_on_commit_and_never_in_a_dry_run(
    ao_tree, claude_home, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        legacy_import_run(source="ao", path=ao_tree.root, claude_home=str(claude_home),
                          dry_run=True)  # fmt: skip
    assert callbacks == []
    before = list_files(claude_home)
    with django_capture_on_commit_callbacks() as callbacks:
        run = legacy_import_run(source="ao", path=ao_tree.root, claude_home=str(claude_home))
    assert callbacks and list_files(claude_home) == before  # not copied before the commit
    for callback in callbacks:
        callback()
    copied = run.items.filter(subject_type="transcript", outcome=Outcome.MIGRATED)
    assert copied.count() == len(ao_tree.transcripts)
    assert all(Path(item.subject_id).exists() for item in copied)


def test_one_id_in_two_files_imports_once_with_one_transcript(tmp_path, claude_home, data_dir):
    root = tmp_path / "ao"
    body = {
        "status": "working", "agent": "claude-code", "claudeSessionUuid": "u-1",
        "worktree": "/w/app-1", "createdAt": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    (root / "projects/app/sessions").mkdir(parents=True)
    (root / "projects/app/sessions/app-1.json").write_text(json.dumps(body))
    (root / "0123456789ab-app/sessions").mkdir(parents=True)
    lines = "".join(f"{k}={v}\n" for k, v in body.items())
    (root / "0123456789ab-app/sessions/app-1").write_text(lines)
    source = claude_home / "projects" / claude_slug("/w/app-1") / "u-1.jsonl"
    source.parent.mkdir(parents=True)
    source.write_text("{}\n")

    kwargs = {"source": "ao", "path": str(root), "claude_home": str(claude_home)}
    dry = import_committing(dry_run=True, **kwargs)
    real = import_committing(**kwargs)
    assert item_plan(dry) == item_plan(real)
    sessions = real.items.filter(subject_type="session").order_by("id")
    assert [i.outcome for i in sessions] == [Outcome.MIGRATED, Outcome.SKIPPED]
    assert real.items.filter(subject_type="transcript").count() == 1
    assert Session.objects.get().source_path.endswith("projects/app/sessions/app-1.json")
