import json

from django.core.management.base import BaseCommand, CommandError

from sessions_app.pricing import price_table_load
from sessions_app.usage import usage_backfill, usage_reprice


class Command(BaseCommand):
    help = (
        "Recompute every usage record's estimated cost from the price table (after the "
        "table changed). --rebuild first rewrites the records from the stored messages and "
        "legacy session totals."
    )

    def add_arguments(self, parser):
        parser.add_argument("--prices", help="another price table (JSON), e.g. a draft")
        parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, prices=None, dry_run=False, rebuild=False, **options):
        try:
            table = price_table_load(prices) if prices else price_table_load()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"Cannot read the price table {prices}: {exc}") from exc
        if rebuild and dry_run:
            raise CommandError("--rebuild writes records: it has no dry run.")
        rebuilt = usage_backfill(table=table) if rebuild else None
        result = usage_reprice(table=table, dry_run=dry_run)
        if rebuilt is not None:
            result["rebuilt"] = rebuilt
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
            return
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"{result['records']} usage records, {result['changed']} {verb}, "
            f"{result['unpriced']} with no price; price table {result['version']} "
            f"(checked {result['checked']})."
        )
