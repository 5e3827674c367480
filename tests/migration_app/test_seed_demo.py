import hashlib
import shutil

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from migration_app.demo import demo_seed
from projects_app.models import Artifact, Conversation, Message, Project, Source, Workspace
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.names import is_valid_name

pytestmark = pytest.mark.django_db

SEEDED_APPS = ["projects_app", "sessions_app"]


def database_dump(*, without_serial_ids: bool = False) -> dict:
    """Every row of every model of the seeded apps (incl. m2m tables), field by field.

    `without_serial_ids`: drop auto-increment ids (a new database numbers rows afresh).
    """
    dump = {}
    for app in SEEDED_APPS:
        for model in apps.get_app_config(app).get_models():
            rows = list(model.objects.order_by("pk").values())
            if without_serial_ids and isinstance(model._meta.pk, models.AutoField):
                rows = sorted(({k: v for k, v in r.items() if k != "id"} for r in rows), key=str)
            dump[model._meta.label] = rows
    return dump


def files_dump(root) -> dict:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_second_run_changes_no_row_and_no_file(data_dir):
    first = demo_seed()
    rows_after_first = database_dump()
    files_after_first = files_dump(data_dir)

    second = demo_seed()

    assert database_dump() == rows_after_first
    assert files_dump(data_dir) == files_after_first
    assert set(second.created.values()) == {0}
    assert second.files_written == 0
    assert first.created["sessions"] == first.totals["sessions"] == second.totals["sessions"]


def test_a_fresh_database_gets_exactly_the_same_rows_and_files(data_dir):
    """Fixed ids and fixed timestamps: not only a no-op the second time, the same data."""
    demo_seed()
    rows = database_dump(without_serial_ids=True)
    disk = files_dump(data_dir)

    Session.objects.all().delete()
    Artifact.objects.all().delete()
    Conversation.objects.all().delete()
    Project.objects.all().delete()
    Workstream.objects.exclude(id=SCRATCH_WORKSTREAM_ID).delete()
    Workspace.objects.exclude(slug="default").delete()
    shutil.rmtree(data_dir / "workstreams")
    assert Session.objects.count() == Message.objects.count() == Artifact.objects.count() == 0

    demo_seed()
    assert database_dump(without_serial_ids=True) == rows
    assert files_dump(data_dir) == disk


def test_rows_changed_by_a_migration_are_left_alone(data_dir):
    demo_seed()
    session = Session.objects.filter(project__isnull=True, source=Source.NATIVE).first()
    project = Project.objects.create(workspace=session.workspace, title="migrated")
    Session.objects.filter(pk=session.pk).update(project=project, num=1, status="completed")
    Session.objects.filter(task_id="md#123").update(task_id="mt#123")

    demo_seed()
    session.refresh_from_db()
    assert (session.project_id, session.num, session.status) == (project.pk, 1, "completed")
    assert not Session.objects.filter(task_id="md#123").exists()


def test_command_prints_counts_and_is_idempotent(data_dir, capsys):
    call_command("seed_demo")
    sessions = Session.objects.count()
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "sessions:   200 (+200)" in out and "sessions:   200 (+0)" in out
    assert Session.objects.count() == sessions


def test_demo_covers_every_origin_and_state(data_dir):
    demo_seed()
    assert Workspace.objects.count() == 3
    assert Workspace.objects.filter(slug="default").exists()
    assert 180 <= Session.objects.count() <= 220
    assert set(Session.objects.values_list("source", flat=True)) == {
        Source.NATIVE, Source.AO, Source.AO_RS, Source.MINSKY, Source.ARAWN,
    }  # fmt: skip
    assert set(Session.objects.values_list("status", flat=True)) == set(Session.Status.values)
    assert len(set(Session.objects.values_list("activity_state", flat=True))) >= 4
    assert set(Session.objects.values_list("kind", flat=True)) == {"worker", "orchestrator"}
    assert len(set(Session.objects.exclude(harness="").values_list("harness", flat=True))) >= 3
    assert Session.objects.exclude(legacy_status="").count() == Session.objects.count()
    # Work for the session → project migration, and sessions already in projects.
    assert Session.objects.filter(project__isnull=True, conversation__isnull=False).count() >= 20
    assert Session.objects.filter(project__isnull=False).count() >= 20


def test_origin_ids_look_like_their_origin(data_dir):
    demo_seed()
    ao = set(Session.objects.filter(source=Source.AO).values_list("id", flat=True))
    assert {"app-12", "app-orchestrator", "bill-orchestrator"} <= ao
    minsky = Session.objects.filter(source=Source.MINSKY)
    assert minsky.filter(id__startswith="task-md#").exists()
    task_ids = set(minsky.values_list("task_id", flat=True))
    # The same task stored plain and qualified, as real minsky rows are.
    assert {"123", "md#123", "45", "mt#45"} <= task_ids
    for source in (Source.AO_RS, Source.ARAWN):
        for sid in Session.objects.filter(source=source).values_list("id", flat=True):
            assert len(sid) == 36 and sid.count("-") == 4


def test_failed_tool_calls_are_present(data_dir):
    demo_seed()
    failed = [
        call
        for calls in Message.objects.exclude(tool_calls=None).values_list("tool_calls", flat=True)
        for call in calls
        if call["status"] in {"error", "failed"}
    ]
    assert len(failed) >= 10
    assert all(call["name"] and call["error"] for call in failed)
    conversation = Conversation.objects.filter(message_count__gt=3).first()
    assert conversation.messages.count() == conversation.message_count


def test_artifact_lineages_have_one_latest_version(data_dir):
    demo_seed()
    lineages = set(Artifact.objects.values_list("lineage", flat=True))
    assert Artifact.objects.filter(is_latest=True).count() == len(lineages)
    assert Artifact.objects.filter(version__gt=1, parent_version__isnull=False).exists()


def test_files_on_an_empty_data_dir(data_dir):
    assert not any(data_dir.iterdir())
    result = demo_seed()
    assert result.files_written > 0
    scratch = Session.objects.filter(workstream_id=SCRATCH_WORKSTREAM_ID)
    with_files = [
        s for s in scratch if is_valid_name(s.id) and files.scratch_session_work_dir(s.id).is_dir()
    ]
    assert len(with_files) >= 10
    work = files.scratch_session_work_dir(with_files[0].id)
    assert (work / "notes.md").read_text().startswith("# ")
    assert (work / "figure.png").read_bytes().startswith(b"\x89PNG")
    assert (work / "src" / "analysis.py").is_file()
    for ws_id in ("docs-site", "payments-revamp", "research-notes", "q3-planning"):
        assert (files.workstream_production_dir(ws_id) / "README.md").is_file()
        assert files.workstream_work_dir(ws_id).is_dir()


def test_a_moved_session_does_not_get_its_scratch_files_back(data_dir):
    demo_seed()
    session = next(
        s
        for s in Session.objects.filter(workstream_id=SCRATCH_WORKSTREAM_ID)
        if is_valid_name(s.id) and files.scratch_session_work_dir(s.id).is_dir()
    )
    work = files.scratch_session_work_dir(session.id)
    # What the attach migration does: the files leave scratch and the row follows.
    target = files.attached_session_work_dir("docs-site", session.id)
    work.rename(target)
    Session.objects.filter(pk=session.pk).update(workstream_id="docs-site")

    assert demo_seed().files_written == 0
    assert not work.exists()
    assert Session.objects.get(pk=session.pk).workstream_id == "docs-site"


def test_deleted_file_is_written_again_with_the_same_bytes(data_dir):
    demo_seed()
    readme = files.workstream_production_dir("docs-site") / "README.md"
    content = readme.read_bytes()
    readme.unlink()
    assert demo_seed().files_written == 1
    assert readme.read_bytes() == content


def test_a_later_run_does_not_re_time_rows_a_migration_touched(data_dir):
    demo_seed()
    conversation = Conversation.objects.filter(project__isnull=True).first()
    conversation.title = "renamed by a migration"
    conversation.save()  # auto_now moves updated_at
    touched = conversation.updated_at

    demo_seed()
    conversation.refresh_from_db()
    assert conversation.updated_at == touched
    assert conversation.title == "renamed by a migration"
