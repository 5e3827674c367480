import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import (
    _UNDO_HANDLERS,
    INTERRUPTED,
    ItemRecord,
    MigrationConflict,
    MigrationError,
    UndoResult,
    migration_items_record,
    migration_run_finish,
    migration_run_progress,
    migration_run_start,
    migration_runs_close_interrupted,
    migration_undo,
    undo_handler,
)

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome


def start(**kwargs):
    return migration_run_start(kind=MigrationRun.Kind.REASSOCIATE_TASK, **kwargs)


def items(outcome, n, prefix="s"):
    return [ItemRecord("session", f"{prefix}{i}", outcome) for i in range(n)]


def test_a_run_starts_running_with_its_params():
    run = start(params={"old": "md#1"}, actor="alice", origin="admin", progress_total=3)
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.RUNNING
    assert run.params == {"old": "md#1"} and run.actor == "alice" and run.origin == "admin"
    assert run.progress_total == 3 and run.finished_at is None


@pytest.mark.parametrize("batch_size", [1, 50, 3_000])
def test_a_batch_of_items_is_one_statement(batch_size):
    run = start()
    with CaptureQueriesContext(connection) as queries:
        written = migration_items_record(run=run, items=items(Outcome.MIGRATED, batch_size))
    assert written == batch_size
    assert len(queries) == 1
    # Django logs an executemany once, as "<n> times: INSERT …".
    assert queries[0]["sql"].split(": ", 1)[-1].startswith(("INSERT", "COPY"))
    assert run.items.count() == batch_size


def test_items_keep_their_journal_values():
    run = start()
    record = ItemRecord("file", "/a/b.json", Outcome.FAILED, "invalid JSON", {"x": [1]}, None)
    migration_items_record(run=run, items=[record])
    item = run.items.get()
    assert (item.subject_type, item.subject_id, item.outcome, item.reason) == (
        "file", "/a/b.json", "failed", "invalid JSON",
    )  # fmt: skip
    assert item.before == {"x": [1]} and item.after is None
    assert item.created_at is not None


def test_progress_accumulates_in_the_database():
    run = start(progress_total=10)
    migration_run_progress(run=run, advance=4)
    migration_run_progress(run=run, advance=3, total=12)
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total) == (7, 12)


def test_finish_counts_items_per_outcome_and_succeeds_without_failures():
    run = start()
    migration_items_record(
        run=run, items=items(Outcome.MIGRATED, 3) + items(Outcome.SKIPPED, 2, "k")
    )
    run = migration_run_finish(run=run, extra_counts={"messages_relinked": 9})
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.SUCCEEDED
    assert run.counts == {
        "migrated": 3, "skipped": 2, "failed": 0, "undone": 0, "messages_relinked": 9,
    }  # fmt: skip
    assert run.finished_at is not None


def test_any_failed_item_makes_the_run_partial():
    run = start()
    migration_items_record(
        run=run, items=items(Outcome.MIGRATED, 3) + items(Outcome.FAILED, 1, "f")
    )
    assert migration_run_finish(run=run).status == MigrationRun.Status.PARTIAL


def test_an_error_that_stops_the_run_makes_it_failed():
    run = migration_run_finish(run=start(), error="Invalid task ID format: x or y")
    assert run.status == MigrationRun.Status.FAILED
    assert run.error == "Invalid task ID format: x or y"


def test_runs_left_running_by_a_dead_process_are_closed_with_what_they_did():
    dead = start()
    migration_items_record(run=dead, items=items(Outcome.MIGRATED, 4))
    finished = migration_run_finish(run=start())
    other_kind = migration_run_start(kind=MigrationRun.Kind.LEGACY_IMPORT)

    closed = migration_runs_close_interrupted(kind=MigrationRun.Kind.REASSOCIATE_TASK)

    assert closed == 1
    dead.refresh_from_db()
    assert (dead.status, dead.error) == (MigrationRun.Status.FAILED, INTERRUPTED)
    assert dead.counts["migrated"] == 4 and dead.is_finished
    finished_before = finished.finished_at
    finished.refresh_from_db()
    assert finished.status == MigrationRun.Status.SUCCEEDED
    assert finished.finished_at == finished_before
    other_kind.refresh_from_db()
    assert other_kind.status == MigrationRun.Status.RUNNING
    assert migration_runs_close_interrupted(kind=MigrationRun.Kind.REASSOCIATE_TASK) == 0


@pytest.fixture
def recording_undo():
    calls = []

    @undo_handler("test_kind")
    def undo(run):
        calls.append(run.pk)
        run.items.update(outcome=Outcome.UNDONE)
        return UndoResult(restored=run.items.count())

    yield calls
    _UNDO_HANDLERS.pop("test_kind")


def test_undo_dispatches_to_the_handler_of_the_runs_kind(recording_undo):
    run = migration_run_start(kind="test_kind")
    migration_items_record(run=run, items=items(Outcome.MIGRATED, 2))
    migration_run_finish(run=run)
    undone = migration_undo(run=run)
    assert recording_undo == [run.pk]
    assert undone.status == MigrationRun.Status.UNDONE
    assert undone.counts["undone"] == 2
    assert set(run.items.values_list("outcome", flat=True)) == {Outcome.UNDONE}


def test_a_second_undo_changes_nothing(recording_undo):
    run = migration_run_finish(run=migration_run_start(kind="test_kind"))
    migration_undo(run=run)
    migration_undo(run=run)
    assert recording_undo == [run.pk]


def test_a_dry_run_cannot_be_undone(recording_undo):
    run = migration_run_finish(run=migration_run_start(kind="test_kind", dry_run=True))
    with pytest.raises(MigrationError):
        migration_undo(run=run)
    assert recording_undo == []


def test_a_running_run_cannot_be_undone(recording_undo):
    with pytest.raises(MigrationConflict):
        migration_undo(run=migration_run_start(kind="test_kind"))


def test_a_kind_without_undo_is_refused():
    run = migration_run_finish(run=migration_run_start(kind="nothing_registered"))
    with pytest.raises(MigrationError, match="No undo"):
        migration_undo(run=run)
