"""reassociate_task: legacy-formats §5.6 checklist and §8 #8-#12; the shared batch machinery."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import MigrationError, migration_undo
from migration_app.services.task_reassociation import _apply
from sessions_app.models import Session
from tests.factories import SessionFactory, WorkspaceFactory
from tests.migration_app.task_helpers import (
    failing_update_of,
    reassociate_task,
    reassociate_tasks,
    task_ids,
)

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome
Status = MigrationRun.Status


# --- reassociate_task: the origin's checklist ---------------------------------------------


def test_update_matching_plain_session(minsky_sessions):
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert run.status == Status.SUCCEEDED and run.kind == MigrationRun.Kind.REASSOCIATE_TASK
    assert run.counts["sessions_found"] == 1
    assert run.counts["sessions_updated"] == 1
    assert run.counts["updated_sessions"] == ["test-session-md123"]
    assert run.counts["errors"] == []
    # New writes store the qualified form.
    assert task_ids("test-session-md123", "another-session", "unrelated-session") == [
        "mt#123", "456", "999",
    ]  # fmt: skip


def test_multiple_sessions_with_the_same_task():
    SessionFactory(id="a", task_id="123")
    SessionFactory(id="b", task_id="123")
    SessionFactory(id="c", task_id="124")
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert run.counts["sessions_updated"] == 2
    assert sorted(run.counts["updated_sessions"]) == ["a", "b"]
    assert task_ids("a", "b", "c") == ["mt#123", "mt#123", "124"]


def test_qualified_stored_ids_are_matched_too():
    """§8 #8: real rows hold `mt#123`; the origin matched only the plain `123`."""
    SessionFactory(id="plain", task_id="123")
    SessionFactory(id="qualified", task_id="mt#123")
    SessionFactory(id="legacy-hash", task_id="#123")
    SessionFactory(id="other-backend", task_id="gh#123")
    run = reassociate_task(old_task_id="mt#123", new_task_id="gh#77")
    assert run.counts["sessions_updated"] == 2
    assert run.counts["stored_plain"] == 1 and run.counts["stored_qualified"] == 1
    # `#123` is a markdown spelling, `gh#123` another task: both untouched.
    assert task_ids("plain", "qualified", "legacy-hash", "other-backend") == [
        "gh#77", "gh#77", "#123", "gh#123",
    ]  # fmt: skip


def test_markdown_task_finds_its_legacy_spellings():
    for i, stored in enumerate(["283", "#283", "##283", "task#283", "TASK#283", "md#283"]):
        SessionFactory(id=f"s{i}", task_id=stored)
    run = reassociate_task(old_task_id="task#283", new_task_id="mt#283")
    assert run.counts["sessions_updated"] == 6
    assert set(Session.objects.values_list("task_id", flat=True)) == {"mt#283"}


def test_dry_run_changes_nothing_and_reports_would_update(minsky_sessions):
    SessionFactory(id="q", task_id="md#123")
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123", dry_run=True)
    assert run.dry_run and run.status == Status.SUCCEEDED
    assert run.counts["sessions_found"] == 2
    assert run.counts["sessions_would_update"] == 2
    assert run.counts["sessions_updated"] == 0
    assert sorted(run.counts["updated_sessions"]) == ["q", "test-session-md123"]
    assert task_ids("test-session-md123", "q") == ["123", "md#123"]
    # Same plan as the real run: the real run updates exactly those sessions.
    real = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert sorted(real.counts["updated_sessions"]) == sorted(run.counts["updated_sessions"])
    plan = {(i.subject_id, i.before["task_id"], i.after["task_id"]) for i in run.items.all()}
    done = {(i.subject_id, i.before["task_id"], i.after["task_id"]) for i in real.items.all()}
    assert plan == done


def test_no_matches(minsky_sessions):
    run = reassociate_task(old_task_id="mt#5", new_task_id="gh#5")
    assert run.status == Status.SUCCEEDED
    assert (run.counts["sessions_found"], run.counts["sessions_updated"]) == (0, 0)


def test_non_existent_task_is_zero_zero_without_errors(minsky_sessions):
    run = reassociate_task(old_task_id="md#999999", new_task_id="mt#999999")
    assert (run.counts["sessions_found"], run.counts["sessions_updated"]) == (0, 0)
    assert run.counts["errors"] == [] and run.error == ""


@pytest.mark.parametrize(("old", "new"), [("invalid-id", "mt#1"), ("md#1", "MT#1")])
def test_invalid_format_is_refused_and_changes_nothing(minsky_sessions, old, new):
    with pytest.raises(MigrationError, match="Invalid task ID format"):
        reassociate_task(old_task_id=old, new_task_id=new)
    assert not MigrationRun.objects.exists()
    assert task_ids("test-session-md123", "another-session") == ["123", "456"]


def test_a_failing_session_is_recorded_and_the_rest_proceed():
    SessionFactory(id="test-session-md123", task_id="123")
    SessionFactory(id="ok-1", task_id="md#123")
    SessionFactory(id="ok-2", task_id="123")
    with failing_update_of("test-session-md123"):
        run = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert run.status == Status.PARTIAL
    assert run.counts["sessions_found"] == 3
    assert run.counts["sessions_updated"] == 2
    assert run.counts["sessions_failed"] == 1
    [error] = run.counts["errors"]
    assert error.startswith("Failed to update session test-session-md123")
    assert task_ids("test-session-md123", "ok-1", "ok-2") == ["123", "mt#123", "mt#123"]
    failed = run.items.get(outcome=Outcome.FAILED)
    assert failed.subject_id == "test-session-md123"


def test_the_dry_run_sees_the_refusal_the_real_run_meets_item_by_item():
    """The dry run executes the real writes and rolls them back, so a session the database
    refuses is a failed item in both, with the same reason."""
    SessionFactory(id="test-session-md123", task_id="123")
    SessionFactory(id="ok-1", task_id="md#123")
    SessionFactory(id="ok-2", task_id="md#123")
    with failing_update_of("test-session-md123"):
        dry = reassociate_task(old_task_id="md#123", new_task_id="mt#123", dry_run=True)
        assert task_ids("test-session-md123", "ok-1") == ["123", "md#123"]
        real = reassociate_task(old_task_id="md#123", new_task_id="mt#123")

    def lines(run):
        return [
            (i.subject_id, i.outcome, i.reason, i.before, i.after)
            for i in run.items.order_by("subject_id")
        ]

    assert lines(dry) == lines(real)
    assert [line[:2] for line in lines(real)] == [
        ("ok-1", "migrated"), ("ok-2", "migrated"), ("test-session-md123", "failed"),
    ]  # fmt: skip
    assert (dry.status, real.status) == (Status.PARTIAL, Status.PARTIAL)


def test_same_old_and_new_rewrites_only_non_canonical_values():
    """§8 #12: no-op changes are short-circuited; a plain value is still canonicalised."""
    SessionFactory(id="plain", task_id="123")
    SessionFactory(id="canonical", task_id="md#123")
    before = Session.objects.get(pk="canonical").updated_at
    run = reassociate_task(old_task_id="md#123", new_task_id="md#123")
    assert run.counts["sessions_found"] == 2
    assert run.counts["sessions_updated"] == 1
    assert run.counts["sessions_unchanged"] == 1
    assert task_ids("plain", "canonical") == ["md#123", "md#123"]
    assert Session.objects.get(pk="canonical").updated_at == before
    skipped = run.items.get(subject_id="canonical")
    assert (skipped.reason, skipped.before, skipped.after) == ("already md#123", None, None)


def test_a_second_run_changes_nothing(minsky_sessions):
    reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    again = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert again.status == Status.SUCCEEDED
    assert again.counts["sessions_found"] == 0 and again.counts["sessions_updated"] == 0
    assert task_ids("test-session-md123") == ["mt#123"]


# --- scope, mapping --------------------------------------------------------------------------


def test_workspace_and_session_scopes_limit_what_changes():
    other = WorkspaceFactory(slug="other")
    SessionFactory(id="mine", task_id="123")
    SessionFactory(id="theirs", task_id="123", workspace=other)
    SessionFactory(id="mine-unselected", task_id="md#123")
    mine = Session.objects.get(pk="mine").workspace_id
    run = reassociate_task(
        old_task_id="md#123", new_task_id="mt#123", workspace_ids=[mine], session_ids=["mine"]
    )
    assert run.counts["updated_sessions"] == ["mine"]
    assert task_ids("mine", "theirs", "mine-unselected") == ["mt#123", "123", "md#123"]


def test_a_mapping_moves_several_tasks_in_one_run():
    SessionFactory(id="a", task_id="1")
    SessionFactory(id="b", task_id="md#2")
    run = reassociate_tasks(mapping=[("md#1", "mt#1"), ("md#2", "gh#2")])
    assert run.counts["sessions_updated"] == 2
    assert task_ids("a", "b") == ["mt#1", "gh#2"]


@pytest.mark.parametrize(
    "mapping",
    [
        [("md#1", "mt#1"), ("1", "gh#1")],  # the same old task twice
        [("md#1", "mt#1"), ("mt#1", "gh#1")],  # a chain
        [],
    ],
)
def test_ambiguous_mappings_are_refused(mapping):
    SessionFactory(id="a", task_id="1")
    with pytest.raises(MigrationError):
        reassociate_tasks(mapping=mapping)
    assert task_ids("a") == ["1"] and not MigrationRun.objects.exists()


# --- undo ------------------------------------------------------------------------------------


def test_undo_restores_the_exact_previous_stored_value():
    SessionFactory(id="plain", task_id="123")
    SessionFactory(id="hash", task_id="#123")
    SessionFactory(id="qualified", task_id="md#123")
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert set(task_ids("plain", "hash", "qualified")) == {"mt#123"}
    undone = migration_undo(run=run)
    assert undone.status == Status.UNDONE
    assert undone.counts["undone"] == 3
    assert task_ids("plain", "hash", "qualified") == ["123", "#123", "md#123"]
    assert set(run.items.values_list("outcome", flat=True)) == {Outcome.UNDONE}
    # A second undo is a no-op.
    assert migration_undo(run=run).counts["undone"] == 3
    assert task_ids("plain") == ["123"]


def test_undo_leaves_a_session_that_changed_since():
    SessionFactory(id="a", task_id="123")
    SessionFactory(id="b", task_id="123")
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    Session.objects.filter(pk="b").update(task_id="gh#9")  # someone moved it on
    undone = migration_undo(run=run)
    assert undone.counts["undone"] == 1
    assert task_ids("a", "b") == ["123", "gh#9"]
    assert any("session b left as it is" in note for note in undone.counts["undo_notes"])
    assert run.items.get(subject_id="b").outcome == Outcome.MIGRATED


# --- compare-and-set and batches --------------------------------------------------------------


def test_compare_and_set_skips_rows_changed_after_they_were_read():
    from django.utils import timezone

    SessionFactory(id="a", task_id="123")
    SessionFactory(id="b", task_id="mt#5")
    changed, failed = _apply([("a", "123", "mt#123"), ("b", "123", "mt#123")], now=timezone.now())
    assert changed == {"a"} and failed == {}
    assert task_ids("a", "b") == ["mt#123", "mt#5"]


def queries_for(n_sessions, batch_size):
    Session.objects.all().delete()
    for i in range(n_sessions):
        SessionFactory(id=f"q{i:03d}", task_id="123" if i % 2 else "md#123")
    with CaptureQueriesContext(connection) as ctx:
        run = reassociate_task(old_task_id="md#123", new_task_id="mt#123", batch_size=batch_size)
    assert run.counts["sessions_updated"] == n_sessions
    updates = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().startswith('UPDATE "sessions_app_session"')
    ]
    return len(ctx.captured_queries), len(updates)


def test_one_update_per_batch_and_constant_queries_per_batch():
    # 24 sessions: 6 batches of 4, then 2 batches of 12 (one more query to find the end).
    small_total, small_updates = queries_for(24, 4)
    large_total, large_updates = queries_for(24, 12)
    assert (small_updates, large_updates) == (6, 2)
    # Same fixed overhead and the same cost per batch at both sizes.
    per_batch = (small_total - large_total) / (6 - 2)
    assert per_batch == int(per_batch)
    assert small_total - 6 * per_batch == large_total - 2 * per_batch
    assert per_batch <= 8


def test_progress_reaches_the_total():
    for i in range(7):
        SessionFactory(id=f"p{i}", task_id="md#4")
    run = reassociate_task(old_task_id="md#4", new_task_id="mt#4", batch_size=3)
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total) == (7, 7)


def test_a_large_request_from_the_api_runs_in_the_background_task(
    settings, django_capture_on_commit_callbacks
):
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 0
    SessionFactory(id="a", task_id="123")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = reassociate_task(
            old_task_id="md#123", new_task_id="mt#123", origin=MigrationRun.Origin.API
        )
    assert run.status == Status.PLANNED and task_ids("a") == ["123"]
    assert len(queued) == 1
    queued[0]()  # the task backend of the tests runs the task at once
    run.refresh_from_db()
    assert run.status == Status.SUCCEEDED and run.counts["sessions_updated"] == 1
    assert task_ids("a") == ["mt#123"]


@pytest.mark.parametrize("preload_limit", [0, 100_000])
def test_both_batch_read_paths_give_the_same_result(monkeypatch, preload_limit):
    """Tasks with few sessions are read in one indexed query, huge ones page by id."""
    from migration_app.services import task_reassociation as kind

    monkeypatch.setattr(kind, "PRELOAD_LIMIT", preload_limit)
    for i in range(9):
        SessionFactory(id=f"m{i}", task_id="123" if i % 3 else "md#123")
        SessionFactory(id=f"n{i}", task_id="mt#1")
    with CaptureQueriesContext(connection) as ctx:
        run = reassociate_task(old_task_id="md#123", new_task_id="mt#123", batch_size=4)
    assert run.counts["sessions_updated"] == 9
    assert Session.objects.filter(task_id="mt#123").count() == 9
    reads = [
        q for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "sessions_app_session"."id"') and '"task_id" IN' in q["sql"]
    ]  # fmt: skip
    # one read, or 3 pages + the empty page that ends the walk
    assert len(reads) == (1 if preload_limit else 4)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_update_each_session_exactly_once():
    import threading

    from django.db import connections

    for i in range(120):
        SessionFactory(id=f"c{i:03d}", task_id="7" if i % 2 else "md#7")
    runs, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            runs.append(reassociate_task(old_task_id="md#7", new_task_id="mt#7", batch_size=5))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert Session.objects.filter(task_id="mt#7").count() == 120
    migrated = list(
        MigrationItem.objects.filter(outcome=Outcome.MIGRATED).values_list("subject_id", flat=True)
    )
    # Compare-and-set: no session is claimed by both runs, none is lost.
    assert len(migrated) == len(set(migrated)) == 120
    assert sum(run.counts["sessions_updated"] for run in runs) == 120
    # Undoing both restores every session's own verbatim value.
    for run in runs:
        migration_undo(run=run)
    assert Session.objects.filter(task_id="7").count() == 60
    assert Session.objects.filter(task_id="md#7").count() == 60
