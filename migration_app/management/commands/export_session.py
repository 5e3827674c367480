"""manage.py export_session SESSION_ID --format {jsonl,markdown,html} [--output FILE]

Writes one session's transcript (migration_app.session_export): `jsonl` is the original
bytes of its archived transcript files (the session's own first, then its subagents'),
`markdown` and `html` a readable rendering of its messages. Without --output it goes to
standard output. Exit 2 for an unknown session, 1 when the export is refused (no archived
transcript, or an archive copy that changed).
"""

import os
import sys

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from migration_app.session_export import FORMATS, ExportRefused, session_export

UNKNOWN_SESSION = 2


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("session_id")
        parser.add_argument("--format", choices=FORMATS, default="jsonl", dest="fmt")
        parser.add_argument("--output", metavar="FILE", help="write here (default: stdout)")

    def handle(self, *args, session_id, fmt, output, **options):
        try:
            chunks = session_export(session_id=session_id, fmt=fmt)
        except ObjectDoesNotExist as exc:
            raise CommandError(str(exc), returncode=UNKNOWN_SESSION) from exc
        except ExportRefused as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if output:
            partial = f"{output}.part"
            with open(partial, "wb") as handle:
                handle.writelines(chunks)
            os.replace(partial, output)
            return
        stream = self.stdout._out
        if stream is sys.stdout and hasattr(stream, "buffer"):
            stream = stream.buffer
        else:
            chunks = (chunk.decode("utf-8", "surrogateescape") for chunk in chunks)
        stream.writelines(chunks)
        stream.flush()
