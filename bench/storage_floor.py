"""The storage floor of an import benchmark: what writing the import's own rows into the
hub's tables costs, with nothing of the importer around it (README, "2026-12-07 (morning)")."""

from bench.harness import STORAGE_FLOOR, Figures, forked, queries_counted, timed
from bench.search_index import search_index_off

STORAGE_FLOOR_UNINDEXED = "storage floor without the search index"


def storage_floor_time(figures: Figures, querysets, *, items) -> None:
    """What storing the import's rows costs in the hub's schema alone: the rows of
    `querysets` (those the import wrote, parents first) are loaded and deleted, then the
    same rows, as database values, are written back with projects_app/bulk.py's writer
    (COPY on PostgreSQL) in one transaction, with every index, constraint and search
    trigger of the hub but no reading, mapping or journaling logic: the hub is left as it
    was. Timed first without the search index (issue 19's triggers and trigram indexes),
    those rows deleted again, then with it: what the index alone adds to the import's writes.
    Measured after the last timed import: the rewritten rows leave another full-text
    index behind. In a forked child: the loaded rows do not raise this process's peak RSS."""

    def child():
        from django.db import connection, transaction

        from projects_app.bulk import instances_rows, rows_insert

        # Database values prepared before the clock starts: what is timed is the writing.
        batches = []
        for qs in querysets:
            columns = [f.name for f in qs.model._meta.concrete_fields]
            batches.append((qs.model, columns, instances_rows(qs.model, list(qs))))

        def delete():
            with transaction.atomic():  # children first; the foreign keys are checked at commit
                for qs in reversed(querysets):
                    qs._raw_delete(qs.db)  # no signals, no cascade collection

        def store():
            with transaction.atomic():
                for model, columns, rows in batches:
                    rows_insert(model, columns, rows)

        def checkpoint():  # the next measure should not pay for copying this WAL
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        # Each store starts from a checkpointed WAL: a store timed right after a large delete
        # also paid for copying the delete's pages (an unindexed store of 327,422 transcript
        # rows measured 1.5x the indexed one after it).
        delete()
        checkpoint()
        with search_index_off():
            _, unindexed = timed(store)
            delete()
        checkpoint()
        with queries_counted() as queries:
            _, seconds = timed(store)
        checkpoint()
        return {"storage_seconds": seconds, "storage_queries": len(queries),
                "unindexed_seconds": unindexed}  # fmt: skip

    result = forked(child)
    figures.record(
        STORAGE_FLOOR_UNINDEXED, result["unindexed_seconds"], items=items,
        queries=result["storage_queries"],
    )  # fmt: skip
    figures.record(
        STORAGE_FLOOR, result["storage_seconds"], items=items, queries=result["storage_queries"]
    )
