"""Re-associate a task whose sessions are 10,000 of 1,000,000; target < 2 s.

Each round times one raw UPDATE (the floor, rolled back), the dry run, the run and its
undo, which leaves the rows as the round found them (docs/reassociate-task.md).
"""

from functools import partial

from bench import harness

OLD, NEW = "md#123", "mt#123"


def raw_update() -> int:
    """The floor: one UPDATE of the matching rows (no journal, no checks), rolled back."""
    from django.db import connection, transaction

    from sessions_app.models import Session
    from sessions_app.task_ids import stored_forms

    forms = stored_forms(OLD)
    marks = ", ".join(["%s"] * len(forms))
    sql = f"UPDATE {Session._meta.db_table} SET task_id = %s WHERE task_id IN ({marks})"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [NEW, *forms])
        transaction.set_rollback(True)
        return cursor.rowcount


def sessions(count: int, matching: int):
    step = max(1, count // max(1, matching))
    for i in range(count):
        match = i % step == 0 and i // step < matching
        task_id = ("123" if (i // step) % 2 else OLD) if match else f"mt#{1000 + i}"
        yield {"id": f"bench-{i:08d}", "num": i, "task_id": task_id}


def main(argv=None) -> None:
    with harness.scratch_run(
        __doc__, argv, sessions=1_000_000, matching=10_000, batch_size=1000
    ) as args:
        from migration_app.dispatch import migration_run_dispatch
        from migration_app.models import MigrationRun
        from migration_app.services import migration_undo
        from sessions_app.models import Session

        loaded = harness.sessions_load(sessions(args.sessions, args.matching))
        harness.header(
            f"re-associate {OLD} -> {NEW}: {args.matching:,} of {args.sessions:,} sessions "
            f"(half stored plain), batch {args.batch_size}; loaded in {loaded:.1f} s"
        )
        dispatch = partial(
            migration_run_dispatch, kind=MigrationRun.Kind.REASSOCIATE_TASK,
            mapping=[(OLD, NEW)], batch_size=args.batch_size,
        )  # fmt: skip
        figures = harness.Figures(reference="floor: one raw UPDATE")
        for _ in range(args.rounds):
            n = args.matching
            updated = figures.time("floor: one raw UPDATE", raw_update, items=n)
            dry = figures.time("dry run", partial(dispatch, dry_run=True), items=n)
            run = figures.time("run", dispatch, items=n)
            figures.time("undo", partial(migration_undo, run=run), items=n)
            # The figures count only if the work was done, and undone.
            assert updated == dry.counts["sessions_would_update"] == n, (updated, dry.counts)
            assert run.counts["sessions_updated"] == n, run.counts
            assert not Session.objects.filter(task_id=NEW).exists()
        figures.print()
        harness.target("re-associate < 2 s", met=figures.median("run") < 2)


if __name__ == "__main__":
    main()
