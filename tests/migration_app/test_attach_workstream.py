"""Attach to workstream: the arawn checklist (legacy-formats §6.8) plus its defects (§8 #1-#7)."""

import os
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import MigrationConflict, MigrationError, migration_undo
from migration_app.services.attach_workstream import (
    attach_workstream_undo,
)
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from tests.factories import WorkspaceFactory, WorkstreamFactory
from tests.migration_app.attach_helpers import (
    attach_session,
    attach_sessions,
    generated_tree,
    named_workstream,
    scratch_session,
    tree_digest,
)

pytestmark = pytest.mark.django_db


def attach(session, workstream, **kwargs):
    session.refresh_from_db()
    return attach_session(session=session, workstream=workstream, **kwargs)


def test_basic_two_files_move_and_scratch_dir_is_removed(data_dir):
    blog = named_workstream("my-blog")
    session = scratch_session("session-123", {"a.txt": b"alpha", "b.txt": b"beta!"})
    result = attach(session, blog)
    dest = files.attached_session_work_dir("my-blog", "session-123")
    assert result.new_work_path.endswith("my-blog/work/session-123")
    assert result.allowed_paths == ["production/", "work/"]
    assert (result.files_migrated, result.top_level_entries, result.bytes) == (2, 2, 10)
    assert (dest / "a.txt").read_bytes() == b"alpha" and (dest / "b.txt").read_bytes() == b"beta!"
    assert not files.scratch_session_dir("session-123").exists()
    session.refresh_from_db()
    assert session.workstream_id == "my-blog"
    assert result.run.status == MigrationRun.Status.SUCCEEDED
    # Nothing of the staging/trash machinery is left behind.
    assert sorted(os.listdir(files.workstream_work_dir("my-blog"))) == ["session-123"]


def test_subdirectories_count_top_level_and_recursive_files_separately(data_dir):
    blog = named_workstream()
    session = scratch_session(
        "s1", {"top.txt": b"1", "sub/inner.txt": b"22", "sub/deeper/x.bin": b"333"}
    )
    result = attach(session, blog)
    dest = files.attached_session_work_dir("my-blog", "s1")
    # arawn's files_migrated counted 2 here (defect #3); we report both numbers.
    assert result.top_level_entries == 2 and result.files_migrated == 3 and result.bytes == 6
    assert (dest / "sub" / "deeper" / "x.bin").read_bytes() == b"333"
    assert result.run.counts["top_level_entries"] == 2 and result.run.counts["files"] == 3


def test_no_scratch_dir_is_a_success_with_zero_files(data_dir):
    blog = named_workstream()
    session = scratch_session("empty-one")
    result = attach(session, blog)
    assert result.files_migrated == 0 and result.allowed_paths == ["production/", "work/"]
    assert not files.attached_session_work_dir("my-blog", "empty-one").exists()
    session.refresh_from_db()
    assert session.workstream_id == "my-blog"


@pytest.mark.parametrize("bad", ["../escape", "has/slash", ".hidden", "-x", "has space", ""])
def test_an_invalid_session_id_is_refused_before_any_path_or_run(data_dir, bad):
    blog = named_workstream()
    session = Session(id=bad, workstream_id=SCRATCH_WORKSTREAM_ID)
    with pytest.raises(ValidationError):
        attach_session(session=session, workstream=blog)
    assert not MigrationRun.objects.exists()
    assert sorted(os.listdir(data_dir / "workstreams")) == ["my-blog"]


def test_an_invalid_workstream_name_is_refused_before_any_run(data_dir):
    session = scratch_session("s1", {"a": b"x"})
    with pytest.raises(ValidationError):
        attach_sessions("../escape", ["s1"])
    assert not MigrationRun.objects.exists()
    assert (files.scratch_session_work_dir("s1") / "a").exists()
    session.refresh_from_db()
    assert session.workstream_id == SCRATCH_WORKSTREAM_ID


def test_a_missing_or_archived_workstream_is_refused(data_dir):
    session = scratch_session("s1", {"a": b"x"})
    with pytest.raises(Workstream.DoesNotExist):
        attach_sessions("nowhere", ["s1"])
    archived = named_workstream("old")
    Workstream.objects.filter(id="old").update(state=Workstream.State.ARCHIVED)
    archived.refresh_from_db()
    with pytest.raises(MigrationError, match="archived"):
        attach(session, archived)
    assert (files.scratch_session_work_dir("s1") / "a").read_bytes() == b"x"


def test_binary_and_unicode_content_is_preserved(data_dir):
    blog = named_workstream()
    session = scratch_session(
        "s1", {"bin.dat": bytes([0, 1, 2, 3, 255]), "text.txt": "Hello 世界 🌍".encode()}
    )
    attach(session, blog)
    dest = files.attached_session_work_dir("my-blog", "s1")
    assert (dest / "bin.dat").read_bytes() == bytes([0, 1, 2, 3, 255])
    assert (dest / "text.txt").read_text(encoding="utf-8") == "Hello 世界 🌍"


def test_a_name_clash_refuses_the_session_and_moves_nothing(data_dir):
    blog = named_workstream()
    session = scratch_session("s1", {"a.txt": b"new", "b.txt": b"also new"})
    dest = files.attached_session_work_dir("my-blog", "s1")
    dest.mkdir(parents=True)
    (dest / "a.txt").write_bytes(b"old, must survive")
    before = tree_digest(data_dir / "workstreams")
    with pytest.raises(MigrationConflict, match="my-blog/work/s1/a.txt"):
        attach(session, blog)
    # Nothing moved, nothing overwritten (defect #4).
    assert tree_digest(data_dir / "workstreams") == before
    session.refresh_from_db()
    assert session.workstream_id == SCRATCH_WORKSTREAM_ID
    item = MigrationItem.objects.get(subject_type="session", subject_id="s1")
    assert item.outcome == "failed" and "a.txt" in item.reason and "b.txt" not in item.reason


def test_a_symlink_is_moved_as_a_link_and_its_target_is_never_touched(data_dir, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret, outside the data dir")
    blog = named_workstream()
    session = scratch_session("s1", {"real.txt": b"r"})
    work = files.scratch_session_work_dir("s1")
    os.symlink(outside, work / "link-out")
    os.symlink("/nonexistent/target", work / "dangling")
    result = attach(session, blog)
    dest = files.attached_session_work_dir("my-blog", "s1")
    assert os.readlink(dest / "link-out") == str(outside)
    assert os.readlink(dest / "dangling") == "/nonexistent/target"
    assert outside.read_bytes() == b"secret, outside the data dir"
    assert result.files_migrated == 1 and result.top_level_entries == 3
    assert result.run.counts["symlinks"] == 2


def test_a_symlinked_scratch_work_dir_is_refused_without_reading_through_it(data_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "private.txt").write_bytes(b"not ours")
    blog = named_workstream()
    session = scratch_session("s1")
    files.scratch_session_dir("s1").mkdir(parents=True)
    os.symlink(elsewhere, files.scratch_session_work_dir("s1"))
    with pytest.raises(MigrationError, match="not a directory"):
        attach(session, blog)
    assert (elsewhere / "private.txt").read_bytes() == b"not ours"
    assert not files.attached_session_work_dir("my-blog", "s1").exists()


def test_a_symlinked_destination_is_refused(data_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    blog = named_workstream()
    session = scratch_session("s1", {"a": b"x"})
    os.symlink(elsewhere, files.attached_session_work_dir("my-blog", "s1"))
    with pytest.raises(MigrationConflict):
        attach(session, blog)
    assert os.listdir(elsewhere) == []
    assert (files.scratch_session_work_dir("s1") / "a").exists()


def test_a_non_utf8_file_name_is_moved_and_undone(data_dir):
    blog = named_workstream()
    session = scratch_session("s1", {"ok.txt": b"1"})
    raw = os.fsdecode(b"caf\xe9.txt")  # Latin-1 bytes: not valid UTF-8
    (files.scratch_session_work_dir("s1") / raw).write_bytes(b"latin")
    result = attach(session, blog)
    assert (files.attached_session_work_dir("my-blog", "s1") / raw).read_bytes() == b"latin"
    attach_workstream_undo(run=result.run)
    assert (files.scratch_session_work_dir("s1") / raw).read_bytes() == b"latin"


def test_dry_run_plans_the_same_item_by_item_refusals_included_and_changes_nothing(data_dir):
    named_workstream()
    session = scratch_session("s1", generated_tree(1, 40))
    scratch_session("s2", {"x": b"1"})
    # Refused by the real run: another workspace's session, and a name clash.
    scratch_session("foreign", {"a": b"1"}, workspace=WorkspaceFactory(slug="elsewhere"))
    scratch_session("clash", {"a": b"2"})
    taken = files.attached_session_work_dir("my-blog", "clash")
    taken.mkdir(parents=True)
    (taken / "a").write_bytes(b"taken")
    selection = ["s1", "s2", "foreign", "clash"]
    before = tree_digest(data_dir)
    dry = attach_sessions("my-blog", selection, dry_run=True)
    assert tree_digest(data_dir) == before
    assert Session.objects.get(id="s1").workstream_id == SCRATCH_WORKSTREAM_ID
    assert not (data_dir / "locks").exists()
    real = attach_sessions("my-blog", selection)
    assert dry.dry_run and dry.counts == real.counts

    def lines(run):
        return list(
            run.items.order_by("id").values_list(
                "subject_type", "subject_id", "outcome", "reason", "before", "after"
            )
        )

    assert lines(dry) == lines(real)
    outcomes = dict(real.items.filter(subject_type="session").values_list("subject_id", "outcome"))
    assert outcomes == {"s1": "migrated", "s2": "migrated", "foreign": "failed", "clash": "failed"}
    with pytest.raises(MigrationError):
        migration_undo(run=dry)
    session.refresh_from_db()
    assert session.workstream_id == "my-blog"


def test_a_second_run_changes_nothing_and_skips_every_session(data_dir):
    named_workstream()
    scratch_session("s1", {"a": b"1"})
    scratch_session("s2", {"b": b"2"})
    attach_sessions("my-blog", ["s1", "s2"])
    before = tree_digest(data_dir / "workstreams")
    again = attach_sessions("my-blog", ["s1", "s2"])
    assert tree_digest(data_dir / "workstreams") == before
    assert again.counts["skipped"] == 2 and again.counts["migrated"] == 0
    assert again.status == MigrationRun.Status.SUCCEEDED


def test_undo_moves_files_back_and_restores_the_workstream_and_is_idempotent(data_dir):
    named_workstream()
    tree = generated_tree(3, 60)
    scratch_session("s1", tree)
    scratch_session("s2", {"only.txt": b"2"})
    scratch_before = tree_digest(files.scratch_session_work_dir("s1"))
    run = attach_sessions("my-blog", ["s1", "s2"])
    assert tree_digest(files.attached_session_work_dir("my-blog", "s1")) == scratch_before
    undone = attach_workstream_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE and undone.counts["undone"] == 2
    assert tree_digest(files.scratch_session_work_dir("s1")) == scratch_before
    assert not files.attached_session_work_dir("my-blog", "s1").exists()
    assert set(Session.objects.values_list("workstream_id", flat=True)) == {SCRATCH_WORKSTREAM_ID}
    assert set(run.items.values_list("outcome", flat=True)) == {"undone"}
    assert attach_workstream_undo(run=run).status == MigrationRun.Status.UNDONE  # no-op
    assert tree_digest(files.scratch_session_work_dir("s1")) == scratch_before


def test_undo_leaves_a_session_that_moved_on_since(data_dir):
    named_workstream()
    named_workstream("other")
    session = scratch_session("s1", {"a": b"1"})
    run = attach_sessions("my-blog", ["s1"])
    Session.objects.filter(id="s1").update(workstream_id="other")
    undone = attach_workstream_undo(run=run)
    session.refresh_from_db()
    assert session.workstream_id == "other"
    assert (files.attached_session_work_dir("my-blog", "s1") / "a").exists()
    assert "moved on" in undone.counts["undo_notes"][0]


def test_other_reassignments_move_no_files_and_undo(data_dir):
    named_workstream()
    named_workstream("other")
    scratch_session("s1", {"a": b"1"})
    attach_sessions("my-blog", ["s1"])
    run = attach_sessions("other", ["s1"])
    assert run.counts["sessions_reassigned"] == 1 and run.counts["files"] == 0
    assert (files.attached_session_work_dir("my-blog", "s1") / "a").exists()
    assert Session.objects.get(id="s1").workstream_id == "other"
    attach_workstream_undo(run=run)
    assert Session.objects.get(id="s1").workstream_id == "my-blog"


def test_per_session_failures_are_isolated_and_reported(data_dir):
    named_workstream()
    scratch_session("good", {"a": b"1"})
    clash = scratch_session("clash", {"a": b"2"})
    dest = files.attached_session_work_dir("my-blog", "clash")
    dest.mkdir(parents=True)
    (dest / "a").write_bytes(b"taken")
    run = attach_sessions(workstream_id="my-blog", session_ids=["good", "clash", "ghost", "../bad"])
    assert run.status == MigrationRun.Status.PARTIAL
    outcomes = dict(run.items.filter(subject_type="session").values_list("subject_id", "outcome"))
    assert outcomes == {
        "good": "migrated",
        "clash": "failed",
        "ghost": "failed",
        "../bad": "failed",
    }
    reasons = dict(run.items.filter(subject_type="session").values_list("subject_id", "reason"))
    assert "No such session" in reasons["ghost"] and "Invalid session id" in reasons["../bad"]
    clash.refresh_from_db()
    assert clash.workstream_id == SCRATCH_WORKSTREAM_ID
    assert (dest / "a").read_bytes() == b"taken"


def test_a_session_of_another_workspace_is_not_attached(data_dir):
    named_workstream()
    other = WorkspaceFactory(slug="other-ws")
    scratch_session("foreign", {"a": b"1"}, workspace=other)
    run = attach_sessions("my-blog", ["foreign"])
    assert run.items.get(subject_id="foreign").outcome == "failed"
    assert Session.objects.get(id="foreign").workstream_id == SCRATCH_WORKSTREAM_ID


def test_all_scratch_takes_the_workspace_scratch_sessions(data_dir):
    named_workstream()
    for i in range(7):
        scratch_session(f"s{i}", {"f": str(i).encode()})
    scratch_session("foreign", {"f": b"x"}, workspace=WorkspaceFactory(slug="w2"))
    run = attach_sessions("my-blog", all_scratch=True, batch_size=3)
    assert run.counts["sessions_attached"] == 7
    assert (run.progress_done, run.progress_total) == (7, 7)
    assert Session.objects.get(id="foreign").workstream_id == SCRATCH_WORKSTREAM_ID


def _queries_for(n_sessions, batch_size, prefix):
    for i in range(n_sessions):
        scratch_session(f"{prefix}{i:03d}", {"a.txt": b"1", "d/b.txt": b"2"})
    ids = [f"{prefix}{i:03d}" for i in range(n_sessions)]
    with CaptureQueriesContext(connection) as ctx:
        attach_sessions(workstream_id="my-blog", session_ids=ids, batch_size=batch_size)
    return len(ctx.captured_queries)


def test_queries_per_batch_are_constant(data_dir):
    WorkstreamFactory(id="my-blog")
    files.workstream_dirs_create("my-blog")
    one_batch_small = _queries_for(5, 5, "a")
    one_batch_large = _queries_for(40, 40, "b")
    two_batches = _queries_for(20, 10, "c")
    four_batches = _queries_for(40, 10, "d")
    assert one_batch_small == one_batch_large  # independent of the batch size
    per_batch = (four_batches - two_batches) // 2
    assert four_batches - two_batches == 2 * per_batch
    assert two_batches == one_batch_small + per_batch


def test_files_move_across_filesystems_by_verified_copy(data_dir, cross_device_work):
    blog = Workstream.objects.get(id=cross_device_work)
    tree = generated_tree(7, 50)
    session = scratch_session("s1", tree)
    os.symlink("lvl0_0", files.scratch_session_work_dir("s1") / "link")
    before = tree_digest(files.scratch_session_work_dir("s1"))
    assert (
        os.lstat(files.scratch_session_work_dir("s1")).st_dev
        != os.lstat(files.workstream_work_dir(blog.id)).st_dev
    )
    result = attach(session, blog)
    assert tree_digest(files.attached_session_work_dir(blog.id, "s1")) == before
    assert not files.scratch_session_dir("s1").exists()
    assert result.files_migrated == len(tree)
    assert os.listdir(files.workstream_work_dir(blog.id)) == ["s1"]  # no staging left
    attach_workstream_undo(run=result.run)
    assert tree_digest(files.scratch_session_work_dir("s1")) == before


def test_a_failure_mid_move_puts_everything_back(data_dir, cross_device_work):
    """A FIFO cannot be copied across filesystems: the moved entries come back, row stays."""
    blog = Workstream.objects.get(id=cross_device_work)
    session = scratch_session("s1", {"a.txt": b"1", "b.txt": b"2", "z.txt": b"3"})
    os.mkfifo(files.scratch_session_work_dir("s1") / "pipe")
    before = tree_digest(files.scratch_session_work_dir("s1"))
    with pytest.raises(MigrationError, match="special file"):
        attach(session, blog)
    assert tree_digest(files.scratch_session_work_dir("s1")) == before
    assert Path(files.scratch_session_work_dir("s1") / "pipe").is_fifo()
    session.refresh_from_db()
    assert session.workstream_id == SCRATCH_WORKSTREAM_ID
    item = MigrationItem.objects.get(subject_type="session", subject_id="s1")
    assert item.outcome == "failed" and "moved back" in item.reason


def test_the_claim_refuses_to_run_inside_a_callers_transaction(data_dir):
    """Claims must be committed before files move; an outer atomic would defer that."""
    from django.db import transaction

    named_workstream()
    scratch_session("s1", {"a": b"1"})
    with pytest.raises(RuntimeError), transaction.atomic():
        attach_sessions("my-blog", ["s1"])
    assert (files.scratch_session_work_dir("s1") / "a").exists()


def test_a_dead_runs_claims_are_finished_by_the_next_run_even_with_all_scratch(data_dir):
    """Simulate a process that died right after its claim: rows moved, no file moved yet."""
    from migration_app.services.attach_workstream import KIND, plan, run
    from migration_app.services.journal import migration_run_plan

    named_workstream()
    scratch_session("s1", {"a": b"1", "d/b": b"2"})
    scratch_session("s2", {"c": b"3"})
    dead = migration_run_plan(kind=KIND, workstream_id="my-blog", session_ids=["s1"])
    blog = Workstream.objects.get(id="my-blog")
    # Claim s1 the way a run does, but "die" before the move: plan + claim only.
    run._claim(dead, blog, plan.batch_plan(blog, ["s1"], expected={}, locks=None))
    assert Session.objects.get(id="s1").workstream_id == "my-blog"
    assert (files.scratch_session_work_dir("s1") / "a").exists()  # not moved yet

    later = attach_sessions("my-blog", all_scratch=True)
    dead.refresh_from_db()
    assert dead.is_finished and dead.status == MigrationRun.Status.SUCCEEDED
    assert "recovered" in " ".join(dead.counts["notes"])
    dest = files.attached_session_work_dir("my-blog", "s1")
    assert (dest / "a").read_bytes() == b"1" and (dest / "d" / "b").read_bytes() == b"2"
    assert not files.scratch_session_dir("s1").exists()
    assert later.counts["sessions_attached"] == 1  # s2; s1 belongs to the recovered run
    attach_workstream_undo(run=dead)
    assert (files.scratch_session_work_dir("s1") / "a").exists()


def test_a_run_is_closed_while_it_still_holds_its_lock(data_dir, monkeypatch):
    """Let go before the journal closes the run, the lock would tell a recovery in another
    process that the run's process died: it would "recover" a run that is succeeding."""
    from migration_app.services import journal
    from migration_app.services.locks import file_locked

    held_at_close = []
    finish = journal.migration_run_finish

    def finish_checking_the_lock(*, run, **kwargs):
        with file_locked(f"attach-run-{run.pk}.lock") as free:
            held_at_close.append(not free)
        return finish(run=run, **kwargs)

    monkeypatch.setattr(journal, "migration_run_finish", finish_checking_the_lock)
    blog = named_workstream()
    result = attach(scratch_session("s1", {"a": b"1"}), blog)
    assert result.run.status == MigrationRun.Status.SUCCEEDED
    assert held_at_close == [True]
