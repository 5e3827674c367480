"""One bad file never stops a run (issue 13): each is an item naming the file and a
readable reason — rejected, or skipped where it says so — while every good file imports."""

import datetime as dt
import json
import os
import socket
from pathlib import Path

import pytest
from django.test import Client

from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.models import MigrationItem, MigrationRun
from projects_app.models import Project
from projects_app.services import api_key_create
from sessions_app.models import Session
from tests.factories import UserFactory, default_workspace
from tests.migration_app.ao_helpers import touch
from tests.migration_app.attach_helpers import named_workstream
from tests.migration_app.legacy_helpers import import_committing

pytestmark = pytest.mark.django_db
Outcome = MigrationItem.Outcome


def run_on(root, claude_home, **kwargs):
    kwargs.setdefault("source", "ao")
    return import_committing(path=str(root), claude_home=str(claude_home), **kwargs)


def outcomes(run, outcome) -> dict[str, str]:
    items = run.items.filter(outcome=outcome, subject_type="file")
    pairs = items.values_list("subject_id", "reason")
    return {os.path.basename(path): reason for path, reason in pairs}


@pytest.fixture
def clean_ao(tmp_path, data_dir):
    return ao_tree_generate(str(tmp_path / "ao"), sessions=12, with_bad_files=False, with_v1=False)


def test_what_cannot_be_a_session_file_is_skipped_by_name_and_the_run_succeeds(
    clean_ao, claude_home
):
    sessions = os.path.join(clean_ao.root, "projects/proj1/sessions")
    os.symlink(os.path.join(sessions, "gone.json"), os.path.join(sessions, "proj1-90.json"))
    os.mkfifo(os.path.join(sessions, "proj1-91.json"))
    os.mkdir(os.path.join(sessions, "proj1-92.json"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(os.path.join(sessions, "proj1-93.json"))
    server.close()

    run = run_on(clean_ao.root, claude_home)

    assert run.status == MigrationRun.Status.SUCCEEDED  # a skip does not make it partial
    assert outcomes(run, Outcome.SKIPPED) == {
        "proj1-90.json": "dangling symbolic link",
        "proj1-91.json": "a FIFO (named pipe), not a session file",
        "proj1-92.json": "a directory, not a session file",
        "proj1-93.json": "a socket, not a session file",
    }
    assert run.counts["files_skipped"] == 4
    assert Session.objects.count() == clean_ao.sessions - clean_ao.terminated


@pytest.mark.parametrize("parse_ahead", [False, True], ids=["in process", "parse helper"])
def test_a_file_over_max_file_bytes_is_rejected_by_its_size(clean_ao, claude_home, parse_ahead):
    big = os.path.join(clean_ao.root, "projects/proj2/sessions/proj2-99.json")
    touch(Path(big), b'{"status": "working"}')
    os.truncate(big, 2 * 2**20)
    run = run_on(clean_ao.root, claude_home, max_file_bytes=2**20, parse_ahead=parse_ahead)
    assert run.status == MigrationRun.Status.PARTIAL
    assert "more than --max-file-bytes 1,048,576" in outcomes(run, Outcome.FAILED)["proj2-99.json"]
    assert Session.objects.count() == clean_ao.sessions - clean_ao.terminated
    assert run.params["max_file_bytes"] == 2**20


@pytest.mark.parametrize(
    "config, reason",
    [
        ("projects: [1, 2]\n", "projects must be a mapping"),
        ("- just\n- a list\n", "not a mapping"),
        ("projects: {proj0: {name: *nowhere}}\n", "invalid YAML"),
        # A value PyYAML cannot build: the run used to stop `failed` on every re-run.
        ("projects: {proj0: {path: /srv/p, registeredAt: 2026-13-45}}\n", "ValueError"),
    ],
)
def test_an_unusable_config_is_a_rejected_item_and_the_run_partial(
    clean_ao, claude_home, config, reason
):
    with open(os.path.join(clean_ao.root, "config.yaml"), "w") as handle:
        handle.write(config)
    run = run_on(clean_ao.root, claude_home)
    assert run.status == MigrationRun.Status.PARTIAL
    assert reason in outcomes(run, Outcome.FAILED)["config.yaml"]
    assert Session.objects.count() == clean_ao.sessions - clean_ao.terminated


def test_a_billion_laughs_config_is_rejected_not_ignored(clean_ao, claude_home):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"{c}: &{c} [" + ", ".join([f"*{chr(ord(c) - 1)}"] * 10) + "]" for c in "bcdefg"]
    bomb += ["projects:", "  proj0: {path: /srv/proj0, name: Project 0, env: {X: *g}}"]
    with open(os.path.join(clean_ao.root, "config.yaml"), "w") as handle:
        handle.write("\n".join(bomb) + "\n")
    run = run_on(clean_ao.root, claude_home)
    assert run.status == MigrationRun.Status.PARTIAL
    failed = run.items.get(subject_type="project", outcome=Outcome.FAILED)
    assert failed.subject_id.endswith("config.yaml#projects.proj0")
    assert "repeated aliases" in failed.reason


def test_an_exception_of_any_kind_in_one_file_rejects_only_that_file(
    clean_ao, claude_home, monkeypatch
):
    from migration_app.legacy import ao_ts

    real = ao_ts.parse_ao_session

    def parse(data, **kwargs):
        if kwargs["session_id"] == "proj1-2":
            raise KeyError("surprise")
        return real(data, **kwargs)

    monkeypatch.setattr(ao_ts, "parse_ao_session", parse)
    run = run_on(clean_ao.root, claude_home, parse_ahead=False)
    assert outcomes(run, Outcome.FAILED) == {"proj1-2.json": "KeyError: 'surprise'"}
    assert Session.objects.count() == clean_ao.sessions - clean_ao.terminated - 1


def test_ao_rs_values_pyyaml_cannot_build_and_binary_files_are_rejected(
    tmp_path, data_dir, claude_home
):
    tree = ao_rs_tree_generate(str(tmp_path / "rs"), sessions=6, with_bad_files=False)
    project = os.path.join(tree.root, tree.projects[0])
    touch_text = {
        "date.yaml": b"id: d-1\nproject_id: p\nstatus: working\nbranch: b\ntask: t\n"
        b"created_at: 1\nwhen: 2026-13-45\n",
        "huge-int.yaml": b"id: h-1\nbig: " + b"9" * 5000 + b"\n",
        "picture.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    for name, data in touch_text.items():
        touch(Path(project, name), data)
    run = run_on(tree.root, claude_home, source="ao-rs")
    failed = outcomes(run, Outcome.FAILED)
    assert "ValueError" in failed["date.yaml"] and "ValueError" in failed["huge-int.yaml"]
    assert "not UTF-8 text" in failed["picture.yaml"]
    assert Session.objects.count() == tree.sessions - tree.terminated


def test_ao_rs_created_at_zero_never_pulls_a_project_back_to_1970(tmp_path, data_dir, claude_home):
    project = tmp_path / "rs/zero"
    text = "id: z-1\nproject_id: zero\nstatus: working\nbranch: b\ntask: t\ncreated_at: 0\n"
    touch(project / "z-1.yaml", text.encode())
    os.utime(project / "z-1.yaml", (1_767_225_600, 1_767_225_600))
    run = run_on(tmp_path / "rs", claude_home, source="ao-rs")
    moment = dt.datetime.fromtimestamp(1_767_225_600, dt.UTC)
    assert Session.objects.get(pk="z-1").created_at == moment
    assert Project.objects.get(pk="zero").registered_at == moment
    assert "modification time" in run.items.get(subject_id="z-1").reason


@pytest.mark.parametrize("length", [246, 250, 255])
def test_every_id_the_importer_accepts_can_be_attached(tmp_path, data_dir, claude_home, length):
    session_id = "s-" + "x" * (length - 2)
    # A V1 file has no extension: its name can be the whole 255 characters.
    touch(tmp_path / f"ao/0123456789ab-app/sessions/{session_id}", b"status=working\n")
    run_on(tmp_path / "ao", claude_home)
    assert Session.objects.filter(pk=session_id).exists()
    named_workstream("far")
    user = UserFactory(username="member")
    default_workspace().members.add(user)
    _, secret = api_key_create(user=user, name="test")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").patch(
        f"/api/v1/sessions/{session_id}",
        json.dumps({"workstream_id": "far"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
