"""manage.py make_sample_store --source NAME DEST [--sessions N]: a small realistic legacy
store to try `migrate_legacy --source NAME DEST` on (every edge case the importer handles)."""

import inspect
import os

from django.core.management.base import BaseCommand, CommandError

from migration_app.services.legacy_import import legacy_source_get, legacy_source_names


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("dest", help="where to write the store (must not exist yet)")
        parser.add_argument("--source", choices=legacy_source_names(), required=True)
        parser.add_argument(
            "--sessions", type=int, metavar="N", help="how many sessions (default: the source's)"
        )

    def handle(self, *args, dest, source, sessions=None, **options):
        origin = legacy_source_get(source)
        dest = os.path.abspath(os.path.expanduser(dest))
        if os.path.exists(dest):
            raise CommandError(f"{dest} exists already; choose a new path.", returncode=2)
        if sessions is None:
            origin.sample_write(dest)
        elif sessions < 1:
            raise CommandError("--sessions must be at least 1.", returncode=2)
        elif "sessions" not in inspect.signature(origin.sample_write).parameters:
            raise CommandError(f"The {source} sample has a fixed size.", returncode=2)
        else:
            origin.sample_write(dest, sessions=sessions)
        self.stdout.write(
            f"Wrote a sample {source} store to {dest}. Try it:\n"
            f"  python manage.py migrate_legacy --source {source} {dest} --dry-run"
        )
