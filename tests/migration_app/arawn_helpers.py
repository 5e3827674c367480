"""Helpers shared by the arawn import tests: a sample data dir, a run that commits."""

import sqlite3

import pytest
from django.test import TestCase

from migration_app.legacy.arawn_sample import arawn_sample_write
from tests.migration_app.legacy_helpers import legacy_import_run


@pytest.fixture
def arawn(tmp_path, data_dir):
    """The sample data dir make_sample_store writes (doubled path, every edge case)."""
    return arawn_sample_write(str(tmp_path / "arawn"))


def arawn_run(sample_or_path, *, dry_run=False, **request):
    """An import as migrate_legacy starts it; on_commit callbacks (the file copies) run
    as a real commit would run them (tests are inside a transaction)."""
    path = getattr(sample_or_path, "data_dir", sample_or_path)
    with TestCase.captureOnCommitCallbacks(execute=True):
        request.setdefault("source", "arawn")
        return legacy_import_run(path=path, dry_run=dry_run, **request)


def arawn_db(sample) -> sqlite3.Connection:
    """A writable connection to the sample's database, to change it between runs."""
    return sqlite3.connect(f"{sample.data_dir}/workstreams.db", isolation_level=None)


def items_of(run, subject_type):
    return {i.subject_id: i for i in run.items.filter(subject_type=subject_type)}
