"""arawn import, files: copied byte-exact under the hub's data dir, symlinks recreated,
nothing overwritten, nothing in a dry run, attachable afterwards; a copy that fails;
kill -9 mid-copy (services/legacy_import/arawn_store/files.py)."""

import errno
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from migration_app.legacy.arawn_sample import arawn_sample_write, sample_uuid
from migration_app.models import LegacyLogOffset, MigrationRun
from migration_app.services.journal import INTERRUPTED
from migration_app.services.legacy_import.arawn_store import files as arawn_files
from migration_app.services.legacy_import.shared import TEMP_SUFFIX
from projects_app.models import Message
from sessions_app import files
from sessions_app.models import Session
from tests.migration_app.arawn_helpers import arawn, arawn_run, items_of
from tests.migration_app.attach_helpers import (
    attach_session,
    named_workstream,
    tree_digest,
)
from tests.migration_app.legacy_helpers import migrate_legacy
from tests.migration_app.test_migrate_legacy_command import command
from tests.processes import MID_RUN, command_env, command_kill

pytestmark = pytest.mark.django_db
__all__ = ["arawn"]  # the fixture


def hub_files(data_dir) -> dict[str, str]:
    digest = tree_digest(Path(data_dir) / "workstreams")
    return {k: v for k, v in digest.items() if v != "dir"}


def any_hub_file(data_dir) -> bool:
    """Whether a copy has landed, safe while copies run (reading the files is not: a
    temporary name read a moment after it is listed may be renamed by then)."""
    return any(names for _, _, names in os.walk(Path(data_dir) / "workstreams"))


def source_files(sample, ws) -> dict[str, str]:
    out = {}
    for part in ("production", "work"):
        for rel, value in tree_digest(Path(sample.tree) / ws / part).items():
            if value != "dir":
                out[f"{ws}/{part}/{rel}"] = value
    return out


def test_files_are_copied_byte_exact_and_symlinks_recreated_not_followed(arawn, data_dir):
    run = arawn_run(arawn)
    copied = hub_files(data_dir)
    for ws in ("ws-0000", "ws-0001", "paused-ws"):
        assert source_files(arawn, ws).items() <= copied.items()
    production = files.workstream_production_dir("paused-ws")
    assert (production / "bytes.bin").read_bytes() == bytes([0, 1, 2, 3, 255])
    assert (production / "hello.txt").read_text(encoding="utf-8") == "Hello 世界 🌍"
    assert os.readlink(production / "link-outside") == "/etc/hostname"
    assert os.readlink(production / "link-to-hello") == "hello.txt"
    assert run.counts["file_migrated"] == arawn.files + arawn.symlinks == len(copied)
    # The sources are still there: copied, never moved.
    assert Path(arawn.tree, "paused-ws", "production", "bytes.bin").exists()


def test_scratch_sessions_files_land_where_the_hub_keeps_scratch_work(arawn, data_dir):
    arawn_run(arawn)
    sid = arawn.sessions[0]  # a scratch session
    source = tree_digest(Path(arawn.tree, "scratch", "sessions", sid, "work"))
    assert source and tree_digest(files.scratch_session_work_dir(sid)) == source


def test_files_arawn_left_in_scratch_go_to_the_sessions_workstream(arawn, data_dir):
    run = arawn_run(arawn)
    sid = sample_uuid("moved-session")
    ws = Session.objects.get(pk=sid).workstream_id
    dest = files.attached_session_work_dir(ws, sid) / "left-behind.txt"
    assert dest.read_text() == "files arawn never moved\n"
    item = items_of(run, "file")[os.path.relpath(dest, data_dir)]
    assert item.reason == f"left in scratch by arawn; the session is in {ws}"


def test_a_clash_is_a_rejected_item_naming_both_paths_and_nothing_is_overwritten(arawn, data_dir):
    taken = files.workstream_production_dir("paused-ws") / "hello.txt"
    taken.parent.mkdir(parents=True)
    taken.write_text("the hub's own file")
    run = arawn_run(arawn)
    item = items_of(run, "file")[os.path.relpath(taken, data_dir)]
    source = os.path.join(arawn.tree, "paused-ws", "production", "hello.txt")
    assert item.outcome == "failed" and str(taken) in item.reason and source in item.reason
    assert taken.read_text() == "the hub's own file"
    assert (taken.parent / "bytes.bin").exists()  # its neighbours still come in


def test_a_hub_directory_that_is_a_symlink_is_never_written_through(arawn, data_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    files.workstream_dir("ws-0000").mkdir(parents=True)
    os.symlink(elsewhere, files.workstream_work_dir("ws-0000"))
    run = arawn_run(arawn)
    assert list(elsewhere.iterdir()) == []
    prefix = "workstreams/ws-0000/work/"
    refused = run.items.filter(subject_type="file", subject_id__startswith=prefix)
    assert refused.exists() and all("not a directory" in i.reason for i in refused)


def test_a_session_directory_that_is_a_symlink_is_not_gone_through(arawn, data_dir, tmp_path):
    outside = tmp_path / "outside" / "work"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text("not arawn's")
    link = Path(arawn.tree, "scratch", "sessions", "linked-session")
    os.symlink(outside.parent, link)
    os.replace(Path(arawn.tree, "ws-0002", "messages.jsonl"), tmp_path / "log.jsonl")
    os.symlink(tmp_path / "log.jsonl", Path(arawn.tree, "ws-0002", "messages.jsonl"))
    run = arawn_run(arawn)
    refused = items_of(run, "file")[str(link / "work")]
    assert refused.outcome == "failed" and refused.reason == f"{link} is a symlink; not followed"
    assert not files.scratch_session_dir("linked-session").exists()
    log = items_of(run, "message_log")[str(Path(arawn.tree, "ws-0002", "messages.jsonl"))]
    assert log.outcome == "failed" and log.reason.endswith("is a symlink; not followed")


def test_a_name_that_is_not_utf8_is_a_failed_item_and_its_neighbours_come_in(arawn, data_dir):
    production = Path(arawn.tree, "paused-ws", "production")
    bad = os.fsdecode(bytes(production) + b"/caf\xe9.txt")
    Path(bad).write_bytes(b"latin-1 name")
    run = arawn_run(arawn)
    (item,) = run.items.filter(subject_type="file", subject_id__endswith="caf\\xe9.txt")
    assert item.outcome == "failed" and "not UTF-8" in item.reason
    assert (files.workstream_production_dir("paused-ws") / "bytes.bin").exists()


def test_a_dry_run_copies_nothing(arawn, data_dir):
    dry = arawn_run(arawn, dry_run=True)
    assert dry.counts["file_migrated"] == arawn.files + arawn.symlinks
    assert hub_files(data_dir) == {}


def test_a_rerun_copies_only_what_is_missing_and_clears_a_half_written_copy(arawn, data_dir):
    arawn_run(arawn)
    production = files.workstream_production_dir("paused-ws")
    (production / "hello.txt").unlink()
    (production / f"hello.txt{TEMP_SUFFIX}").write_text("Hello")  # a kill mid-copy
    before = hub_files(data_dir)
    run = arawn_run(arawn)
    assert run.counts["file_migrated"] == 1
    assert run.counts["file_skipped"] == arawn.files + arawn.symlinks - 1
    after = hub_files(data_dir)
    assert (production / "hello.txt").read_text(encoding="utf-8") == "Hello 世界 🌍"
    assert set(after) == set(before) - {f"paused-ws/production/hello.txt{TEMP_SUFFIX}"} | {
        "paused-ws/production/hello.txt"
    }


def test_attach_to_workstream_works_on_an_imported_scratch_session(arawn, data_dir):
    arawn_run(arawn)
    session = Session.objects.get(pk=arawn.sessions[0])
    source = tree_digest(files.scratch_session_work_dir(session.pk))
    expected = sum(1 for v in source.values() if v != "dir")
    blog = named_workstream("my-blog")
    result = attach_session(session=session, workstream=blog)
    assert result.files_migrated == expected > 0
    assert tree_digest(files.attached_session_work_dir("my-blog", session.pk)) == source
    assert not files.scratch_session_dir(session.pk).exists()
    session.refresh_from_db()
    assert session.workstream_id == "my-blog"


@pytest.mark.parametrize(
    "fault",
    [OSError(errno.EIO, "Input/output error"), ValueError("sha256 of the copy differs")],
    ids=["oserror", "sha256-mismatch"],
)
@pytest.mark.django_db(transaction=True)  # the copies run on real commits, before the run ends
def test_a_copy_that_fails_is_a_failed_item_and_a_rerun_copies_it_once(
    tmp_path, data_dir, monkeypatch, fault
):
    sample = arawn_sample_write(str(tmp_path / "arawn"), edge_cases=False)  # all good: exit 0
    bad = os.path.join(sample.tree, "ws-0000", "production", "dir1", "file-1.txt")
    dest = files.workstream_production_dir("ws-0000") / "dir1" / "file-1.txt"
    verified_copy = arawn_files._copy_verified

    def faulty(source, temp):
        if source == bad:
            raise fault
        verified_copy(source, temp)

    monkeypatch.setattr(arawn_files, "_copy_verified", faulty)
    code, out, _ = migrate_legacy("--source", "arawn", sample.data_dir, "--json")
    assert (code, json.loads(out)["status"]) == (1, "partial")
    first = MigrationRun.objects.get()
    (failed,) = first.items.filter(outcome="failed")
    assert (failed.subject_type, failed.subject_id) == ("file", os.path.relpath(dest, data_dir))
    assert bad in failed.reason and str(fault) in failed.reason
    assert not dest.exists() and not dest.with_name(dest.name + TEMP_SUFFIX).exists()
    assert len(hub_files(data_dir)) == sample.files - 1  # the others are copied

    monkeypatch.undo()
    code, out, _ = migrate_legacy("--source", "arawn", sample.data_dir, "--json")
    assert (code, json.loads(out)["status"]) == (0, "succeeded")
    rerun = MigrationRun.objects.exclude(pk=first.pk).get()
    assert rerun.counts["file_migrated"] == 1
    assert rerun.items.get(outcome="migrated", subject_type="file").subject_id == failed.subject_id
    assert dest.read_bytes() == Path(bad).read_bytes()
    assert len(hub_files(data_dir)) == sample.files


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_during_the_messages_or_the_copy_then_a_rerun_imports_everything_once(
    tmp_path, data_dir
):
    sample = arawn_sample_write(
        str(tmp_path / "arawn"), workstreams=6, sessions=60, messages=20_000, files=1500
    )
    env = command_env(data_dir)
    args = ["--source", "arawn", sample.data_dir, "--batch-size", "50", "--json"]
    rng = random.Random(os.getpid())
    kills = []
    # First while messages are written (some batches committed), then during the copies.
    for moment in ("messages", "copy", "copy", "copy", "copy", "copy"):
        if len(kills) == 3:
            break

        def under_way(moment=moment):
            return Message.objects.exists() if moment == "messages" else any_hub_file(data_dir)

        # The copies of 1,500 small files take a fraction of a second: kill soon after
        # the first lands, or the run may finish first and leave no copy to kill.
        delay = rng.uniform(0, 0.2 if moment == "messages" else 0.02)
        kind = MigrationRun.Kind.LEGACY_IMPORT
        met = command_kill(command(*args), env=env, kind=kind, delay=delay, started=under_way)
        if met == MID_RUN:
            kills.append(moment)
    assert "copy" in kills, kills
    final = subprocess.run(command(*args), env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 1, final.stderr  # the sample's rejected rows and line
    assert MigrationRun.objects.filter(error=INTERRUPTED).count() == len(kills)
    copied = hub_files(data_dir)
    assert not [name for name in copied if name.endswith(TEMP_SUFFIX)]
    # Every source file exactly once, with its bytes: named workstreams at the same paths,
    # scratch sessions' files as a whole (one of them goes to its workstream).
    sources = {}
    for ws in sample.workstreams:
        sources.update(source_files(sample, ws) if ws != "scratch" else {})
    assert sources.items() <= copied.items()
    scratch = tree_digest(Path(sample.tree, "scratch", "sessions"))
    everything = list(sources.values()) + [v for v in scratch.values() if v != "dir"]
    assert sorted(copied.values()) == sorted(everything)
    assert len(copied) == sample.files + sample.symlinks
    # The rows too: every good line once, every log's offset at its end.
    assert Message.objects.count() == sample.messages
    for kept in LegacyLogOffset.objects.all():
        assert kept.offset == os.path.getsize(kept.path)
    assert Session.objects.filter(source="arawn").count() == len(sample.sessions)
