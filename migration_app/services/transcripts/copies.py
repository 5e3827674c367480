"""The Claude transcripts the ao import copied into the Claude home for its sessions'
new worktrees (services/legacy_import/ao/batches.py journals each as a `transcript`
item: subject the copy, `after.source` the original).

A copy holds its original's records under another path, and a message's id is made
from its file's path: reading both would store the conversation twice. So an import
reads the original and leaves the copy, unless the original is gone and was never
imported: then the copy is all that is left of it.
"""

from __future__ import annotations

import os

from migration_app.models import MigrationItem, MigrationRun, TranscriptFile
from migration_app.services.legacy_import.shared import rows_in


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
    imported = {path for (path,) in rows_in(TranscriptFile.objects, "path", originals, "path")}
    return {
        copy for copy, source in original_of.items() if source in imported or os.path.isfile(source)
    }
