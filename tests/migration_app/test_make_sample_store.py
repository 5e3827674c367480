"""make_sample_store writes a store that migrate_legacy then imports."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from migration_app.services.legacy_import import legacy_source_get, legacy_source_names
from sessions_app.models import Session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("source", ["ao", "ao-rs", "tokendance", "arawn"])
def test_a_sample_store_imports_with_migrate_legacy(source, tmp_path, data_dir):
    dest = tmp_path / "store"
    out = StringIO()
    call_command("make_sample_store", str(dest), "--source", source, stdout=out)
    assert f"migrate_legacy --source {source} {dest}" in out.getvalue()

    summary = StringIO()
    try:
        call_command("migrate_legacy", "--source", source, str(dest), "--json", stdout=summary)
    except CommandError as exc:
        assert exc.returncode == 1  # the sample carries rejected files on purpose
    counts = json.loads(summary.getvalue())["counts"]
    assert counts["session_migrated"] == Session.objects.filter(source=source).count() > 0


def test_an_existing_destination_is_refused(tmp_path):
    with pytest.raises(CommandError, match="exists already") as refused:
        call_command("make_sample_store", str(tmp_path), "--source", "ao")
    assert refused.value.returncode == 2


def test_every_registered_source_offers_a_sample():
    assert {"ao", "ao-rs", "tokendance", "arawn"} <= set(legacy_source_names())
    assert all(legacy_source_get(name).sample_write for name in legacy_source_names())


@pytest.mark.parametrize("source", ["ao", "ao-rs"])
def test_sessions_sets_the_size_of_the_sample(source, tmp_path):
    def files_written(sessions: str) -> int:
        dest = tmp_path / f"store-{sessions}"
        call_command("make_sample_store", str(dest), "--source", source, "--sessions", sessions)
        return sum(len(names) for _, _, names in os.walk(dest))

    assert files_written("50") - files_written("5") == 45  # one file per session
    with pytest.raises(CommandError, match="at least 1"):
        call_command(
            "make_sample_store", str(tmp_path / "x"), "--source", source, "--sessions", "0"
        )
