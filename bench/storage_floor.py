"""The storage floor of an import benchmark: what writing the import's own rows into the
hub's tables costs, with nothing of the importer around it (README, "2026-12-07 (morning)")."""

from bench.harness import STORAGE_FLOOR, Figures, forked, queries_counted, timed


def storage_floor_time(figures: Figures, first, querysets, *, items) -> None:
    """What storing the import's rows costs in the hub's schema alone: the rows of
    `querysets` (those the import wrote, parents first) are loaded and taken away (`first`,
    the run, undone; None: the rows deleted), then the same rows, as database values, are
    written back with projects_app/bulk.py's writer (COPY on PostgreSQL) in one
    transaction, with every index, constraint and search trigger of the hub but no reading,
    mapping or journaling logic. After an undo they are deleted again (not timed); else
    the hub is left as it was. Measured after the last timed import: the rewritten rows
    leave another full-text index behind. In a forked child: the loaded rows do not raise
    this process's peak RSS."""

    def child():
        from django.db import connection, models, transaction

        from migration_app.services import migration_undo
        from projects_app.bulk import instances_rows, rows_insert

        captured = [(qs, list(qs)) for qs in querysets]
        serial = {
            qs.model: qs.model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for qs, _ in captured
            if isinstance(qs.model._meta.pk, models.AutoField)
        }
        # Database values prepared before the clock starts: what is timed is the writing.
        batches = []
        for qs, objs in captured:
            fields = qs.model._meta.concrete_fields
            # After an undo the journal keeps its items: the copies get new serial keys.
            keep = [
                i for i, f in enumerate(fields)
                if not (first is not None and isinstance(f, models.AutoField))
            ]  # fmt: skip
            rows = [[row[i] for i in keep] for row in instances_rows(qs.model, objs)]
            batches.append((qs.model, [fields[i].name for i in keep], rows))
        if first is not None:
            migration_undo(run=first)
        else:
            _rows_delete(querysets)

        def store():
            with transaction.atomic():
                for model, columns, rows in batches:
                    rows_insert(model, columns, rows)

        with queries_counted() as queries:
            _, seconds = timed(store)
        if first is not None:
            _rows_delete(
                qs.filter(pk__gt=serial[qs.model]) if qs.model in serial else qs
                for qs, _ in captured
            )
        if connection.vendor == "sqlite":
            # The next measure should not pay for copying this WAL into the database.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"storage_seconds": seconds, "storage_queries": len(queries)}

    result = forked(child)
    figures.record(
        STORAGE_FLOOR, result["storage_seconds"], items=items, queries=result["storage_queries"]
    )


def _rows_delete(querysets) -> None:
    """The rows of `querysets` (parents first) deleted, children first, with no signals and
    no cascade collection; the foreign keys are checked at commit."""
    from django.db import transaction

    with transaction.atomic():
        for qs in reversed(list(querysets)):
            qs._raw_delete(qs.db)
