"""The import's batch reads: the ORM's `filter(id__in=…).values_list` against
`services/bulk.rows_select_in`, on the same rows.

Loads the sessions, then each round reads every one of them back by id, `--batch-size`
ids per statement, once through the ORM and once through `rows_select_in` (the reference).
"""

from bench import harness


def main(argv=None) -> None:
    with harness.scratch_run(__doc__, argv, rounds=5, sessions=20_000, batch_size=500) as args:
        from projects_app.bulk import rows_select_in
        from sessions_app.models import Session

        ids = [f"bench-{i:08d}" for i in range(args.sessions)]
        harness.sessions_load({"id": sid, "num": i} for i, sid in enumerate(ids))
        batches = [ids[i : i + args.batch_size] for i in range(0, len(ids), args.batch_size)]
        harness.header(f"batch reads: {len(ids)} sessions by id, {args.batch_size} per statement")

        def orm():
            return sum(
                len(Session.objects.filter(id__in=b).values_list("id", "source_path"))
                for b in batches
            )

        def raw():
            return sum(len(rows_select_in(Session, ("id", "source_path"), id=b)) for b in batches)

        figures = harness.Figures(reference="rows_select_in")
        for _ in range(args.rounds):
            found = figures.time("rows_select_in", raw, items=len(ids))
            assert figures.time("ORM values_list", orm, items=len(ids)) == found == len(ids)
        figures.print()
        figures.ratio_target("rows_select_in pays (ORM {:.1f}x its time)", "ORM values_list",
                             "rows_select_in", at_least=1.5)  # fmt: skip


if __name__ == "__main__":
    main()
