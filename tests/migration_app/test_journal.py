"""The journal: a kind registers plan, execute and undo; a run goes planned → running → closed."""

import contextlib
from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import journal
from migration_app.services.journal import (
    INTERRUPTED,
    NEVER_STARTED,
    DryRun,
    ItemRecord,
    MigrationConflict,
    MigrationError,
    MigrationKind,
    Planned,
    UndoResult,
    migration_items_record,
    migration_kind_register,
    migration_run_execute,
    migration_run_finish,
    migration_run_plan,
    migration_run_progress,
    migration_runs_close_interrupted,
    migration_undo,
)
from migration_app.services.locks import kind_lock_try
from projects_app.models import Workspace

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome
TOY = "toy_kind"


def items(outcome, n, prefix="s"):
    return [ItemRecord("session", f"{prefix}{i}", outcome) for i in range(n)]


def toy_plan(*, slugs, fail_after=None):
    if not slugs:
        raise MigrationError("Nothing to do.")
    return Planned(params={"slugs": list(slugs), "fail_after": fail_after}, total=len(slugs))


def toy_execute(run):
    """Creates one workspace per slug (a database write the dry run must roll back)."""
    for n, slug in enumerate(run.params["slugs"]):
        if run.params["fail_after"] is not None and n == run.params["fail_after"]:
            raise RuntimeError("the disk is full")
        Workspace.objects.create(slug=slug, name=slug)
        migration_items_record(run=run, items=[ItemRecord("workspace", slug, Outcome.MIGRATED)])
        migration_run_progress(run=run, advance=1)
    return {"workspaces": len(run.params["slugs"])}


def toy_undo(run):
    slugs = list(run.items.filter(outcome=Outcome.MIGRATED).values_list("subject_id", flat=True))
    Workspace.objects.filter(slug__in=slugs).delete()
    run.items.update(outcome=Outcome.UNDONE)
    return UndoResult(restored=len(slugs))


@pytest.fixture
def toy(monkeypatch):
    """A kind of our own, registered for the test only."""
    kind = MigrationKind(TOY, plan=toy_plan, execute=toy_execute, undo=toy_undo)
    monkeypatch.setitem(journal._KINDS, TOY, kind)
    return kind


def run_toy(**request):
    dry_run = request.pop("dry_run", False)
    run = migration_run_plan(kind=TOY, dry_run=dry_run, **request)
    return migration_run_execute(run_id=run.pk)


def test_plan_records_a_planned_run_with_the_kinds_params_and_size(toy):
    run = migration_run_plan(kind=TOY, slugs=["a", "b"], actor="alice", origin="admin")
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.PLANNED
    assert run.params == {"slugs": ["a", "b"], "fail_after": None}
    assert (run.progress_total, run.actor, run.origin) == (2, "alice", "admin")


def test_a_refused_plan_records_nothing(toy):
    with pytest.raises(MigrationError, match="Nothing to do"):
        migration_run_plan(kind=TOY, slugs=[])
    assert not MigrationRun.objects.exists()


def test_an_unknown_kind_is_refused():
    with pytest.raises(MigrationError, match="No migration of kind"):
        migration_run_plan(kind="nothing_registered")


def test_execute_carries_out_the_run_and_closes_it_with_counts(toy):
    run = run_toy(slugs=["a", "b", "c"])
    assert run.status == MigrationRun.Status.SUCCEEDED
    assert run.counts == {
        "migrated": 3, "skipped": 0, "failed": 0, "undone": 0, "workspace_migrated": 3,
        "workspaces": 3,
    }  # fmt: skip
    assert run.progress_done == run.progress_total == 3
    assert set(Workspace.objects.values_list("slug", flat=True)) >= {"a", "b", "c"}


def test_executing_a_finished_run_again_returns_it_unchanged(toy):
    run = run_toy(slugs=["a"])
    again = migration_run_execute(run_id=run.pk)
    assert again.finished_at == run.finished_at and Workspace.objects.filter(slug="a").count() == 1


def test_a_run_already_running_elsewhere_is_not_executed_twice(toy):
    run = migration_run_plan(kind=TOY, slugs=["a"])
    MigrationRun.objects.filter(pk=run.pk).update(status=MigrationRun.Status.RUNNING)
    with pytest.raises(MigrationConflict, match="not planned"):
        migration_run_execute(run_id=run.pk)
    assert not Workspace.objects.filter(slug="a").exists()


def test_an_error_that_stops_the_run_is_recorded_then_raised(toy):
    with pytest.raises(RuntimeError, match="disk is full"):
        run_toy(slugs=["a", "b", "c"], fail_after=2)
    run = MigrationRun.objects.get()
    assert run.status == MigrationRun.Status.FAILED
    assert run.error == "RuntimeError: the disk is full"
    assert run.counts["migrated"] == 2  # what it did before it stopped


def test_a_dry_run_executes_for_real_then_rolls_back_keeping_its_items(toy):
    before = Workspace.objects.count()
    dry = run_toy(slugs=["a", "b"], dry_run=True)
    assert Workspace.objects.count() == before
    assert dry.dry_run and dry.status == MigrationRun.Status.SUCCEEDED
    assert list(dry.items.values_list("subject_id", "outcome")) == [
        ("a", "migrated"), ("b", "migrated"),
    ]  # fmt: skip
    assert dry.progress_done == 2
    real = run_toy(slugs=["a", "b"])
    assert [(i.subject_id, i.outcome) for i in real.items.all()] == [
        (i.subject_id, i.outcome) for i in dry.items.all()
    ]


def test_a_failing_dry_run_keeps_the_items_it_recorded(toy):
    with pytest.raises(RuntimeError):
        run_toy(slugs=["a", "b"], fail_after=1, dry_run=True)
    run = MigrationRun.objects.get()
    assert run.status == MigrationRun.Status.FAILED
    assert list(run.items.values_list("subject_id", flat=True)) == ["a"]
    assert not Workspace.objects.filter(slug="a").exists()


def test_a_kind_that_plans_its_own_dry_run_is_executed_without_a_rollback(toy, monkeypatch):
    monkeypatch.setitem(
        journal._KINDS,
        TOY,
        MigrationKind(TOY, toy_plan, toy_execute, toy_undo, DryRun.PLANNED_BY_KIND),
    )
    run_toy(slugs=["planned-by-kind"], dry_run=True)
    assert Workspace.objects.filter(slug="planned-by-kind").exists()  # the toy does not check


def test_progress_is_reported_to_the_listener_as_it_moves(toy):
    seen = []
    run = migration_run_plan(kind=TOY, slugs=["a", "b"])
    migration_run_execute(run_id=run.pk, on_progress=lambda r: seen.append(r.progress_done))
    assert seen == [1, 2]


@pytest.mark.parametrize("batch_size", [1, 50, 3_000])
def test_a_batch_of_items_is_one_statement(toy, batch_size):
    run = migration_run_plan(kind=TOY, slugs=["a"])
    with CaptureQueriesContext(connection) as queries:
        written = migration_items_record(run=run, items=items(Outcome.MIGRATED, batch_size))
    assert written == batch_size
    assert len(queries) == 1
    # projects_app/bulk.py logs a batch once, as "<n> rows: INSERT …" (or COPY).
    assert queries[0]["sql"].split(": ", 1)[-1].startswith(("INSERT", "COPY"))
    assert run.items.count() == batch_size


def test_items_keep_their_journal_values(toy):
    run = migration_run_plan(kind=TOY, slugs=["a"])
    record = ItemRecord("file", "/a/b.json", Outcome.FAILED, "invalid JSON", {"x": [1]}, None)
    migration_items_record(run=run, items=[record])
    item = run.items.get()
    assert (item.subject_type, item.subject_id, item.outcome, item.reason) == (
        "file", "/a/b.json", "failed", "invalid JSON",
    )  # fmt: skip
    assert item.before == {"x": [1]} and item.after is None
    assert item.created_at is not None


def test_any_failed_item_makes_the_run_partial(toy):
    run = migration_run_plan(kind=TOY, slugs=["a"])
    migration_items_record(
        run=run, items=items(Outcome.MIGRATED, 3) + items(Outcome.FAILED, 1, "f")
    )
    assert migration_run_finish(run=run).status == MigrationRun.Status.PARTIAL


# --- one run at a time ------------------------------------------------------------------


@pytest.fixture
def exclusive(monkeypatch):
    kind = MigrationKind(TOY, toy_plan, toy_execute, toy_undo, one_at_a_time=True)
    monkeypatch.setitem(journal._KINDS, TOY, kind)
    return kind


@contextlib.contextmanager
def held_by_another_process(kind):
    """The kind's lock, held elsewhere: on PostgreSQL by another connection (an advisory
    lock is re-entrant within one), on SQLite by another open lock file."""
    if connection.vendor != "postgresql":
        release = kind_lock_try(kind)
        try:
            yield
        finally:
            release()
        return
    import psycopg

    from migration_app.services.locks import _advisory_key

    db = connection.settings_dict
    conninfo = {"dbname": db["NAME"], "host": db["HOST"], "port": db["PORT"], "user": db["USER"]}
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_advisory_key(kind)])
        yield


def test_a_second_run_of_a_one_at_a_time_kind_is_refused_and_leaves_no_trace(exclusive):
    with held_by_another_process(TOY):
        run = migration_run_plan(kind=TOY, slugs=["a"])
        with pytest.raises(MigrationConflict, match="Another toy_kind run is in progress"):
            migration_run_execute(run_id=run.pk)
    assert not MigrationRun.objects.exists()
    assert run_toy(slugs=["a"]).status == MigrationRun.Status.SUCCEEDED  # free again


def test_under_the_lock_runs_left_running_by_a_dead_process_are_closed(exclusive):
    dead = migration_run_plan(kind=TOY, slugs=["a"])
    MigrationRun.objects.filter(pk=dead.pk).update(status=MigrationRun.Status.RUNNING)
    migration_items_record(run=dead, items=items(Outcome.MIGRATED, 4))
    other = MigrationRun.objects.create(kind="other", status=MigrationRun.Status.RUNNING)

    run_toy(slugs=["b"])

    dead.refresh_from_db()
    assert (dead.status, dead.error) == (MigrationRun.Status.FAILED, INTERRUPTED)
    assert dead.counts["migrated"] == 4 and dead.is_finished
    other.refresh_from_db()
    assert other.status == MigrationRun.Status.RUNNING
    assert migration_runs_close_interrupted(kind=TOY) == 0


def test_a_commands_run_left_planned_is_closed_but_a_queued_one_waits_for_its_worker(exclusive):
    never_started = migration_run_plan(kind=TOY, slugs=["a"])  # its command was killed
    queued = migration_run_plan(kind=TOY, slugs=["b"], origin=MigrationRun.Origin.ADMIN)

    run_toy(slugs=["c"])

    never_started.refresh_from_db()
    assert (never_started.status, never_started.error) == (
        MigrationRun.Status.FAILED, NEVER_STARTED,
    )  # fmt: skip
    assert never_started.counts["migrated"] == 0
    queued.refresh_from_db()
    assert queued.status == MigrationRun.Status.PLANNED
    assert migration_run_execute(run_id=queued.pk).status == MigrationRun.Status.SUCCEEDED


def test_a_one_at_a_time_run_is_closed_before_its_lock_is_let_go(exclusive, monkeypatch):
    """Else the next run could take the lock in between and close it as interrupted."""
    held_at_close = []
    finish = journal.migration_run_finish

    def finish_checking_the_lock(*, run, **kwargs):
        held_at_close.append(not lock_free_elsewhere(TOY))
        return finish(run=run, **kwargs)

    monkeypatch.setattr(journal, "migration_run_finish", finish_checking_the_lock)
    assert run_toy(slugs=["a"]).status == MigrationRun.Status.SUCCEEDED
    assert held_at_close == [True]
    assert lock_free_elsewhere(TOY)


def lock_free_elsewhere(kind) -> bool:
    """Whether another process could take the kind's lock now (see held_by_another_process)."""
    if connection.vendor != "postgresql":
        release = kind_lock_try(kind)
        if release is not None:
            release()
        return release is not None
    import psycopg

    from migration_app.services.locks import _advisory_key

    db = connection.settings_dict
    conninfo = {"dbname": db["NAME"], "host": db["HOST"], "port": db["PORT"], "user": db["USER"]}
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as other:
        return other.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key(kind)]).fetchone()[0]


def test_a_kinds_run_lock_is_held_from_execute_to_close_for_real_runs_only(toy, monkeypatch):
    events = []

    @contextlib.contextmanager
    def run_lock(run):
        events.append("lock")
        yield
        events.append("unlock")

    finish = journal.migration_run_finish

    def finish_noting(*, run, **kwargs):
        events.append("close")
        return finish(run=run, **kwargs)

    monkeypatch.setitem(journal._KINDS, TOY, replace(toy, run_lock=run_lock))
    monkeypatch.setattr(journal, "migration_run_finish", finish_noting)
    run_toy(slugs=["a"])
    assert events == ["lock", "close", "unlock"]
    events.clear()
    run_toy(slugs=["b"], dry_run=True)
    assert events == ["close"]


# --- undo -------------------------------------------------------------------------------


def test_undo_goes_to_the_undo_of_the_runs_kind(toy):
    run = run_toy(slugs=["a", "b"])
    undone = migration_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE
    assert undone.counts["undone"] == 2
    assert not Workspace.objects.filter(slug__in=["a", "b"]).exists()


def test_a_second_undo_changes_nothing(toy):
    run = run_toy(slugs=["a"])
    migration_undo(run=run)
    Workspace.objects.create(slug="a", name="made again after the undo")
    migration_undo(run=run)
    assert Workspace.objects.filter(slug="a").exists()


def test_a_dry_run_cannot_be_undone(toy):
    with pytest.raises(MigrationError, match="dry run"):
        migration_undo(run=run_toy(slugs=["a"], dry_run=True))


def test_a_running_run_cannot_be_undone(toy):
    run = migration_run_plan(kind=TOY, slugs=["a"])
    with pytest.raises(MigrationConflict):
        migration_undo(run=run)


def test_every_migration_kind_registers_plan_execute_and_undo():
    for kind in MigrationRun.Kind.values:
        registered = journal.migration_kind_get(kind)
        assert callable(registered.plan) and callable(registered.execute)
        assert callable(registered.undo)


def test_registering_a_kind_makes_it_available(monkeypatch):
    monkeypatch.setattr(journal, "_KINDS", dict(journal._KINDS))
    migration_kind_register(MigrationKind("late_kind", toy_plan, toy_execute, toy_undo))
    assert journal.migration_kind_get("late_kind").plan is toy_plan


# --- the selection ----------------------------------------------------------------------


def test_a_named_selection_is_kept_as_rows_until_the_run_finishes(monkeypatch):
    from migration_app.models import MigrationSelection
    from migration_app.services.journal import migration_run_selection_batches

    def plan(*, ids):
        return Planned(params={}, total=len(ids), selection=ids)

    batches = []

    def execute(run):
        batches.extend(migration_run_selection_batches(run=run, size=4_000))
        return {}

    monkeypatch.setitem(journal._KINDS, TOY, MigrationKind(TOY, plan, execute, toy_undo))
    ids = [f"s{n:05d}" for n in range(12_000)]
    run = migration_run_plan(kind=TOY, ids=list(reversed(ids)))
    assert run.params == {"selected": 12_000}  # a count, not the ids
    assert MigrationSelection.objects.filter(run=run).count() == 12_000
    migration_run_execute(run_id=run.pk)
    assert [len(batch) for batch in batches] == [4_000, 4_000, 4_000]
    assert [s for batch in batches for s in batch] == ids  # in id order, each once
    assert not MigrationSelection.objects.filter(run=run).exists()  # the items hold them now


def test_a_selection_larger_than_one_statement_is_counted_in_chunks():
    from migration_app.services.journal import migration_selection_count
    from sessions_app.models import Session
    from tests.factories import SessionFactory

    SessionFactory(id="present-1")
    SessionFactory(id="present-2")
    ids = [f"absent-{n}" for n in range(40_000)] + ["present-1", "present-2"]
    assert migration_selection_count(queryset=Session.objects.all(), subject_ids=ids) == 2
