"""Batch updates: the ORM's `bulk_update` against projects_app/bulk.py's raw statements.

The figures that keep (or remove) `rows_update` and `rows_compare_and_set`. Each round
updates every session once, one transaction per batch as the migrations do, two ways:

- giving each session a project and a conversation, only where it has no project yet (the
  compare-and-set of session → project): `filter(project__isnull=True).bulk_update(…)`
  against `rows_update(…, where_null="project")`;
- rewriting each session's task id only where it still holds the value read (the
  compare-and-set of re-association): `select_for_update()` of the batch + `bulk_update`
  against `rows_compare_and_set`, one statement with RETURNING.

The rows are put back after each measure. Target: each raw statement at least twice as
fast as the ORM path it replaces.
"""

from bench import harness


def main(argv=None) -> None:
    with harness.scratch_run(__doc__, argv, sessions=10_000, batch=500) as args:
        from django.db import transaction
        from django.utils import timezone

        from projects_app.bulk import rows_compare_and_set, rows_update
        from projects_app.models import Project
        from sessions_app.models import Session

        project = Project.objects.create(workspace=harness.default_workspace(), title="bench")
        ids = [f"bench-{n:07d}" for n in range(args.sessions)]
        task_ids = [(sid, f"md#{n}") for n, sid in enumerate(ids)]
        harness.sessions_load(
            {"id": sid, "num": n, "task_id": t} for n, (sid, t) in enumerate(task_ids)
        )
        harness.header(f"batch updates: {args.sessions:,} sessions in batches of {args.batch}")

        def link_orm(batch):
            Session.objects.filter(project__isnull=True).bulk_update(
                [Session(pk=sid, project_id=project.pk) for sid in batch], ["project"]
            )

        def link_raw(batch):
            rows = [(sid, project.pk) for sid in batch]
            rows_update(Session, key="id", columns=["project"], rows=rows, where_null="project")

        def rewrite_orm(batch):
            now = timezone.now()
            locked = Session.objects.select_for_update().filter(pk__in=batch)
            current = dict(locked.values_list("pk", "task_id"))
            rows = [
                Session(pk=sid, task_id="mt#" + current[sid][3:], updated_at=now) for sid in batch
            ]
            Session.objects.bulk_update(rows, ["task_id", "updated_at"])

        def rewrite_raw(batch):
            current = dict(Session.objects.filter(pk__in=batch).values_list("pk", "task_id"))
            rows_compare_and_set(
                Session,
                column="task_id",
                rows=[(sid, current[sid], "mt#" + current[sid][3:]) for sid in batch],
                also={"updated_at": timezone.now()},
            )

        def reset():
            Session.objects.update(project=None)
            for n in range(0, args.sessions, 5_000):
                with transaction.atomic():
                    rows_update(Session, key="id", columns=["task_id"], rows=task_ids[n : n + 5000])

        linked = Session.objects.filter(project=project)
        rewritten = Session.objects.filter(task_id__startswith="mt#")
        link, rewrite = "link: bulk_update", "compare-and-set: lock + bulk_update"
        figures = harness.Figures(reference=link)
        for _ in range(args.rounds):
            for label, work, done in [
                (link, link_orm, linked),
                ("link: rows_update", link_raw, linked),
                (rewrite, rewrite_orm, rewritten),
                ("compare-and-set: rows_compare_and_set", rewrite_raw, rewritten),
            ]:
                figures.time(label, harness.per_batch(work, ids, args.batch), items=args.sessions)
                assert done.count() == args.sessions, label
                reset()
        figures.print()
        for name, orm in [("rows_update", link), ("rows_compare_and_set", rewrite)]:
            raw = f"{orm.split(':')[0]}: {name}"
            figures.ratio_target(f"{name} >= 2x as fast as the ORM (here {{:.1f}}x)", orm, raw,
                                 at_least=2)  # fmt: skip


if __name__ == "__main__":
    main()
