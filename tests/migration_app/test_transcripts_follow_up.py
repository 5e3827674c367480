"""migrate_legacy (ao, ao-rs) imports the Claude Code and Codex transcripts of the sessions
it imported, in a follow-up import_transcripts run; a dry run plans it too."""

import json
import re
from pathlib import Path

import pytest

from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.models import MigrationItem, MigrationRun, TranscriptFile
from projects_app.models import Message
from sessions_app.models import Session
from tests.migration_app.attach_helpers import tree_digest
from tests.migration_app.legacy_helpers import migrate_legacy
from tests.migration_app.transcript_helpers import claude_user, codex_session, lines_write

pytestmark = pytest.mark.django_db
Kind, Outcome = MigrationRun.Kind, MigrationItem.Outcome


def thread_uuid(n: str) -> str:
    return f"00000000-0000-4000-8000-{int(n):012d}"


@pytest.fixture
def store(tmp_path, data_dir):
    """An ao store whose Claude sessions have transcripts in a Claude home and whose Codex
    sessions have rollouts in a Codex home (every one, imported or not), and a transcript
    and a rollout of sessions the store does not hold."""
    claude, codex = tmp_path / "claude", tmp_path / "codex"
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=40, claude_home=str(claude),
                            with_bad_files=False)  # fmt: skip
    for path in tree.transcripts:
        uuid = Path(path).stem
        lines_write(Path(path), [claude_user("u1", f"prompt of {uuid}", session=uuid)])
    threads = []
    for path in Path(tree.root).rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            threads += re.findall(r"thread-(\d+)", text)
            path.write_text(re.sub(r"thread-(\d+)", lambda m: thread_uuid(m.group(1)), text))
    for n in threads:
        codex_session(codex, thread=thread_uuid(n))
    stranger = "99999999-0000-4000-8000-000000000000"
    lines_write(claude / "projects" / "-elsewhere" / f"{stranger}.jsonl",
                [claude_user("u1", "not from ao", session=stranger)])  # fmt: skip
    codex_session(codex, thread=stranger)
    return tree, claude, codex


def ao_import(store, *extra):
    tree, claude, codex = store
    args = ["--source", "ao", tree.root, "--claude-home", str(claude), "--codex-home", str(codex)]
    return migrate_legacy(*args, *extra)


def transcripts_of_imported_sessions(store) -> set[str]:
    """The files the follow-up should read: those of sessions now in the hub."""
    tree, _, codex = store
    ids = set(Session.objects.exclude(agent_session_id="").values_list("agent_session_id",
                                                                       flat=True))  # fmt: skip
    claude = {p for p in tree.transcripts if Path(p).stem in ids}
    rollouts = {str(p) for p in (codex / "sessions").rglob("*.jsonl") if p.stem[-36:] in ids}
    return claude | rollouts


def test_the_transcripts_of_the_imported_sessions_are_imported_and_linked(store):
    code, out, err = ao_import(store, "--json")
    assert code == 0, err
    summary = json.loads(out)
    follow_up = MigrationRun.objects.get(kind=Kind.IMPORT_TRANSCRIPTS)
    assert summary["transcripts"]["run_id"] == str(follow_up.pk)
    assert summary["transcripts"]["status"] == "succeeded" and summary["exit_code"] == 0
    expected = transcripts_of_imported_sessions(store)
    assert any("rollout-" in p for p in expected) and any("/projects/" in p for p in expected)
    # Only those: not the stranger's files, nor the copies the import made for the
    # sessions' new worktrees, nor the rollouts of sessions it did not import.
    assert set(TranscriptFile.objects.values_list("path", flat=True)) == expected
    assert summary["transcripts"]["counts"]["transcript_file_migrated"] == len(expected)
    # Each linked to its imported session: no session was made from a transcript.
    assert not Session.objects.filter(source__in=["claude-code", "codex"]).exists()
    for row in TranscriptFile.objects.all():
        session = Session.objects.get(pk=row.session_id)
        assert session.source == "ao" and session.conversation_id == row.conversation_id
        assert Message.objects.filter(conversation_id=row.conversation_id).exists()


def file_items(run: MigrationRun) -> list[tuple[str, str, str, str]]:
    """The run's items about its files and lines: (type, subject, outcome, reason)."""
    items = run.items.filter(subject_type__in=["transcript_file", "transcript_line"])
    return sorted(items.values_list("subject_type", "subject_id", "outcome", "reason"))


def test_a_dry_run_plans_the_same_transcript_run_and_writes_nothing(store, data_dir):
    tree, claude, _ = store
    # Two things the real run refuses, which the dry run must report alike: a line that is
    # not JSON, and a file whose archive copy cannot be written (a directory stands where
    # the copy goes).
    bad_line, blocked = tree.transcripts[0], tree.transcripts[1]
    lines_write(Path(bad_line), ["{not json"], append=True)
    copy = data_dir / "transcripts" / "claude-code" / Path(blocked).relative_to(claude)
    copy.mkdir(parents=True)
    before = tree_digest(data_dir)

    code, out, err = ao_import(store, "--dry-run")
    assert code == 1, err  # the failed file and line, as in the real run
    assert "planned by a rolled-back import_transcripts run" in out
    assert "Dry run (nothing written)" in out.split("Transcripts of")[1]
    dry = MigrationRun.objects.get(kind=Kind.IMPORT_TRANSCRIPTS)
    assert dry.dry_run and not TranscriptFile.objects.exists() and not Message.objects.exists()
    assert tree_digest(data_dir) == before

    code, _, err = ao_import(store)
    assert code == 1, err
    real = MigrationRun.objects.filter(kind=Kind.IMPORT_TRANSCRIPTS, dry_run=False).get()
    assert file_items(dry) == file_items(real)
    failed = [item[:3] for item in file_items(real) if item[2] == Outcome.FAILED]
    assert failed == [
        ("transcript_file", blocked, Outcome.FAILED),
        ("transcript_line", f"{bad_line}@{Path(bad_line).stat().st_size - 10}", Outcome.FAILED),
    ]
    done = real.items.filter(subject_type="transcript_file", outcome=Outcome.MIGRATED)
    done = [*done.values_list("subject_id", flat=True), blocked]
    assert sorted(done) == sorted(transcripts_of_imported_sessions(store))


def test_no_transcripts_skips_the_follow_up(store):
    code, out, err = ao_import(store, "--no-transcripts", "--json")
    assert code == 0, err
    assert "transcripts" not in json.loads(out)
    assert not MigrationRun.objects.filter(kind=Kind.IMPORT_TRANSCRIPTS).exists()
    assert not TranscriptFile.objects.exists()


def test_a_failed_transcript_line_exits_1_after_the_import(store):
    tree, _, _ = store
    lines_write(Path(tree.transcripts[0]), ["{not json"], append=True)
    code, out, _ = ao_import(store, "--json")
    summary = json.loads(out)
    assert code == 1 and summary["exit_code"] == 1
    assert summary["status"] == "succeeded"  # the legacy import itself
    assert summary["transcripts"]["status"] == "partial"
    assert summary["transcripts"]["rejected"][0]["path"].startswith(tree.transcripts[0] + "@")


def test_a_missing_codex_home_is_refused_before_the_import(store, tmp_path):
    tree, claude, _ = store
    args = ["--source", "ao", tree.root, "--claude-home", str(claude)]
    code, _, err = migrate_legacy(*args, "--codex-home", str(tmp_path / "nowhere"))
    assert code == 2 and "--codex-home" in err
    assert not MigrationRun.objects.exists()


def test_ao_rs_sessions_without_agent_session_ids_start_no_transcript_run(tmp_path, data_dir):
    root = tmp_path / "ao-rs"
    ao_rs_tree_generate(str(root), sessions=10, with_bad_files=False)
    code, out, err = migrate_legacy("--source", "ao-rs", str(root), "--json",
                                    "--claude-home", str(tmp_path))  # fmt: skip
    assert code == 0, err
    transcripts = json.loads(out)["transcripts"]
    assert transcripts["status"] == "not run"
    assert transcripts["reason"] == "no imported session has an agent session id"
    assert not MigrationRun.objects.filter(kind=Kind.IMPORT_TRANSCRIPTS).exists()


def test_no_transcript_file_of_the_imported_sessions_records_no_empty_run(tmp_path, data_dir):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=20, with_bad_files=False)
    (tmp_path / "claude").mkdir()
    code, out, err = migrate_legacy("--source", "ao", tree.root, "--json",
                                    "--claude-home", str(tmp_path / "claude"))  # fmt: skip
    assert code == 0, err
    transcripts = json.loads(out)["transcripts"]
    assert transcripts["status"] == "not run"
    assert re.fullmatch(r"no transcript file of the \d+ imported session\(s\) was found",
                        transcripts["reason"])  # fmt: skip
    assert not MigrationRun.objects.filter(kind=Kind.IMPORT_TRANSCRIPTS).exists()
