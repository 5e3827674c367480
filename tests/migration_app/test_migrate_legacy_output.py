"""manage.py migrate_legacy tells the operator what happened (issue 13): the wrong --source
and an empty store are refused with the right command, rejected files are listed, every
--json outcome is one JSON object, a stopped import names its exception."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.models import MigrationRun
from migration_app.services.legacy_import.ao import run as ao_run
from tests.migration_app.ao_helpers import touch
from tests.migration_app.legacy_helpers import migrate_legacy

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def one_json_object(out: str) -> dict:
    assert out.count("\n") == 1, out  # exactly one line on stdout, and it is the object
    return json.loads(out)


@pytest.fixture
def trees(tmp_path, data_dir):
    ao = ao_tree_generate(str(tmp_path / "ao"), sessions=6, with_bad_files=False)
    rs = ao_rs_tree_generate(str(tmp_path / "ao-rs/sessions"), sessions=6, with_bad_files=False)
    return ao.root, rs.root


@pytest.mark.parametrize("given, right", [("ao-rs", "ao"), ("ao", "ao-rs")])
def test_a_store_given_to_the_wrong_source_is_refused_with_the_right_command(trees, given, right):
    path = trees[0] if right == "ao" else trees[1]
    code, _, err = migrate_legacy("--source", given, path)
    assert code == 2
    assert f"has the shape of an {right} store" in err
    assert f"migrate_legacy --source {right} {path}" in err
    code, out, _ = migrate_legacy("--source", given, path, "--json")
    summary = one_json_object(out)
    assert summary["exit_code"] == 2 and f"--source {right}" in summary["error"]
    assert not MigrationRun.objects.exists()


def test_a_store_without_sessions_is_refused(tmp_path, data_dir):
    (tmp_path / "empty").mkdir()
    code, _, err = migrate_legacy("--source", "ao-rs", str(tmp_path / "empty"))
    assert code == 2 and f"No sessions found under {tmp_path / 'empty'}; expected" in err


def test_the_ao_rs_home_instead_of_its_sessions_directory_is_pointed_at(trees):
    home = os.path.dirname(trees[1])
    code, _, err = migrate_legacy("--source", "ao-rs", home)
    assert code == 2 and f"pass {trees[1]} as PATH" in err


def bad_tree(tmp_path, n: int) -> str:
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=4, with_bad_files=False)
    for i in range(n):
        touch(Path(tree.root, "projects/proj0/sessions", f"broken-{i:02}.json"), b"{nope")
    return tree.root


def test_rejected_files_are_listed_at_the_default_verbosity(tmp_path, data_dir):
    code, out, _ = migrate_legacy("--source", "ao", bad_tree(tmp_path, 25))
    assert code == 1
    listed = [line for line in out.splitlines() if line.startswith("  rejected ")]
    assert len(listed) == 20 and "broken-00.json: invalid JSON" in listed[0]
    run = MigrationRun.objects.get()
    assert f"and 5 more — see the run page: /admin/migration_app/legacyimport/{run.pk}/" in out


def test_json_lists_every_rejected_file_with_its_reason(tmp_path, data_dir):
    code, out, _ = migrate_legacy("--source", "ao", bad_tree(tmp_path, 3), "--json")
    summary = one_json_object(out)
    assert code == 1 and summary["exit_code"] == 1 and summary["error"] is None
    assert summary["status"] == "partial"
    assert [os.path.basename(r["path"]) for r in summary["rejected"]] == [
        "broken-00.json", "broken-01.json", "broken-02.json",
    ]  # fmt: skip
    assert all("invalid JSON" in r["reason"] for r in summary["rejected"])


def test_an_import_that_stops_names_the_exception(trees, monkeypatch):
    def stop(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(ao_run, "process_files", stop)
    code, _, err = migrate_legacy("--source", "ao", trees[0])
    assert code == 1 and "The import stopped: MemoryError" in err
    code, out, _ = migrate_legacy("--source", "ao", trees[0], "--json")
    summary = one_json_object(out)
    assert summary["exit_code"] == 1 and summary["status"] == "failed"
    assert summary["run_error"].startswith("MemoryError")


def test_a_dry_run_speaks_in_the_conditional(trees):
    code, out, _ = migrate_legacy("--source", "ao-rs", trees[1], "--dry-run")
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("Dry run (nothing written), run ") and "would migrate" in first
    assert "migrated" not in first.replace("would migrate", "")


def test_a_refused_command_line_is_one_json_object_and_help_names_the_defaults(data_dir):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", COLUMNS="300")
    manage = [sys.executable, str(ROOT / "manage.py"), "migrate_legacy"]
    done = subprocess.run(
        [*manage, "--json", "--source", "nowhere"], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    summary = one_json_object(done.stdout)
    assert summary["exit_code"] == 2 and "invalid choice: 'nowhere'" in summary["error"]
    helped = subprocess.run(
        [*manage, "--help"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    home = os.path.expanduser("~")
    assert f"ao: {home}/.agent-orchestrator" in helped.stdout  # each source's default
    assert f"ao-rs: {home}/.ao-rs/sessions" in helped.stdout


@pytest.mark.parametrize(
    ("done", "total", "width", "drawn"),
    [
        (0, 10, 10, "\r[----------] 0/10"),
        (5, 10, 10, "\r[#####-----] 5/10"),
        (10, 10, 10, "\r[##########] 10/10"),
        (0, 0, 4, "\r[####] 0/0"),  # nothing to do is done
    ],
)
def test_the_progress_bar_is_redrawn_in_place(done, total, width, drawn):
    import io

    from django.core.management.base import OutputWrapper

    from migration_app.management.commands._legacy_output import progress_bar_draw

    out = io.StringIO()
    run = MigrationRun(progress_done=done, progress_total=total)
    progress_bar_draw(OutputWrapper(out), run, width=width)
    assert out.getvalue() == drawn
