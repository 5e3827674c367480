"""The benchmark script runs end to end at a small scale (its own checks assert the work)."""

import json

import pytest

from migration_app.bench import reassociate_task as bench
from migration_app.models import MigrationRun
from sessions_app.models import Session


@pytest.mark.django_db
def test_benchmark_small_scale(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "already-configured")  # keep the test database
    assert bench.main(["--sessions", "300", "--matching", "30", "--repeat", "2", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["sessions"] == 300 and len(figures["rounds"]) == 2
    assert set(figures["median"]) == {"find_count", "baseline", "dry_run", "reassociate", "undo"}
    # Every round left the rows as it found them.
    assert Session.objects.count() == 300
    assert Session.objects.filter(task_id__in=["123", "md#123"]).count() == 30
    assert MigrationRun.objects.filter(status="undone").count() == 2
