"""The storage floor of an import benchmark: what writing the import's own rows into the
hub's tables costs, with nothing of the importer around it (README, "2026-12-07 (morning)")."""

from bench.harness import STORAGE_FLOOR, Figures, forked, queries_counted, timed


def storage_floor_time(figures: Figures, querysets, *, items) -> None:
    """What storing the import's rows costs in the hub's schema alone: the rows of
    `querysets` (those the import wrote, parents first) are loaded and deleted, then the
    same rows, as database values, are written back with projects_app/bulk.py's writer
    (COPY on PostgreSQL) in one transaction, with every index, constraint and search
    trigger of the hub but no reading, mapping or journaling logic: the hub is left as it
    was. Measured after the last timed import: the rewritten rows leave another full-text
    index behind. In a forked child: the loaded rows do not raise this process's peak RSS."""

    def child():
        from django.db import connection, transaction

        from projects_app.bulk import instances_rows, rows_insert

        # Database values prepared before the clock starts: what is timed is the writing.
        batches = []
        for qs in querysets:
            columns = [f.name for f in qs.model._meta.concrete_fields]
            batches.append((qs.model, columns, instances_rows(qs.model, list(qs))))
        with transaction.atomic():  # children first; the foreign keys are checked at commit
            for qs in reversed(querysets):
                qs._raw_delete(qs.db)  # no signals, no cascade collection

        def store():
            with transaction.atomic():
                for model, columns, rows in batches:
                    rows_insert(model, columns, rows)

        with queries_counted() as queries:
            _, seconds = timed(store)
        if connection.vendor == "sqlite":
            # The next measure should not pay for copying this WAL into the database.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"storage_seconds": seconds, "storage_queries": len(queries)}

    result = forked(child)
    figures.record(
        STORAGE_FLOOR, result["storage_seconds"], items=items, queries=result["storage_queries"]
    )
