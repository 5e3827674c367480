"""The re-run of a minsky import: ids read first, "already imported" journaled by the
database in one statement per batch, nothing read in full, mapped or written per record
(services/legacy_import/minsky_store/run.py, services/bulk.rows_insert_matching)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.legacy.minsky_sample import minsky_sample_write, minsky_sqlite_write
from migration_app.models import MigrationItem
from sessions_app.models import Session
from tests.migration_app.legacy_helpers import item_plan
from tests.migration_app.minsky_helpers import minsky_import, session_counts

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome


def _records(n: int, *, first: int = 0) -> list[dict]:
    return [
        {"sessionId": f"s-{i:03d}", "repoName": "acme/widgets", "status": "ACTIVE",
         "repoUrl": "https://github.com/acme/widgets.git", "createdAt": "2025-06-01"}
        for i in range(first, first + n)
    ]  # fmt: skip


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_a_re_run_makes_a_fixed_number_of_statements_per_batch(tmp_path):
    path = tmp_path / "sessions.db"
    minsky_sqlite_write(str(path), _records(40))
    minsky_import(path)
    with CaptureQueriesContext(connection) as four_batches:
        rerun = minsky_import(path, batch_size=10)
    with CaptureQueriesContext(connection) as one_batch:
        minsky_import(path, batch_size=40)
    assert session_counts(rerun) == (0, 40, 0)
    per_batch = (len(four_batches) - len(one_batch)) / 3
    # The items' INSERT … SELECT, the progress, the batch's savepoint and its release (the
    # test runs in a transaction).
    assert per_batch <= 4
    writes = _writes(four_batches.captured_queries)
    items = [sql for sql in writes if "migration_app_migrationitem" in sql]
    assert len(items) == 4 and all(" SELECT " in sql for sql in items)
    # Nothing else is written but the run's own record: no session, project or item rows.
    assert all("migration_app_migrationrun" in sql for sql in writes if sql not in items)


def test_a_re_run_reads_imports_and_reports_new_records_among_imported_ones(tmp_path):
    path = tmp_path / "sessions.db"
    minsky_sqlite_write(str(path), _records(6))
    minsky_import(path)
    path.unlink()
    minsky_sqlite_write(str(path), _records(6) + _records(2, first=6))
    again = minsky_import(path, batch_size=4)
    assert session_counts(again) == (2, 6, 0)
    assert Session.objects.get(pk="s-007").metadata["repoName"] == "acme/widgets"
    skipped = again.items.filter(outcome=Outcome.SKIPPED, subject_type="session")
    assert set(skipped.values_list("reason", flat=True)) == {"already imported"}
    assert set(skipped.values_list("subject_id", flat=True)) == {f"s-{i:03d}" for i in range(6)}


@pytest.mark.parametrize("name", ["session-db.json", "sessions.db"])
def test_a_dry_re_run_reports_the_items_the_real_re_run_records(tmp_path, name):
    path = tmp_path / name
    minsky_sample_write(str(path))
    minsky_import(path)
    dry = minsky_import(path, dry_run=True)
    real = minsky_import(path)
    assert item_plan(dry) == item_plan(real)
    assert session_counts(dry) == session_counts(real)
    assert session_counts(real)[:2] == (0, Session.objects.count())
