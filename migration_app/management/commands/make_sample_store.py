"""manage.py make_sample_store --source NAME DEST: a small realistic legacy store to try
`migrate_legacy --source NAME DEST` on (every edge case the importer handles)."""

import os

from django.core.management.base import BaseCommand, CommandError

from migration_app.services.legacy_import import legacy_source_get, legacy_source_names


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("dest", help="where to write the store (must not exist yet)")
        parser.add_argument("--source", choices=legacy_source_names(), required=True)

    def handle(self, *args, dest, source, **options):
        origin = legacy_source_get(source)
        dest = os.path.abspath(os.path.expanduser(dest))
        if os.path.exists(dest):
            raise CommandError(f"{dest} exists already; choose a new path.", returncode=2)
        if origin.sample_write is None:
            raise CommandError(f"No sample store is available for {source}.", returncode=2)
        origin.sample_write(dest)
        self.stdout.write(
            f"Wrote a sample {source} store to {dest}. Try it:\n"
            f"  python manage.py migrate_legacy --source {source} {dest} --dry-run"
        )
