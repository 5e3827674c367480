"""The Claude transcripts the ao import copied into the Claude home for its sessions'
new worktrees (services/legacy_import/ao/transcripts.py journals each as a `transcript`
item: subject the copy, `after.source` the original).

A copy holds its original's records under another path, and a message's id is made
from its file's path: reading both would store the conversation twice. So an import
reads the original and leaves the copy, unless the original is gone and was never
imported: then the copy is all that is left of it.
"""

from __future__ import annotations

import os

from migration_app.models import MigrationItem, MigrationRun, TranscriptFile

_CHUNK = 5_000  # ids per IN list: SQLite's variable limit


def transcript_copies_redundant() -> set[str]:
    """Paths of legacy-import copies whose original is still there or already imported."""
    copies = (
        MigrationItem.objects.filter(
            subject_type="transcript",
            outcome__in=[MigrationItem.Outcome.MIGRATED, MigrationItem.Outcome.SKIPPED],
            after__has_key="source",
        )
        .exclude(run__status=MigrationRun.Status.UNDONE)
        .values_list("subject_id", "after__source")
    )
    original_of = {copy: source for copy, source in copies if source and copy != source}
    originals = sorted(set(original_of.values()))
    imported = set()
    for start in range(0, len(originals), _CHUNK):
        found = TranscriptFile.objects.filter(path__in=originals[start : start + _CHUNK])
        imported.update(found.values_list("path", flat=True))
    return {
        copy for copy, source in original_of.items() if source in imported or os.path.isfile(source)
    }
