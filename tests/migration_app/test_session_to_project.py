"""The session → project migration service: plan, writes, races, failures, undo, queries."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy import tokendance
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import migration_undo
from migration_app.services.session_to_project import KIND, session_to_project_preview
from projects_app.models import Artifact, Conversation, Message, Project, ProjectVersion
from sessions_app.models import Session
from tests.factories import (
    ArtifactFactory,
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    SessionFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def migrate(**request):
    """The run as a command starts it: planned, then executed at once."""
    return migration_run_dispatch(kind=KIND, **request)


def session_with_conversation(*, messages=3, artifacts=1, tool_calls=None, **fields):
    conversation = ConversationFactory(
        **({"workspace": fields["workspace"]} if "workspace" in fields else {})
    )
    session = SessionFactory(conversation=conversation, **fields)
    for n in range(messages):
        message = MessageFactory(
            conversation=conversation,
            role=Message.Role.USER if n % 2 == 0 else Message.Role.ASSISTANT,
            content=f"{session.id} says {n}",
            tool_calls=tool_calls if n == 1 else None,
        )
        Message.objects.filter(pk=message.pk).update(created_at=T0 + dt.timedelta(minutes=n))
    for n in range(artifacts):
        ArtifactFactory(conversation=conversation, name=f"{session.id}-{n}.md")
    return session


def snapshot_links():
    return (
        sorted(Session.objects.values_list("id", "project_id", "conversation_id")),
        sorted(
            (str(c), p, s, m, a)
            for c, p, s, m, a in Conversation.objects.values_list(
                "id", "project_id", "status", "message_count", "last_message_at"
            )
        ),
        sorted((str(a), p) for a, p in Artifact.objects.values_list("id", "project_id")),
        Project.objects.count(),
        ProjectVersion.objects.count(),
        Message.objects.count(),
    )


def test_migrates_a_session_with_its_conversation_messages_and_artifacts():
    failing = [
        {"name": "web_search", "status": "error", "error": "Connection failed"},
        {"name": "read", "status": "success", "result": "ok"},
    ]
    session = session_with_conversation(
        messages=4, artifacts=2, tool_calls=failing, title="Market research", skill_id="",
        status="COMPLETED",
    )  # fmt: skip
    run = migrate(session_ids=[session.id], actor="alice")

    assert run.status == MigrationRun.Status.SUCCEEDED
    session.refresh_from_db()
    project = session.project
    assert project.title == "Market research"
    assert project.description == f"Migrated from session {session.id}"
    assert project.project_type == "research"
    assert project.status == "completed"
    assert project.intent == f"{session.id} says 0"
    assert project.context["tags"] == ["migrated"]
    assert project.context["failures"] == [
        {
            "type": "web_search",
            "message": "Connection failed",
            "learning": None,
            "timestamp": "2026-03-01T09:01:00",  # naive UTC ISO, as TokenDance writes it
        }
    ]
    assert project.settings == {"skill_id": None}
    assert project.workspace_id == session.workspace_id
    assert project.created_at == session.created_at
    assert project.updated_at == session.updated_at

    conversation = session.conversation
    assert conversation.project_id == project.pk
    assert conversation.status == "completed"
    # Recomputed, unlike the origin (§8 #19).
    assert conversation.message_count == 4
    assert conversation.last_message_at == T0 + dt.timedelta(minutes=3)
    assert Message.objects.filter(conversation=conversation).count() == 4
    assert set(
        Artifact.objects.filter(conversation=conversation).values_list("project_id", flat=True)
    ) == {project.pk}  # noqa: E501

    version = ProjectVersion.objects.get(project=project)
    assert version.version_number == 1
    assert version.change_type == "auto"
    assert version.changed_by == "alice"
    assert sorted(a["name"] for a in version.snapshot["artifacts"]) == [
        f"{session.id}-0.md", f"{session.id}-1.md"
    ]  # fmt: skip
    assert version.snapshot["context"] == project.context

    assert run.counts["total"] == 1
    assert run.counts["migrated"] == 1
    assert run.counts["messages_relinked"] == 4
    assert run.counts["artifacts_relinked"] == 2
    assert run.progress_done == run.progress_total == 1


def test_a_session_without_conversation_gets_one():
    session = SessionFactory(title="", status="archived", skill_id="ppt_generator")
    migrate(session_ids=[session.id])
    session.refresh_from_db()
    assert session.project.title == "Untitled"
    assert session.project.intent == "No intent recorded"
    assert session.project.project_type == "slides"
    assert session.project.status == "archived"
    assert session.project.settings == {"skill_id": "ppt_generator"}
    conversation = session.conversation
    assert conversation.project == session.project
    assert conversation.title == "Initial conversation"
    assert conversation.status == "completed"
    assert conversation.message_count == 0
    assert conversation.workspace_id == session.workspace_id
    assert conversation.created_at == session.created_at


def test_intent_takes_the_first_non_empty_user_message_whatever_the_role_case():
    conversation = ConversationFactory()
    session = SessionFactory(conversation=conversation, title="Fallback title")
    rows = [
        ("system", "sys"),
        ("USER", ""),
        ("assistant", "hi"),
        ("USER", "x" * 700),
        ("user", "late"),
    ]  # noqa: E501
    for n, (role, content) in enumerate(rows):
        m = MessageFactory(conversation=conversation, role=role, content=content)
        Message.objects.filter(pk=m.pk).update(created_at=T0 + dt.timedelta(seconds=n))
    migrate(session_ids=[session.id])
    session.refresh_from_db()
    assert session.project.intent == "x" * 500


def test_dry_run_writes_nothing_and_reports_what_the_real_run_does():
    sessions = [session_with_conversation(messages=2, artifacts=1) for _ in range(3)]
    SessionFactory()  # no conversation
    ProjectFactory()
    done = SessionFactory(project=ProjectFactory())  # already migrated → skipped
    bad = session_with_conversation(tool_calls="not a list")
    before = snapshot_links()

    dry = migrate(dry_run=True)
    assert snapshot_links() == before
    assert dry.dry_run and dry.status == MigrationRun.Status.PARTIAL

    real = migrate()
    keys = ["total", "migrated", "skipped", "failed", "messages_relinked", "artifacts_relinked"]
    assert {k: dry.counts[k] for k in keys} == {k: real.counts[k] for k in keys}
    assert real.counts["migrated"] == 4
    assert real.counts["skipped"] == 1
    assert real.counts["failed"] == 1
    assert real.counts["messages_relinked"] == 6
    assert real.counts["artifacts_relinked"] == 3
    assert len(real.counts["first_errors"]) == 1
    assert bad.id in real.counts["first_errors"][0]
    # Item by item, the refused session included; only the ids the run generates differ.
    assert journal_lines(dry) == journal_lines(real)
    assert (bad.id, "failed") in {line[:2] for line in journal_lines(real)}
    assert {s.id for s in sessions} <= set(
        Session.objects.filter(project__isnull=False).values_list("id", flat=True)
    )
    assert done.id in dict(real.items.values_list("subject_id", "reason"))


def journal_lines(run):
    generated = {"project_id", "conversation_id"}
    lines = []
    for item in run.items.all():
        after = {k: v for k, v in (item.after or {}).items() if k not in generated}
        lines.append((item.subject_id, item.outcome, item.reason, item.before, after))
    return sorted(lines, key=str)


def test_second_run_changes_nothing_and_skips_everything():
    for _ in range(3):
        session_with_conversation()
    first = migrate()
    after_first = snapshot_links()
    second = migrate()
    assert snapshot_links() == after_first
    assert first.counts["migrated"] == 3
    assert second.counts["migrated"] == 0
    assert second.counts["skipped"] == 3
    assert second.status == MigrationRun.Status.SUCCEEDED


def test_a_malformed_session_fails_alone_and_the_batch_commits():
    good = [session_with_conversation() for _ in range(3)]
    bad = session_with_conversation(tool_calls={"name": "x", "status": "error"})
    run = migrate(batch_size=10)
    assert run.status == MigrationRun.Status.PARTIAL
    failed = run.items.get(outcome=MigrationItem.Outcome.FAILED)
    assert failed.subject_id == bad.id
    assert "tool_calls is a dict" in failed.reason
    assert Session.objects.filter(pk__in=[s.id for s in good], project__isnull=False).count() == 3
    assert Session.objects.get(pk=bad.id).project_id is None


def test_an_error_inside_the_set_based_path_falls_back_to_one_savepoint_per_session(monkeypatch):
    sessions = [session_with_conversation(title=f"t{n}") for n in range(4)]
    real_infer = tokendance.project_type_infer

    def explode_on_t2(*, skill_id, title):
        if title == "t2":
            raise RuntimeError("injected failure")
        return real_infer(skill_id=skill_id, title=title)

    monkeypatch.setattr(tokendance, "project_type_infer", explode_on_t2)
    run = migrate(batch_size=10)
    outcomes = dict(run.items.values_list("subject_id", "outcome"))
    assert outcomes == {s.id: ("failed" if s.title == "t2" else "migrated") for s in sessions}
    assert "injected failure" in run.items.get(outcome="failed").reason
    assert Project.objects.count() == 3
    assert run.progress_done == 4


def test_filters_by_workspace_and_status_case_insensitively():
    other = WorkspaceFactory(slug="other")
    a = SessionFactory(status="running")
    b = SessionFactory(status="RUNNING", workspace=other)
    c = SessionFactory(status="running", workspace=other)
    SessionFactory(status="pending", workspace=other)
    run = migrate(workspace_slug="other", statuses=["Running"])
    assert sorted(run.items.values_list("subject_id", flat=True)) == sorted([b.id, c.id])
    assert Session.objects.get(pk=a.id).project_id is None


def test_undo_restores_every_link_and_deletes_what_it_created():
    outsider = ProjectFactory()
    moved = ArtifactFactory(project=outsider)  # an artifact that already had a project
    with_conv = session_with_conversation(messages=2, artifacts=1, status="completed")
    moved.conversation = with_conv.conversation
    moved.save()
    Conversation.objects.filter(pk=with_conv.conversation_id).update(
        message_count=99, status="active"
    )  # stale counters: undo must put them back exactly
    without = SessionFactory()
    before = snapshot_links()

    run = migrate()
    assert snapshot_links() != before
    assert Artifact.objects.get(pk=moved.pk).project_id != outsider.pk

    undone = migration_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE
    assert undone.counts["undone"] == 2
    assert snapshot_links() == before
    assert Session.objects.filter(pk__in=[with_conv.id, without.id]).count() == 2
    assert set(run.items.values_list("outcome", flat=True)) == {"undone"}

    again = migration_undo(run=run)
    assert again.status == MigrationRun.Status.UNDONE
    assert snapshot_links() == before

    # After an undo the sessions can be migrated again.
    assert migrate().counts["migrated"] == 2


def test_undo_keeps_what_was_added_to_a_migrated_project_afterwards():
    session = SessionFactory()
    run = migrate()
    session.refresh_from_db()
    MessageFactory(conversation=session.conversation, content="later")
    later = ArtifactFactory(project=session.project, name="later.md")
    result = migration_undo(run=run)
    assert Message.objects.filter(content="later").exists()
    assert Artifact.objects.get(pk=later.pk).project_id is None
    assert any("kept" in note for note in result.counts["undo_notes"])
    assert not Project.objects.filter(pk=run.items.get().after["project_id"]).exists()


def test_the_plan_matches_what_the_run_does():
    session = session_with_conversation(messages=3, artifacts=2, title="编程 task")
    [plan] = session_to_project_preview(session_ids=[session.id])
    assert (plan.outcome, plan.project.project_type, plan.message_count, len(plan.artifacts)) == (
        "migrated", "code", 3, 2
    )  # fmt: skip
    run = migrate(session_ids=[session.id])
    assert run.items.get().after["project_type"] == "code"
    assert Project.objects.get().intent == plan.project.intent


def test_a_batch_costs_a_bounded_number_of_queries_whatever_its_size():
    def run_and_count(size):
        for n in range(size):
            if n % 2:
                session_with_conversation(messages=2, artifacts=1, tool_calls=[{"status": "error"}])
            else:
                SessionFactory()
        with CaptureQueriesContext(connection) as ctx:
            run = migrate(batch_size=size)
        assert run.counts["migrated"] == size
        Session.objects.all().delete()
        return len(ctx)

    small, large = run_and_count(4), run_and_count(150)
    if connection.features.max_query_params is None:  # PostgreSQL: one statement per write
        assert small == large
    else:
        # SQLite: bulk_create and bulk_update split a write at 999 parameters (a project
        # row has 18 columns): a few more statements, never one per session.
        assert small < large <= small + 150 // 40
    # And two batches cost exactly one batch more than one.
    for n in range(8):
        session_with_conversation() if n % 2 else SessionFactory()
    with CaptureQueriesContext(connection) as two:
        migrate(batch_size=4)
    per_batch = len(two) - small
    assert 0 < per_batch < small


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_create_one_project_per_session(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL row locks: SQLite serialises whole write transactions, "
            "so the two runs cannot interleave inside a batch"
        )
    from migration_app.services.session_to_project import run as service

    ids = [session_with_conversation(messages=1, artifacts=0).id for _ in range(30)]
    # Force the worst interleaving: both runs plan the batch (both see project IS NULL),
    # then the first to reach the compare-and-set holds its transaction open while the
    # other one's UPDATE waits on the row locks.
    planned = threading.Barrier(2, timeout=20)
    real_plan, real_write = service.batch_plan, service._write_projects

    def plan_then_meet(session_ids):
        result = real_plan(session_ids)
        planned.wait()
        return result

    def slow_write(winners, *, actor):
        time.sleep(0.5)  # the loser is now blocked in its UPDATE
        return real_write(winners, actor=actor)

    monkeypatch.setattr(service, "batch_plan", plan_then_meet)
    monkeypatch.setattr(service, "_write_projects", slow_write)
    runs, errors = [], []

    def worker():
        try:
            runs.append(migrate(session_ids=ids, batch_size=30))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Project.objects.count() == 30
    assert ProjectVersion.objects.count() == 30
    assert Session.objects.filter(pk__in=ids, project__isnull=True).count() == 0
    assert sorted(run.counts["migrated"] for run in runs) == [0, 30]
    loser = next(run for run in runs if run.counts["migrated"] == 0)
    reasons = set(loser.items.values_list("reason", flat=True))
    assert reasons == {"migrated concurrently by another run"}
    # Every project has exactly its one session and one conversation.
    assert set(Project.objects.values_list("sessions__id", flat=True)) == set(ids)
    assert Conversation.objects.filter(project__isnull=False).count() == 30
