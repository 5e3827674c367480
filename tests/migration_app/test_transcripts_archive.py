"""archive_check: what stops a transcript's copy is found without writing anything, so
a dry run fails the same files as the real run (test_transcripts_follow_up.py compares
the two runs' items)."""

import pytest

from migration_app.services.transcripts.archive import ArchiveError, archive_check
from tests.migration_app.attach_helpers import tree_digest


def test_a_copy_that_can_be_written_passes_and_nothing_is_made(tmp_path):
    (tmp_path / "kept.jsonl").write_text("{}\n")
    archive_check(archive=str(tmp_path / "kept.jsonl"))  # an earlier copy, appended to
    before = tree_digest(tmp_path)
    archive_check(archive=str(tmp_path / "new" / "deeper" / "t.jsonl"))
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize(
    "blocker, archive",
    [
        ("t.jsonl/", "t.jsonl"),  # a directory where the copy goes
        ("projects", "projects/bucket/t.jsonl"),  # a file where a directory goes
    ],
)
def test_a_blocked_copy_is_an_archive_error(tmp_path, blocker, archive):
    path = tmp_path / blocker
    if blocker.endswith("/"):
        path.mkdir()
    else:
        path.write_text("x")
    with pytest.raises(ArchiveError, match="cannot be written"):
        archive_check(archive=str(tmp_path / archive))
