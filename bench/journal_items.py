"""Journal items: 20,000 in batches of 500, `bulk_create` against the journal's raw writer.

The figures that keep (or remove) the raw SQL of projects_app/bulk.py: the
journal writes its items with `rows_insert` (one executemany per batch on SQLite, COPY
on PostgreSQL) instead of `MigrationItem.objects.bulk_create`. Each round writes the same
items, one transaction per batch as a run does, three ways: the baseline, the ORM's
`bulk_create`; the same INSERT through Django's cursor `executemany`; and the journal's
own path, `migration_items_record` (which calls `rows_insert`). The items are deleted
after each measure. Target: the raw writer at least twice as fast as `bulk_create`.
"""

import json

from bench import harness


def main(argv=None) -> None:
    with harness.scratch_run(__doc__, argv, items=20_000, batch=500) as args:
        from django.db import connection
        from django.utils import timezone

        from migration_app.models import MigrationItem, MigrationRun
        from migration_app.services.journal import ItemRecord, migration_items_record

        run = MigrationRun.objects.create(kind=MigrationRun.Kind.LEGACY_IMPORT)
        records = [
            ItemRecord(
                "session",
                f"s{i}",
                "migrated",
                after={"project_id": "p", "num": i, "source_path": f"/x/y/{i}.json"},
            )  # fmt: skip
            for i in range(args.items)
        ]
        harness.header(f"journal items: {args.items:,} in batches of {args.batch}")

        def orm(batch):
            MigrationItem.objects.bulk_create(MigrationItem(run=run, **vars(i)) for i in batch)

        table = MigrationItem._meta.db_table
        columns = "run_id, subject_type, subject_id, outcome, reason, after, created_at"
        sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        run_id = MigrationItem._meta.get_field("run").get_db_prep_save(run.pk, connection)

        def executemany(batch):
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            rows = [
                (run_id, i.subject_type, i.subject_id, i.outcome, "", json.dumps(i.after), now)
                for i in batch
            ]
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)

        def journal(batch):
            migration_items_record(run=run, items=batch)

        baseline = "baseline: bulk_create"
        figures = harness.Figures(reference=baseline)
        for _ in range(args.rounds):
            for label, write in [
                (baseline, orm),
                ("Django cursor executemany", executemany),
                ("journal: rows_insert", journal),
            ]:
                figures.time(label, harness.per_batch(write, records, args.batch), items=args.items)
                assert MigrationItem.objects.count() == args.items
                MigrationItem.objects.all().delete()
        figures.print()
        figures.ratio_target("rows_insert >= 2x as fast as bulk_create (here {:.1f}x)",
                             baseline, "journal: rows_insert", at_least=2)  # fmt: skip


if __name__ == "__main__":
    main()
