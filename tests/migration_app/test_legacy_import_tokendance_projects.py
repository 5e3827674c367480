"""After a TokenDance import: what TokenDance's own script had migrated comes in verbatim
and linked, and the hub's "Migrate to project" gives what TokenDance's algorithm gives
(legacy-formats.md §7.2–§7.6) on the case-folded data, field by field."""

import datetime as dt
import uuid

import pytest

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy.tokendance_sample import T0, SourceRows
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import migration_undo
from projects_app.models import Conversation, Message, Project, ProjectVersion
from sessions_app.models import Session
from tests.migration_app.legacy_helpers import dump_tables
from tests.migration_app.tokendance_helpers import td_import

pytestmark = pytest.mark.django_db
Outcome = MigrationItem.Outcome

# --- TokenDance's algorithm, written from the reference (not from our service) -----------

_STATUS = {"pending": "draft", "active": "in_progress", "running": "in_progress",
           "completed": "completed", "failed": "in_progress", "cancelled": "archived",
           "archived": "archived"}  # fmt: skip
_SKILL = [(("research", "deep_research"), "research"), (("ppt", "slides"), "slides"),
          (("code",), "code"), (("data", "analysis"), "data_analysis"),
          (("doc", "document"), "document")]  # fmt: skip
_TITLE = [(("research", "调研", "分析"), "research"),
          (("ppt", "slides", "演示", "幻灯片"), "slides"),
          (("code", "代码", "编程"), "code")]  # fmt: skip


def _infer(skill, title):
    for needles, kind in _SKILL:
        if skill and any(n in skill for n in needles):
            return kind
    for needles, kind in _TITLE:
        if any(n in (title or "").lower() for n in needles):
            return kind
    return "quick_task"


def tokendance_expects(session: dict, messages: list[dict], artifacts: list[dict]) -> dict:
    """The project and conversation TokenDance's script makes of `session` (§7.2–§7.6)."""
    status = session["status"].lower()  # the case-folded data
    ordered = sorted(messages, key=lambda m: m["created_at"])
    intent = next(
        (m["content"][:500] for m in ordered if m["role"].lower() == "user" and m["content"]),
        None,
    )
    failures = []
    for message in ordered:
        for call in message["tool_calls"] or []:
            if call.get("status") in ("error", "failed"):
                text = (
                    str(call["error"]) if "error" in call
                    else str(call["result"]) if "result" in call else "Unknown error"
                )  # fmt: skip
                failures.append(
                    {"type": call.get("name", "unknown_tool"), "message": text, "learning": None,
                     "timestamp": message["created_at"].isoformat()}
                )  # fmt: skip
    return {
        "title": session["title"] or "Untitled",
        "description": f"Migrated from session {session['id']}",
        "project_type": _infer(session["skill_id"], session["title"]),
        "status": _STATUS.get(status, "draft"),
        "intent": intent or session["title"] or "No intent recorded",
        "failures": failures[:10],
        "settings": {"llm_model": "claude-3-5-sonnet", "skill_id": session["skill_id"]},
        "created_at": _instant(session["created_at"]),
        "updated_at": _instant(session["updated_at"]),
        "conversation": {
            "title": session["title"] or "Initial conversation",
            "purpose": "general",
            "status": "completed" if status in ("completed", "archived") else "active",
            "selection_context": None,
            "created_at": _instant(session["created_at"]),
            "updated_at": _instant(session["updated_at"]),
            "tokens_used": session["total_tokens_used"],
            "completed_at": _instant(session["completed_at"]),
            "message_count": 0,  # §7.2: not set
            "last_message_at": None,
        },
        "artifacts": len(artifacts),  # the session's artifact rows (§7.2: artifact_count)
        "session_files": [],  # §7.8: the script never touches the session's files
    }


def _instant(stamp: str | dt.datetime | None) -> dt.datetime | None:
    """A naive TokenDance column or a stored ISO text, as the instant it names (UTC)."""
    if stamp is None:
        return None
    parsed = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def hub_gives(session: Session) -> dict:
    project, conversation = session.project, session.conversation
    kept = conversation.extra_data.get("tokendance", {})  # columns the hub has not
    artifacts = list(project.artifacts.all())
    files = sorted(a.name for a in artifacts if "session_file" in a.extra_data)
    return {
        "title": project.title,
        "description": project.description,
        "project_type": project.project_type,
        "status": project.status,
        "intent": project.intent,
        "failures": project.context["failures"],
        "settings": project.settings,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
        "conversation": {
            "title": conversation.title,
            "purpose": conversation.purpose,
            "status": conversation.status,
            "selection_context": conversation.selection_context,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
            "tokens_used": kept.get("tokens_used", 0),
            "completed_at": _instant(kept.get("completed_at")),
            "message_count": conversation.message_count,
            "last_message_at": conversation.last_message_at,
        },
        "artifacts": len(artifacts) - len(files),
        "session_files": files,
    }


# --- the source ---------------------------------------------------------------------------


SESSION_FILES = {1: ["findings.md", "task_plan.md"], 2: ["notes/progress.md"]}


def mixed_world(tmp_path) -> tuple[SourceRows, dict]:
    """Lower- and upper-case labels, failed tool calls, lineage, token counts, finished
    sessions, session files, one session migrated by TokenDance's own script."""
    rows = SourceRows(uuid.uuid4().hex)
    workspace = rows.workspace(slug="acme", filesystem_path=str(tmp_path / "acme"))
    cases = [
        ("PENDING", "deep_research_v4", "Quarterly numbers"),
        ("running", None, "Write code for the parser"),
        ("RUNNING", "ppt_generator", "Deck"),
        ("completed", None, "市场分析"),
        ("FAILED", "data_cleaner", ""),
        ("CANCELLED", None, "slides for Monday"),
        ("archived", "doc_writer", "Notes"),
        ("active", None, "Just chatting"),
    ]
    for n, (status, skill, title) in enumerate(cases):
        at = T0 + dt.timedelta(hours=n)
        session = rows.session(
            workspace,
            status=status,
            skill_id=skill,
            title=title,
            created_at=at,
            updated_at=at + dt.timedelta(minutes=30),
            total_tokens_used=1000 * n,
            completed_at=None if n in (0, 1, 2, 7) else at + dt.timedelta(minutes=20),
        )
        for name in SESSION_FILES.get(n, []):
            path = tmp_path / "acme" / "sessions" / session["id"] / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"# {name}\n")
        rows.message(session, role="ASSISTANT", content="hello", created_at=at)
        if n != 4:  # a session whose intent falls back to its title (or the fixed text)
            rows.message(
                session,
                role="USER" if n % 2 else "user",
                content="x" * 600 if n == 1 else f"Please help with {n}",
                created_at=at + dt.timedelta(minutes=1),
            )
        rows.message(
            session, role="assistant", created_at=at + dt.timedelta(minutes=2),
            tool_calls=[{"name": "web_search", "status": "error", "error": "Connection failed"},
                        {"name": "code_run", "status": "failed", "error": None},
                        {"status": "failed", "result": 42},
                        {"name": "ok", "status": "success"}] * (4 if n == 1 else 1),
        )  # fmt: skip
        first = rows.artifact(session, is_latest=False, artifact_type="DOCUMENT")
        rows.artifact(session, version=2, parent_version_id=first["id"], artifact_type="report")
    # TokenDance's own script migrated the fourth session.
    done = rows.tables["sessions"][3]
    project = rows.project(
        workspace, title=done["title"], description=f"Migrated from session {done['id']}",
        project_type="research", status="completed", intent="Please help with 3",
        context={"decisions": [], "failures": [], "key_findings": [], "tags": ["migrated"]},
        settings={"llm_model": "claude-3-5-sonnet", "skill_id": None, "api_key": "sk-PLANTED"},
        created_at=done["created_at"], updated_at=done["updated_at"],
    )  # fmt: skip
    conversation = rows.conversation(
        project, title=done["title"], status="completed",
        extra_data={"migrated_from_session_id": done["id"],
                    "migration_timestamp": "2026-01-22T10:00:00"},
    )  # fmt: skip
    for message in rows.tables["messages"]:
        if message["session_id"] == done["id"]:
            message["conversation_id"] = conversation["id"]
    for artifact in rows.tables["artifacts"]:
        if artifact["session_id"] == done["id"]:
            artifact["project_id"] = project["id"]
    rows.version(project, version_number=1, change_summary="Migrated", changed_by="script")
    return rows, {"session": done, "project": project, "conversation": conversation}


def test_what_tokendance_migrated_comes_in_verbatim_and_linked(make_source, tmp_path):
    rows, done = mixed_world(tmp_path)
    run = td_import(make_source(rows))
    assert run.status == MigrationRun.Status.SUCCEEDED, run.counts
    project = Project.objects.get(pk=done["project"]["id"])
    assert (project.title, project.status, project.project_type, project.source) == (
        "市场分析", "completed", "research", "tokendance",
    )  # fmt: skip
    assert project.settings == {"llm_model": "claude-3-5-sonnet", "skill_id": None}
    conversation = Conversation.objects.get(pk=done["conversation"]["id"])
    assert conversation.project_id == project.pk and conversation.status == "completed"
    assert conversation.extra_data["migrated_from_session_id"] == done["session"]["id"]
    session = Session.objects.get(pk=done["session"]["id"])
    assert (session.project_id, session.conversation_id) == (project.pk, conversation.pk)
    assert Message.objects.filter(conversation=conversation).count() == 3
    assert conversation.message_count == 3  # recomputed (TokenDance left it 0)
    assert project.artifacts.count() == 2
    version = ProjectVersion.objects.get(project=project)
    assert (version.version_number, version.changed_by) == (1, "script")


def test_the_hub_migration_skips_exactly_the_sessions_tokendance_migrated(make_source, tmp_path):
    rows, done = mixed_world(tmp_path)
    td_import(make_source(rows))
    run = migration_run_dispatch(kind=MigrationRun.Kind.SESSION_TO_PROJECT)
    skipped = set(run.items.filter(outcome=Outcome.SKIPPED).values_list("subject_id", flat=True))
    migrated = set(run.items.filter(outcome=Outcome.MIGRATED).values_list("subject_id", flat=True))
    assert skipped == {done["session"]["id"]}
    assert migrated == {s["id"] for s in rows.tables["sessions"]} - skipped
    # Never a second project for one session.
    assert Project.objects.count() == len(rows.tables["sessions"])


def test_the_hub_migration_equals_tokendances_algorithm_field_by_field(make_source, tmp_path):
    rows, done = mixed_world(tmp_path)
    td_import(make_source(rows))
    migration_run_dispatch(kind=MigrationRun.Kind.SESSION_TO_PROJECT)
    compared = 0
    for index, source in enumerate(rows.tables["sessions"]):
        if source["id"] == done["session"]["id"]:
            continue
        messages = [m for m in rows.tables["messages"] if m["session_id"] == source["id"]]
        artifacts = [a for a in rows.tables["artifacts"] if a["session_id"] == source["id"]]
        expected = tokendance_expects(source, messages, artifacts)
        session = Session.objects.get(pk=source["id"])
        # The deliberate differences (README, "TokenDance import"), each asserted exactly
        # (statuses match case-insensitively: tokendance_expects works on folded data):
        # the session is linked to its project (TokenDance leaves the session as it was);
        assert session.project_id and session.conversation.project_id == session.project_id
        # llm_model is dropped from the settings;
        del expected["settings"]["llm_model"]
        # the conversation's message counters are recomputed (TokenDance leaves 0 / null);
        expected["conversation"] |= {
            "message_count": len(messages),
            "last_message_at": _instant(max(m["created_at"] for m in messages)),
        }
        # the project also holds the session's files, as document artifacts (§7.8).
        expected["session_files"] = SESSION_FILES.get(index, [])
        assert hub_gives(session) == expected, source["title"]
        compared += 1
    assert compared == 7


def test_undo_after_the_hub_migration_is_undone_leaves_what_was_there(make_source, tmp_path):
    before = dump_tables()
    rows, _ = mixed_world(tmp_path)
    imported = td_import(make_source(rows))
    to_projects = migration_run_dispatch(kind=MigrationRun.Kind.SESSION_TO_PROJECT)
    migration_undo(run=to_projects)
    migration_undo(run=imported)
    assert dump_tables() == before
