"""The legacy import service: mapping into rows, dry run, idempotency, batches, undo."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.legacy.minsky_sample import minsky_sqlite_write
from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.legacy.transcripts import claude_slug, transcript_destination
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import migration_undo
from migration_app.services.journal import MigrationError
from migration_app.services.legacy_import.ao import batches
from migration_app.services.legacy_import.shared import TEMP_SUFFIX
from projects_app.list_cache import VERSION_KEY
from projects_app.models import Project
from sessions_app.models import Session, UsageRecord
from tests.factories import ProjectFactory, SessionFactory
from tests.migration_app.legacy_helpers import (
    dump_tables,
    import_committing,
    item_plan,
    legacy_import_run,
    list_files,
    run_import,
)
from tests.migration_app.minsky_helpers import minsky_import
from tests.projects_app.test_db_tuning import planner_rows, statistics_of_empty_tables

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome


def test_a_run_imports_projects_sessions_and_copies_transcripts(ao_tree, claude_home, data_dir):
    sources_before = {p: Path(p).read_bytes() for p in ao_tree.transcripts}
    run = run_import(ao_tree, claude_home, batch_size=25)

    assert run.status == MigrationRun.Status.PARTIAL  # the four rejected files
    live = ao_tree.sessions - ao_tree.terminated
    counts = run.counts
    assert counts["session_migrated"] == live == Session.objects.count()
    assert counts["project_migrated"] == 5 == Project.objects.count()
    assert counts["file_failed"] == ao_tree.rejected == 4
    assert counts["files_skipped"] == ao_tree.skipped_files == 2
    assert counts["sessions_not_in_scope"] == ao_tree.terminated
    assert counts["transcript_migrated"] == len(ao_tree.transcripts)
    assert counts["transcripts_copied"] == len(ao_tree.transcripts)
    assert counts["transcripts_already_present"] == 0
    assert counts["transcripts_source_missing"] == counts["transcript_skipped"] > 0
    assert run.progress_done == run.progress_total > 0

    # One item per project, session, rejected file and transcript.
    assert run.items.count() == (
        5 + live + ao_tree.rejected + counts["transcript_migrated"] + counts["transcript_skipped"]
    )
    rejected = dict(run.items.filter(outcome=Outcome.FAILED).values_list("subject_id", "reason"))
    assert any(p.endswith("bad-type-1.json") and "branch" in r for p, r in rejected.items())

    # Transcripts were copied, never moved, into the slug of the new worktree.
    for source, content in sources_before.items():
        assert Path(source).read_bytes() == content
    copied = run.items.filter(subject_type="transcript", outcome=Outcome.MIGRATED).first()
    dest = Path(copied.subject_id)
    session_id = copied.after["session_id"]
    session = Session.objects.get(pk=session_id)
    expected_bucket = claude_slug(f"{data_dir}/worktrees/{session.project_id}/{session_id}")
    assert dest.parent == claude_home / "projects" / expected_bucket
    assert dest.read_bytes() == Path(copied.after["source"]).read_bytes()
    assert not list(claude_home.rglob(f"*{TEMP_SUFFIX}"))


def test_rows_follow_the_mapping(ao_tree, claude_home):
    run_import(ao_tree, claude_home)
    session = Session.objects.get(pk="proj1-2")  # index 1: double-encoded lifecycle, codex
    assert session.source == "ao" and session.project_id == "proj1"
    assert session.num == 2 and session.kind == "worker"
    assert session.harness == "codex" and session.agent_session_id == "thread-1"
    assert (session.status, session.activity_state) == ("running", "idle")
    # Idle with an open PR whose CI fails: ao shows `ci_failed`; the session stays live.
    assert session.legacy_status == "ci_failed" and not session.is_terminated
    assert session.prompt == "Fix issue 1 in proj1" and session.display_name == "Session 1"
    assert session.issue_id == "1001" and session.branch == "feat/proj1-1"
    assert session.runtime_handle_id == ""
    assert session.source_path.endswith("projects/proj1/sessions/proj1-2.json")
    assert session.first_signal_at == session.activity_last_at
    assert session.metadata["codexModel"] == "gpt-5"
    assert session.metadata["pinnedSummary"] == {"text": "summary", "n": 1}
    unknown_agent = Session.objects.get(pk="proj4-5")  # agent "mystery-agent"
    assert unknown_agent.harness == "" and unknown_agent.metadata.get("agent") is None

    orchestrator = Session.objects.get(pk="proj0-orchestrator")
    assert orchestrator.kind == "orchestrator" and orchestrator.num == 0

    project = Project.objects.get(pk="proj1")
    assert project.title == "Project 1" and project.path == "/srv/proj1"
    assert project.config == {"sessionPrefix": "proj1", "agentConfig": {"permissions": "default"}}
    assert project.source == "ao" and project.registered_at.isoformat().startswith("2026-01-01")
    # config.yaml's registeredAt (epoch seconds) wins over registered.json's addedAt.
    assert Project.objects.get(pk="proj0").registered_at.isoformat().startswith("2025-12-31")


def test_numbers_clashes_and_ids_without_numbers(ao_tree, claude_home):
    run = run_import(ao_tree, claude_home)
    # oldproj3-9 and proj3-9 both want 9: the first in walk order keeps it.
    keeper = Session.objects.get(pk="oldproj3-9")
    clash = Session.objects.get(pk="proj3-9")
    assert keeper.num == 9 and clash.num != 9
    reason = run.items.get(subject_type="session", subject_id="proj3-9").reason
    assert "number 9 is taken by oldproj3-9" in reason and f"got number {clash.num}" in reason
    adhoc = Session.objects.get(pk="adhocproj27")
    nums = set(Session.objects.filter(project_id="proj2").values_list("num", flat=True))
    # The next free number: the smallest one not used in the project.
    assert adhoc.num == min(set(range(1, 500)) - (nums - {adhoc.num}))


def test_dry_run_writes_nothing_and_plans_exactly_the_real_run(ao_tree, claude_home):
    before = dump_tables()
    files_before = list_files(claude_home)
    dry = run_import(ao_tree, claude_home, dry_run=True, batch_size=17)
    assert dry.dry_run and MigrationRun.objects.count() == 1
    assert dump_tables() == before
    assert list_files(claude_home) == files_before

    real = run_import(ao_tree, claude_home, batch_size=17)
    assert item_plan(dry) == item_plan(real)
    assert dry.counts == real.counts
    assert dry.status == real.status


def test_dry_run_equals_real_run_after_a_partial_import(ao_tree, claude_home):
    """The plan also matches when some of the store is already imported."""
    run_import(ao_tree, claude_home)
    Session.objects.filter(project_id="proj2").delete()
    for path in list(claude_home.glob("projects/*data-worktrees-proj2*/*")):
        path.unlink()
    dry = run_import(ao_tree, claude_home, dry_run=True, batch_size=9)
    real = run_import(ao_tree, claude_home, batch_size=9)
    assert item_plan(dry) == item_plan(real)
    assert real.counts["session_migrated"] > 0


def test_a_second_run_skips_everything_and_changes_nothing(ao_tree, claude_home):
    first = run_import(ao_tree, claude_home)
    assert first.counts["migrated"] > 0
    tables, files = dump_tables(), list_files(claude_home)

    second = run_import(ao_tree, claude_home)
    assert second.counts["migrated"] == 0
    assert second.counts["transcripts_already_present"] == first.counts["transcripts_copied"]
    # Everything is skipped; the rejected files stay rejected (run partial, exit 1).
    outcomes = set(second.items.values_list("outcome", flat=True))
    assert outcomes == {Outcome.SKIPPED, Outcome.FAILED}
    assert set(
        second.items.filter(outcome=Outcome.FAILED).values_list("subject_type", flat=True)
    ) == {"file"}
    assert second.status == MigrationRun.Status.PARTIAL
    assert dump_tables() == tables
    assert list_files(claude_home) == files


def count_queries(tree, claude_home, batch_size):
    with CaptureQueriesContext(connection) as queries:
        run_import(tree, claude_home, batch_size=batch_size)
    Session.objects.all().delete()
    Project.objects.all().delete()
    return len(queries.captured_queries)


def test_queries_per_batch_do_not_grow_with_the_batch_size(tmp_path, claude_home, data_dir):
    tree = ao_tree_generate(str(tmp_path / "q"), sessions=160, with_bad_files=False)
    # q(b) = fixed + per_batch * batches(b); 160 files give 16, 8 and 4 batches.
    q10, q20, q40 = (count_queries(tree, claude_home, b) for b in (10, 20, 40))
    per_batch_a = (q10 - q20) / 8
    per_batch_b = (q20 - q40) / 4
    assert per_batch_a == per_batch_b
    assert 0 < per_batch_a <= 12


@pytest.mark.parametrize("parse_ahead", [False, True], ids=["in process", "parse helper"])
def test_a_bad_file_never_stops_the_run(tmp_path, claude_home, data_dir, parse_ahead):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=30, with_v1=False)
    sessions = Path(tree.root) / "projects"
    unreadable = sessions / "proj1/sessions/proj1-900.json"
    unreadable.write_text('{"status": "bogus"}')  # rejected even where root reads it
    unreadable.chmod(0)
    (sessions / "bad..id/sessions").mkdir(parents=True)
    (sessions / "bad..id/sessions/x-1.json").write_text('{"status": "working"}')
    (sessions / "proj2/sessions/-lead-1.json").write_text('{"status": "working"}')
    (sessions / "proj2/sessions/proj2-901.json").write_bytes(b"\x00\x01garbage")
    deep = b'{"status": "working", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    (sessions / "proj2/sessions/proj2-902.json").write_bytes(deep)
    try:
        run = run_import(tree, claude_home, batch_size=4, parse_ahead=parse_ahead)
    finally:
        unreadable.chmod(0o644)
    reasons = dict(run.items.filter(outcome=Outcome.FAILED).values_list("subject_id", "reason"))
    by_name = {os.path.basename(k): v for k, v in reasons.items()}
    if os.geteuid() != 0:  # root reads anything
        assert "cannot read" in by_name["proj1-900.json"]
    assert "'..'" in by_name["x-1.json"]
    assert "name rule" in by_name["-lead-1.json"]
    assert "proj2-901.json" in by_name
    assert "nested too deeply" in by_name["proj2-902.json"]
    assert Session.objects.count() == tree.sessions - tree.terminated
    assert run.status == MigrationRun.Status.PARTIAL and run.finished_at is not None


def test_undo_removes_exactly_what_the_run_created(ao_tree, claude_home, data_dir):
    # Rows and files that exist before the run must survive its undo.
    ProjectFactory(id="proj0", title="Mine already")
    SessionFactory(id="native-1", project_id="proj0", num=700)
    existing_dest = transcript_destination(
        claude_home=str(claude_home), data_dir=str(data_dir), project_id="proj1",
        session_id="proj1-2", uuid="x",
    )  # fmt: skip
    tables, files = dump_tables(), list_files(claude_home)

    run = run_import(ao_tree, claude_home)
    assert run.items.get(subject_type="project", subject_id="proj0").outcome == Outcome.SKIPPED
    assert Session.objects.count() > 1
    undone = migration_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE
    assert dump_tables() == tables
    assert list_files(claude_home) == files
    assert not run.items.filter(outcome=Outcome.MIGRATED).exists()
    assert not os.path.exists(existing_dest)
    # A second undo is a no-op.
    assert migration_undo(run=run).status == MigrationRun.Status.UNDONE
    assert dump_tables() == tables


def test_include_terminated_imports_history_too(ao_tree, claude_home):
    run = run_import(ao_tree, claude_home, include_terminated=True)
    assert run.counts["sessions_not_in_scope"] == 0
    assert Session.objects.filter(is_terminated=True).count() == ao_tree.terminated
    killed = Session.objects.filter(is_terminated=True).first()
    assert (killed.status, killed.activity_state, killed.legacy_status) == (
        "cancelled", "exited", "killed",
    )  # fmt: skip


def test_an_unknown_project_is_created_from_the_directory(tmp_path, claude_home, data_dir):
    root = tmp_path / "ao"
    (root / "projects/lonely/sessions").mkdir(parents=True)
    (root / "projects/lonely/sessions/lonely-3.json").write_text(
        json.dumps({"status": "working", "createdAt": "2026-02-02T00:00:00Z"})
    )
    (root / "0123456789ab-v1proj/sessions").mkdir(parents=True)
    (root / "0123456789ab-v1proj/sessions/v1proj-4").write_text("status=idle\n")
    run = import_committing(source="ao", path=str(root), claude_home=str(claude_home))
    assert run.status == MigrationRun.Status.SUCCEEDED
    assert Project.objects.get(pk="lonely").title == "lonely"
    assert Session.objects.get(pk="lonely-3").num == 3
    assert Session.objects.get(pk="v1proj-4").project_id == "v1proj"


def test_the_ao_rs_store_imports_with_numbers_in_created_order(tmp_path, claude_home, data_dir):
    tree = ao_rs_tree_generate(str(tmp_path / "rs"), sessions=40)
    run = import_committing(source="ao-rs", path=tree.root, claude_home=str(claude_home))
    assert run.counts["file_failed"] == 1 and run.counts["files_skipped"] == 1
    imported = Session.objects.filter(source="ao-rs")
    assert imported.count() == tree.sessions - tree.terminated
    assert not imported.filter(archived_at__isnull=False).exists()
    for project in tree.projects:
        rows = list(imported.filter(project_id=project).order_by("created_at", "id"))
        assert [s.num for s in rows] == list(range(1, len(rows) + 1))
    # Each cost block becomes the session's legacy usage record, labelled with its origin.
    usage = UsageRecord.objects.filter(origin="ao-rs")
    assert sorted(usage.values_list("session_id", flat=True)) == sorted(
        imported.values_list("pk", flat=True)
    )
    one = imported.first()
    assert isinstance(one.metadata["last_review_backlog_fingerprint"], str)
    assert int(one.metadata["last_review_backlog_fingerprint"]) > 2**63

    everything = import_committing(
        source="ao-rs", path=tree.root, claude_home=str(claude_home), include_terminated=True
    )
    assert Session.objects.count() == tree.sessions
    assert Session.objects.filter(archived_at__isnull=False).count() == 4
    assert everything.counts["session_skipped"] == tree.sessions - tree.terminated


def test_refusals_raise_before_writing(tmp_path, claude_home):
    with pytest.raises(MigrationError, match="does not exist or is not a directory"):
        legacy_import_run(source="ao", path=str(tmp_path / "nope"))
    with pytest.raises(MigrationError, match="No sessions found under"):
        legacy_import_run(source="ao", path=str(tmp_path))
    (tmp_path / "projects/app/sessions").mkdir(parents=True)
    (tmp_path / "projects/app/sessions/app-1.json").write_text('{"status": "working"}')
    with pytest.raises(MigrationError, match="does not exist"):
        legacy_import_run(source="ao", path=str(tmp_path), workspace_slug="ghost")
    assert not MigrationRun.objects.exists()


def test_progress_is_reported_per_batch(ao_tree, claude_home):
    seen = []
    run_import(
        ao_tree,
        claude_home,
        batch_size=30,
        on_progress=lambda r: seen.append((r.progress_done, r.progress_total)),
    )
    assert len(seen) >= 5
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1]


def test_v1_archives_come_in_with_include_terminated_unless_the_id_is_live(
    tmp_path, claude_home, data_dir
):
    sessions = tmp_path / "ao/0123456789ab-app/sessions"
    (sessions / "archive").mkdir(parents=True)
    (sessions / "app-1").write_text("status=working\n")
    (sessions / "archive/app-1_20260420T143052Z").write_text("status=working\n")
    (sessions / "archive/app-2_20260421T000000Z.json").write_text('{"status": "idle"}')
    kwargs = {"source": "ao", "path": str(tmp_path / "ao"), "claude_home": str(claude_home)}
    import_committing(**kwargs)
    assert list(Session.objects.values_list("pk", flat=True)) == ["app-1"]
    run = import_committing(include_terminated=True, **kwargs)
    archived = Session.objects.get(pk="app-2")
    assert archived.is_terminated and archived.archived_at is not None
    assert Session.objects.get(pk="app-1").archived_at is None  # the live file won
    assert run.items.filter(subject_id="app-1", outcome=Outcome.SKIPPED).count() == 1
    # The archived copy of a live session is skipped by name, as migrate-storage skips it.
    (skipped,) = run.items.filter(subject_type="file", outcome=Outcome.SKIPPED)
    assert skipped.subject_id.endswith("app-1_20260420T143052Z")
    assert "has an active file" in skipped.reason


def test_a_projects_origin_url_is_read_from_its_git_repository(tmp_path, claude_home, data_dir):
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run(
        ["git", "-C", str(checkout), "remote", "add", "origin", "git@example.org:team/app.git"],
        check=True,
    )
    root = tmp_path / "ao"
    root.mkdir()
    (root / "config.yaml").write_text(
        f"projects:\n  app:\n    path: {checkout}\n    repo:\n      originUrl: https://old\n"
        f"  plain:\n    path: {tmp_path / 'no-repo'}\n    repo:\n      originUrl: https://cfg\n"
    )
    import_committing(source="ao", path=str(root), claude_home=str(claude_home))
    assert Project.objects.get(pk="app").repo_origin_url == "git@example.org:team/app.git"
    assert Project.objects.get(pk="plain").repo_origin_url == "https://cfg"


def test_free_numbers_are_found_in_windows_of_used_numbers(monkeypatch):
    from types import SimpleNamespace

    project = ProjectFactory(id="big")
    for num in [*range(1, 7), *range(8, 13)]:  # 1–12 used, except 7
        SessionFactory(id=f"big-{num}", project=project, num=num)
    monkeypatch.setattr(batches, "USED_WINDOW", 3)  # several windows
    state = SimpleNamespace(free_nums={})

    with CaptureQueriesContext(connection) as queries:
        numbers = [batches.next_free(state, "big") for _ in range(3)]

    assert numbers == [7, 13, 14]
    assert len(queries) == 4  # windows 1–3, 4–6, 8–10, then 11–12: short, so the last
    assert len(state.free_nums["big"].gi_frame.f_locals["window"]) <= 3


def test_a_row_that_loses_a_race_with_another_writer_is_reported_not_claimed(
    ao_tree, claude_home, monkeypatch
):
    real_insert = batches.insert_sessions
    raced: list[str] = []

    def insert_after_a_competitor(state, rows):
        # Another writer takes the number of this batch's first session just before us.
        if rows and not raced:
            first = dict(zip(state.row_format.columns, rows[0], strict=True))
            SessionFactory(
                id=f"{first['id']}-rival",
                project=Project.objects.get(pk=first["project_id"]),
                num=first["num"],
            )
            raced.append(first["id"])
        return real_insert(state, rows)

    monkeypatch.setattr(batches, "insert_sessions", insert_after_a_competitor)

    run = run_import(ao_tree, claude_home, batch_size=30)

    [loser] = raced
    item = run.items.get(subject_type="session", subject_id=loser)
    assert item.outcome == Outcome.FAILED
    assert "concurrent insert" in item.reason
    assert not Session.objects.filter(pk=loser).exists()
    assert run.status == MigrationRun.Status.PARTIAL
    # Everything else of the batch landed and is claimed.
    assert run.items.filter(subject_type="session", outcome=Outcome.MIGRATED).count() == (
        Session.objects.filter(source="ao").count()
    )


def test_only_a_batch_that_creates_projects_renews_the_cached_project_pages(
    ao_tree, claude_home, file_cache
):
    pages = file_cache
    import_committing(source="ao", path=ao_tree.root, claude_home=str(claude_home))
    pages.set(VERSION_KEY, "before", None)
    import_committing(source="ao", path=ao_tree.root, claude_home=str(claude_home))
    assert pages.get(VERSION_KEY) == "before"  # every project was there already
    sessions = Path(ao_tree.root, "projects", "newproj", "sessions")
    sessions.mkdir(parents=True)
    (sessions / "newproj-1.json").write_text('{"status": "working"}')
    import_committing(source="ao", path=ao_tree.root, claude_home=str(claude_home))
    assert Project.objects.filter(pk="newproj").exists()
    assert pages.get(VERSION_KEY) != "before"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_an_import_that_wrote_leaves_the_planner_statistics_of_its_rows(tmp_path):
    path = tmp_path / "sessions.db"
    records = [{"sessionId": f"s-{i}", "repoName": "acme/w", "createdAt": "2025-06-01"}
               for i in range(30)]  # fmt: skip
    minsky_sqlite_write(str(path), records)
    statistics_of_empty_tables(Session, MigrationItem)
    minsky_import(path, dry_run=True)
    assert planner_rows(Session) != 30
    minsky_import(path)
    assert planner_rows(Session) == 30
    assert planner_rows(MigrationItem) == MigrationItem.objects.count()
