"""Batch updates: the ORM's `bulk_update` against services/bulk.py's raw statements.

    python -m bench.bulk_updates [--sessions 10000] [--batch 500] [--rounds 3] [--database-url …]

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

import sys

from bench import harness


def main(argv=None) -> int:
    parser = harness.arguments(__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url):
        from django.db import transaction
        from django.utils import timezone

        from migration_app.services.bulk import rows_compare_and_set, rows_update
        from projects_app.models import Project, Workspace
        from sessions_app.models import Session

        workspace = Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)
        project = Project.objects.create(workspace=workspace, title="bench")
        ids = [f"bench-{n:07d}" for n in range(args.sessions)]
        harness.rows_load(
            Session,
            ({"id": sid, "num": n, "task_id": f"md#{n}"} for n, sid in enumerate(ids)),
            workspace=workspace.pk,
        )
        batches = [ids[s : s + args.batch] for s in range(0, len(ids), args.batch)]
        harness.header(f"batch updates: {args.sessions:,} sessions in batches of {args.batch}")

        def link_orm():
            for batch in batches:
                with transaction.atomic():
                    Session.objects.filter(project__isnull=True).bulk_update(
                        [Session(pk=sid, project_id=project.pk) for sid in batch], ["project"]
                    )

        def link_raw():
            for batch in batches:
                with transaction.atomic():
                    rows_update(
                        Session,
                        key="id",
                        columns=["project"],
                        rows=[(sid, project.pk) for sid in batch],
                        where_null="project",
                    )

        def rewrite_orm():
            now = timezone.now()
            for batch in batches:
                with transaction.atomic():
                    locked = Session.objects.select_for_update().filter(pk__in=batch)
                    current = dict(locked.values_list("pk", "task_id"))
                    Session.objects.bulk_update(
                        [
                            Session(pk=sid, task_id="mt#" + current[sid][3:], updated_at=now)
                            for sid in batch
                        ],
                        ["task_id", "updated_at"],
                    )

        def rewrite_raw():
            now = timezone.now()
            for batch in batches:
                with transaction.atomic():
                    current = dict(
                        Session.objects.filter(pk__in=batch).values_list("pk", "task_id")
                    )
                    rows_compare_and_set(
                        Session,
                        column="task_id",
                        rows=[(sid, current[sid], "mt#" + current[sid][3:]) for sid in batch],
                        also={"updated_at": now},
                    )

        def reset():
            Session.objects.update(project=None)
            for n in range(0, args.sessions, 5_000):
                with transaction.atomic():
                    rows_update(
                        Session,
                        key="id",
                        columns=["task_id"],
                        rows=[(sid, f"md#{m}") for m, sid in enumerate(ids) if n <= m < n + 5000],
                    )

        link, rewrite = "link: bulk_update", "compare-and-set: lock + bulk_update"
        figures = harness.Figures(reference=link)
        for _ in range(args.rounds):
            for label, work, check in [
                (link, link_orm, lambda: Session.objects.filter(project=project).count()),
                ("link: rows_update", link_raw, lambda: Session.objects.filter(project=project).count()),  # noqa: E501
                (rewrite, rewrite_orm, lambda: Session.objects.filter(task_id__startswith="mt#").count()),  # noqa: E501
                ("compare-and-set: rows_compare_and_set", rewrite_raw,
                 lambda: Session.objects.filter(task_id__startswith="mt#").count()),
            ]:  # fmt: skip
                figures.time(label, work, items=args.sessions)
                assert check() == args.sessions, label
                reset()
        figures.print()
        gains = {
            "rows_update": figures.median(link) / figures.median("link: rows_update"),
            "rows_compare_and_set": figures.median(rewrite)
            / figures.median("compare-and-set: rows_compare_and_set"),
        }
        for name, gain in gains.items():
            harness.target(f"{name} >= 2x as fast as the ORM (here {gain:.1f}x)", met=gain >= 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
