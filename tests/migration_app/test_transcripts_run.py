"""The run around the files (services/transcripts/__init__.py): the rows of the next files
read together, SQLite's page cache while it runs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.transcript_tree import transcript_tree_generate
from migration_app.models import TranscriptFile
from migration_app.services import transcripts as transcripts_package
from migration_app.services.transcripts import files as transcript_files
from tests.migration_app.transcript_helpers import (
    claude_session,
    codex_session,
    homes,
    transcripts_run,
)
from tests.projects_app.test_db_tuning import page_cache

pytestmark = pytest.mark.django_db


def test_a_rerun_reads_the_rows_of_many_files_in_one_query(tmp_path, data_dir):
    claude, codex = homes(tmp_path)
    tree = transcript_tree_generate(str(claude), str(codex), total_bytes=200_000, files=12)
    transcripts_run(tmp_path)
    table = TranscriptFile._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        again = transcripts_run(tmp_path)
    assert again.counts["files_unchanged"] == len(tree.files) > 10
    reads = [q for q in queries if q["sql"].startswith("SELECT") and table in q["sql"]]
    assert len(reads) == 1  # not one a file


def test_the_import_runs_with_a_larger_sqlite_page_cache(tmp_path, data_dir, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    claude, codex = homes(tmp_path)
    claude_session(claude)
    codex_session(codex)
    seen = []
    importing = transcript_files.transcript_import

    def spy(state, file):
        seen.append(page_cache())
        return importing(state, file)

    monkeypatch.setattr(transcripts_package, "transcript_import", spy)
    transcripts_run(tmp_path)
    assert seen == [-64 * 1024] * 2 and page_cache() != -64 * 1024
