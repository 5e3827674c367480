"""A realistic, deterministic demo data set (`manage.py seed_demo`).

Every id is a fixed string or a uuid5 and every timestamp is derived from one fixed base,
so a second run inserts nothing (bulk inserts with `ignore_conflicts`) and writes no file
(files are written only when missing). Rows a migration has changed since keep their new
values: the seed never updates a row it finds, except to pin its own fixed timestamps.

The demo gives every migration work to do:
- sessions of all five origins with their own id styles and legacy status words;
- sessions without a project (session → project), with conversations, messages (some
  with failed tool calls) and artifact versions;
- minsky sessions storing the same task as plain (`123`) and qualified (`md#123`) ids;
- scratch sessions with work files on disk (attach to workstream).
"""

import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import models, transaction
from django.db.models import Case, Value, When

from projects_app.models import (
    Artifact,
    Conversation,
    Message,
    Project,
    ProjectVersion,
    Source,
    Workspace,
)
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.services import workstream_create

NAMESPACE = uuid.UUID("5e55a0b1-7c4d-4e2f-9b8a-d3e0c1f2a4b6")
BASE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_BATCH = 500

WORKSPACES = [
    ("default", "Default"),
    ("acme", "Acme Payments"),
    ("lab", "Research Lab"),
]

# (id, workspace slug, title, summary)
WORKSTREAMS = [
    ("docs-site", "default", "Docs site", "The public documentation site rebuild."),
    ("payments-revamp", "acme", "Payments revamp", "Checkout and ledger rewrite."),
    ("research-notes", "lab", "Research notes", "Long-running literature review."),
    ("q3-planning", "lab", "Q3 planning", "Planning documents for the third quarter."),
]

# Status words of each origin → (status, activity_state, terminated), DESIGN.md's table.
AO_STATUSES = [
    ("spawning", "pending", "idle", False),
    ("working", "running", "active", False),
    ("working", "running", "active", False),
    ("needs_input", "running", "waiting_input", False),
    ("pr_open", "running", "idle", False),
    ("ci_failed", "running", "idle", False),
    ("review_pending", "running", "idle", False),
    ("stuck", "running", "idle", False),
    ("done", "completed", "exited", True),
    ("merged", "completed", "exited", True),
    ("errored", "failed", "exited", True),
    ("killed", "cancelled", "exited", True),
]
AO_RS_STATUSES = [
    ("spawning", "pending", "idle", False),
    ("working", "running", "active", False),
    ("pr_open", "running", "idle", False),
    ("changes_requested", "running", "idle", False),
    ("mergeable", "running", "idle", False),
    ("merge_failed", "running", "blocked", False),
    ("needs_input", "running", "waiting_input", False),
    ("merged", "completed", "exited", True),
    ("cleanup", "completed", "exited", True),
    ("errored", "failed", "exited", True),
    ("terminated", "cancelled", "exited", True),
]
MINSKY_STATUSES = [
    ("CREATED", "pending", "idle", False),
    ("ACTIVE", "running", "idle", False),
    ("ACTIVE", "running", "idle", False),
    ("PR_OPEN", "running", "idle", False),
    ("PR_APPROVED", "running", "idle", False),
    ("MERGED", "completed", "exited", True),
    ("CLOSED", "cancelled", "exited", True),
]
# TokenDance rows hold upper- and lower-case words; `active` is its deprecated running.
NATIVE_STATUSES = [
    ("pending", "pending", "idle", False),
    ("PENDING", "pending", "idle", False),
    ("active", "running", "active", False),
    ("running", "running", "active", False),
    ("completed", "completed", "exited", True),
    ("failed", "failed", "exited", True),
    ("cancelled", "cancelled", "exited", True),
    ("archived", "archived", "exited", True),
]
ARAWN_STATUSES = [
    ("active", "running", "active", False),
    ("active", "running", "idle", False),
    ("idle", "running", "idle", False),
    ("ended", "completed", "exited", True),
]

TOPICS = [
    "fix flaky login test", "add CSV export", "migrate billing to ledger v2",
    "rate-limit the public API", "dark mode for settings", "upgrade to Django 5.2",
    "speed up search indexing", "retry failed webhooks", "document the REST API",
    "summarise competitor pricing", "draft onboarding guide", "clean up feature flags",
    "investigate memory leak in worker", "add audit log", "refactor payment retries",
    "write Q3 OKR slides", "analyse churn cohort", "port CLI to click",
]  # fmt: skip

TOOL_ERRORS = [
    ("bash", "exit status 1: pytest reported 2 failures"),
    ("edit_file", "patch did not apply: context mismatch at line 42"),
    ("web_fetch", "HTTP 503 Service Unavailable"),
    ("read_file", "ENOENT: no such file or directory, open 'src/config.ts'"),
    ("run_tests", "timed out after 600s"),
]
TOOLS_OK = ["bash", "read_file", "grep", "edit_file", "list_dir"]


@dataclass
class DemoSeedResult:
    """Rows and files the run added (all zero on a second run) and the totals after it."""

    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    files_written: int = 0


def _uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


def _at(minutes: float) -> datetime:
    return BASE_TIME + timedelta(minutes=minutes)


MODELS = {
    "workspaces": Workspace,
    "workstreams": Workstream,
    "projects": Project,
    "project_versions": ProjectVersion,
    "sessions": Session,
    "conversations": Conversation,
    "messages": Message,
    "artifacts": Artifact,
}


def demo_seed() -> DemoSeedResult:
    """Insert the demo rows that are missing, then write the demo files that are missing."""
    before = {name: model.objects.count() for name, model in MODELS.items()}
    with transaction.atomic():
        plan = _DemoPlan()
        plan.build()
        plan.save()
    files_written = plan.files_write()
    totals = {name: model.objects.count() for name, model in MODELS.items()}
    return DemoSeedResult(
        created={name: totals[name] - before[name] for name in MODELS},
        totals=totals,
        files_written=files_written,
    )


class _DemoPlan:
    """Builds every demo row in memory (unsaved), then saves them in bulk.

    Rows whose creation time Django sets itself (auto_now_add) carry `demo_time`, the
    fixed time pinned after the insert.
    """

    def __init__(self) -> None:
        # A fixed seed: the same "random" choices on every run and every machine.
        self.rng = random.Random(20260302)
        self.workspaces: dict[str, Workspace] = {}
        self.projects: list[Project] = []
        self.versions: list[ProjectVersion] = []
        self.sessions: list[Session] = []
        self.conversations: list[Conversation] = []
        self.messages: list[Message] = []
        self.artifacts: list[Artifact] = []
        # (path, bytes, session id or None, workstream the session must still be in)
        self.files: list[tuple[Path, bytes, str | None, str | None]] = []
        self.project_nums: dict[str, int] = {}

    # -- rows ---------------------------------------------------------------------------

    def build(self) -> None:
        self._workspaces()
        self._workstreams()
        self._ao()
        self._ao_rs()
        self._minsky()
        self._native()
        self._arawn()

    def _workspaces(self) -> None:
        created = []
        for slug, name in WORKSPACES:
            workspace, was_created = Workspace.objects.get_or_create(
                slug=slug, defaults={"id": _uid("workspace", slug), "name": name}
            )
            self.workspaces[slug] = workspace
            if was_created:
                created.append(slug)
        # Only what this run created gets the demo's fixed times.
        _timestamps_pin(
            Workspace,
            {
                self.workspaces[slug].pk: {
                    "created_at": _at(-4000 + i),
                    "updated_at": _at(-4000 + i),
                }
                for i, (slug, _name) in enumerate(WORKSPACES)
                if slug in created
            },
        )
        Workstream.objects.get_or_create(
            id=SCRATCH_WORKSTREAM_ID,
            defaults={
                "workspace": self.workspaces["default"],
                "title": "Scratch",
                "is_scratch": True,
            },
        )

    def _workstreams(self) -> None:
        existing = set(
            Workstream.objects.filter(id__in=[w[0] for w in WORKSTREAMS]).values_list(
                "id", flat=True
            )
        )
        for ws_id, slug, title, summary in WORKSTREAMS:
            if ws_id not in existing:
                workstream_create(
                    workstream_id=ws_id,
                    workspace=self.workspaces[slug],
                    title=title,
                    summary=summary,
                )
            readme = f"# {title}\n\n{summary}\n"
            self.files.append(
                (files.workstream_production_dir(ws_id) / "README.md", readme.encode(), None, None)
            )
        _timestamps_pin(
            Workstream,
            {
                ws_id: {"created_at": _at(-3000 + i * 60), "updated_at": _at(-3000 + i * 60)}
                for i, (ws_id, *_rest) in enumerate(WORKSTREAMS)
                if ws_id not in existing
            },
        )

    def _project(self, *, pid: str, slug: str, title: str, source: str, minute: int, **extra):
        project = Project(
            id=pid, workspace=self.workspaces[slug], title=title, source=source, **extra
        )
        project.demo_time = _at(minute)
        self.projects.append(project)
        self.project_nums[pid] = 0
        return project

    def _session(self, *, sid: str, minute: float, status_row, project=None, **fields):
        legacy, status, activity, terminated = status_row
        created = _at(minute)
        updated = created + timedelta(minutes=self.rng.randint(5, 600))
        num = fields.pop("num", None)
        if project is not None:
            self.project_nums[project.id] += 1
            num = self.project_nums[project.id] if num is None else num
        session = Session(
            id=sid,
            num=num or 0,
            project=project,
            status=status,
            legacy_status=legacy,
            activity_state=activity,
            is_terminated=terminated,
            terminated_at=updated if terminated else None,
            completed_at=updated if status == "completed" else None,
            archived_at=updated if status == "archived" else None,
            activity_last_at=updated,
            first_signal_at=created + timedelta(seconds=20),
            created_at=created,
            updated_at=updated,
            **fields,
        )
        self.sessions.append(session)
        return session

    def _ao(self) -> None:
        # ao legacy: project ids verbatim, session ids `{prefix}-{num}` and `{prefix}-orchestrator`.
        for p_index, (pid, prefix, slug, repo) in enumerate(
            [("app", "app", "default", "acme/app"), ("billing-api", "bill", "acme", "acme/billing")]
        ):
            project = self._project(
                pid=pid,
                slug=slug,
                title=pid,
                source=Source.AO,
                minute=-2000 + p_index,
                project_type=Project.ProjectType.CODE,
                status=Project.Status.IN_PROGRESS,
                path=f"/home/dev/code/{pid}",
                repo_origin_url=f"git@github.com:{repo}.git",
                config={"sessionPrefix": prefix, "defaultBranch": "main"},
                registered_at=_at(-2000 + p_index),
            )
            root = f"/home/dev/.agent-orchestrator/projects/{pid}"
            orchestrator_id = f"{prefix}-orchestrator"
            self._session(
                sid=orchestrator_id,
                num=0,
                minute=p_index * 3,
                status_row=("working", "running", "active", False),
                project=project,
                workspace=self.workspaces[slug],
                kind=Session.Kind.ORCHESTRATOR,
                harness="claude-code",
                title=f"{pid} orchestrator",
                agent_session_id=str(_uid("claude", orchestrator_id)),
                workspace_path=f"{root}/worktrees/{orchestrator_id}",
                runtime_handle_id=f"3f2a9c1b7e4d-{orchestrator_id}",
                source=Source.AO,
                source_path=f"{root}/sessions/{orchestrator_id}.json",
                metadata={"role": "orchestrator", "runtimeName": "tmux"},
            )
            for n in range(1, 25):
                sid = f"{prefix}-{n}"
                issue = 400 + p_index * 100 + n
                topic = self.rng.choice(TOPICS)
                row = self.rng.choice(AO_STATUSES)
                harness = self.rng.choice(["claude-code", "claude-code", "codex", "aider"])
                metadata = {
                    "runtimeName": "tmux",
                    "summary": f"Working on #{issue}: {topic}",
                }
                if row[0] in {"pr_open", "ci_failed", "review_pending", "merged", "done"}:
                    metadata["pr"] = f"https://github.com/{repo}/pull/{900 + issue}"
                self._session(
                    sid=sid,
                    num=n,
                    minute=p_index * 3 + n * 41,
                    status_row=row,
                    project=project,
                    workspace=self.workspaces[slug],
                    harness=harness,
                    title=topic,
                    issue_id=str(issue),
                    issue_url=f"https://github.com/{repo}/issues/{issue}",
                    branch=f"feat/{issue}-{topic.replace(' ', '-')[:30]}",
                    agent_session_id=str(_uid("agent", sid)) if harness == "claude-code" else "",
                    workspace_path=f"{root}/worktrees/{sid}",
                    runtime_handle_id=f"3f2a9c1b7e4d-{sid}",
                    source=Source.AO,
                    source_path=f"{root}/sessions/{sid}.json",
                    metadata=metadata,
                )

    def _ao_rs(self) -> None:
        # ao-rs: uuid session ids in `~/.ao-rs/sessions/<project>/<uuid>.yaml`.
        projects = [
            self._project(
                pid=name,
                slug="acme",
                title=name,
                source=Source.AO_RS,
                minute=-1900 + i,
                project_type=Project.ProjectType.CODE,
                status=Project.Status.IN_PROGRESS,
                path=f"/srv/repos/{name}",
                repo_origin_url=f"https://github.com/acme/{name}.git",
            )
            for i, name in enumerate(["ingest-worker", "search"])
        ]
        for i in range(40):
            project = projects[i % 2]
            sid = str(_uid("ao-rs", i))
            row = self.rng.choice(AO_RS_STATUSES)
            topic = self.rng.choice(TOPICS)
            issue = 57 + i
            metadata = {"activity": "ready" if row[2] == "idle" else row[2], "agent": "codex"}
            if i == 7:
                # A value beyond signed 64-bit is kept as a string (DESIGN.md).
                metadata["runtime_cookie"] = "18446744073709551615"
            self._session(
                sid=sid,
                minute=10 + i * 53,
                status_row=row,
                # A third still waits for a project (imported before projects existed).
                project=project if i % 3 else None,
                workspace=self.workspaces["acme"],
                harness=self.rng.choice(["codex", "claude-code", "opencode"]),
                title=topic,
                issue_id=f"#{issue}",
                issue_url=f"https://github.com/acme/{project.id}/issues/{issue}",
                branch=f"ao-rs/{sid[:8]}",
                workspace_path=f"/home/dev/.ao-rs/worktrees/{project.id}/{sid[:8]}",
                source=Source.AO_RS,
                source_path=f"/home/dev/.ao-rs/sessions/{project.id}/{sid}.yaml",
                metadata=metadata,
            )

    def _minsky(self) -> None:
        # minsky: `task-md#123` names and uuids; task ids stored plain or qualified.
        for i in range(40):
            number = [123, 124, 131, 45, 46, 210][i % 6]
            backend = "mt" if number < 100 else "md"
            if i % 4 == 3:
                sid = str(_uid("minsky", i))
            else:
                sid = f"task-{backend}#{number}" + (f"-{i}" if i >= 6 else "")
            # Real rows hold both forms of the same task (legacy-formats §8 #8).
            task_id = [str(number), f"{backend}#{number}", f"{backend}#{number}"][(i // 6) % 3]
            if i % 10 == 9:
                task_id = f"gh#{300 + i}"
            row = self.rng.choice(MINSKY_STATUSES)
            metadata = {
                "repoName": "acme/ledger",
                "repoUrl": "https://github.com/acme/ledger.git",
                "backendType": {"md": "markdown", "mt": "minsky"}[backend],
                "pr_approved": "true" if row[0] in {"PR_APPROVED", "MERGED"} else "false",
            }
            self._session(
                sid=sid,
                minute=20 + i * 47,
                status_row=row,
                workspace=self.workspaces["acme"],
                harness="claude-code",
                title=f"Task {task_id}: {self.rng.choice(TOPICS)}",
                task_id=task_id,
                branch=sid if "#" in sid else f"task-{task_id.replace('#', '-')}",
                workspace_path=f"/home/dev/.local/state/minsky/sessions/{sid}",
                source=Source.MINSKY,
                source_path="/home/dev/.local/state/minsky/session-db.json",
                metadata=metadata,
            )

    def _native(self) -> None:
        # Native (TokenDance) sessions: uuid ids, conversations; most not yet in a project.
        project_specs = [
            ("default", "Competitor pricing study", Project.ProjectType.RESEARCH),
            ("default", "Onboarding guide", Project.ProjectType.DOCUMENT),
            ("lab", "Q3 OKR deck", Project.ProjectType.SLIDES),
            ("lab", "Churn cohort analysis", Project.ProjectType.DATA_ANALYSIS),
        ]
        projects = []
        for i, (slug, title, ptype) in enumerate(project_specs):
            project = self._project(
                pid=str(_uid("project", title)),
                slug=slug,
                title=title,
                source=Source.NATIVE,
                minute=-1500 + i * 30,
                project_type=ptype,
                status=[Project.Status.IN_PROGRESS, Project.Status.COMPLETED][i % 2],
                intent=f"Produce the {title.lower()}.",
                context={
                    "decisions": ["Use public sources only"],
                    "failures": [],
                    "key_findings": [f"{title}: first draft reviewed"],
                    "tags": [ptype],
                },
            )
            projects.append(project)
            for v in range(1, 3 + i % 2):
                version = ProjectVersion(
                    project=project,
                    version_number=v,
                    snapshot={"title": title, "status": project.status, "version": v},
                    change_summary=["Created", "Outline agreed", "Milestone: review"][v - 1],
                    change_type=["auto", "manual", "milestone"][v - 1],
                    changed_by="demo",
                )
                version.demo_time = _at(-1500 + i * 30 + v * 90)
                self.versions.append(version)
        skills = ["deep_research", "ppt_generation", "doc_writer", "data_analyst", ""]
        for i in range(40):
            sid = str(_uid("native", i))
            slug = ["default", "default", "lab"][(i // 6) % 3]
            project = projects[i % 4] if i % 5 == 0 else None
            if project is not None:
                slug = project.workspace.slug
            topic = self.rng.choice(TOPICS)
            session = self._session(
                sid=sid,
                minute=30 + i * 59,
                status_row=self.rng.choice(NATIVE_STATUSES),
                project=project,
                workspace=self.workspaces[slug],
                title=topic.capitalize(),
                prompt=f"Please {topic}. Keep a short log of decisions.",
                skill_id=self.rng.choice(skills),
                source=Source.NATIVE,
                metadata={"client": "web", "locale": "en"},
            )
            self._conversation(session, n_messages=3 + i % 7, with_artifacts=i % 3 == 0)
            if project is None and i % 4 == 1:
                self._scratch_files(session)

    def _arawn(self) -> None:
        # arawn: uuid ids; scratch sessions with work files, others attached to workstreams.
        attached = ["research-notes", "q3-planning", "docs-site"]
        for i in range(30):
            sid = str(_uid("arawn", i))
            workstream_id = SCRATCH_WORKSTREAM_ID if i % 3 else attached[(i // 3) % 3]
            slug = {"docs-site": "default"}.get(workstream_id, "lab")
            topic = self.rng.choice(TOPICS)
            session = self._session(
                sid=sid,
                minute=40 + i * 67,
                status_row=self.rng.choice(ARAWN_STATUSES),
                workspace=self.workspaces[slug],
                workstream_id=workstream_id,
                title=topic.capitalize(),
                source=Source.ARAWN,
                source_path=f"/home/dev/.arawn/workstreams/{workstream_id}/messages.jsonl",
                metadata={"turn_count": 2 + i % 9, "model": "claude-sonnet"},
            )
            self._conversation(session, n_messages=2 + i % 5, with_artifacts=False)
            if workstream_id == SCRATCH_WORKSTREAM_ID:
                self._scratch_files(session)
            else:
                path = files.attached_session_work_dir(workstream_id, sid) / "notes.md"
                body = f"# {session.title}\n\nAttached from scratch.\n"
                self.files.append((path, body.encode(), sid, workstream_id))

    def _conversation(self, session: Session, *, n_messages: int, with_artifacts: bool):
        conversation = Conversation(
            id=_uid("conversation", session.id),
            project=session.project,
            workspace=session.workspace,
            title=session.title,
            purpose="general",
            status="completed" if session.is_terminated else "active",
            extra_data={"session_id": session.id},
            message_count=n_messages,
        )
        conversation.demo_time = session.created_at
        session.conversation = conversation
        self.conversations.append(conversation)
        for m in range(n_messages):
            created = session.created_at + timedelta(minutes=m * 3 + 1)
            conversation.last_message_at = created
            role = "user" if m % 2 == 0 else "assistant"
            message = Message(
                id=_uid("message", session.id, m),
                conversation=conversation,
                role=role,
                content=(
                    f"Step {m // 2 + 1}: {session.title.lower()}"
                    if role == "user"
                    else f"Done with step {m // 2 + 1}; see the notes."
                ),
                tokens_used=40 + (m * 37) % 900,
            )
            if role == "assistant" and self.rng.random() < 0.6:
                message.tool_calls = self._tool_calls(session.id, m)
            message.demo_time = created
            self.messages.append(message)
        if with_artifacts:
            self._artifacts(conversation, session)

    def _tool_calls(self, session_id: str, m: int) -> list[dict]:
        calls = []
        for c in range(self.rng.randint(1, 3)):
            call_id = f"call_{_uid('call', session_id, m, c).hex[:12]}"
            if self.rng.random() < 0.3:
                name, error = self.rng.choice(TOOL_ERRORS)
                status = self.rng.choice(["error", "failed"])
                calls.append({"id": call_id, "name": name, "status": status, "error": error})
            else:
                name = self.rng.choice(TOOLS_OK)
                calls.append(
                    {"id": call_id, "name": name, "status": "success", "arguments": {"n": c}}
                )
        return calls

    def _artifacts(self, conversation: Conversation, session: Session) -> None:
        for a in range(1 + len(session.id) % 2):
            lineage = _uid("artifact", session.id, a)
            name = ["report.md", "outline.md"][a]
            n_versions = 1 + (a + session.num + len(self.artifacts)) % 3
            parent = None
            for v in range(1, n_versions + 1):
                artifact = Artifact(
                    id=lineage if v == 1 else _uid("artifact", session.id, a, v),
                    lineage=lineage,
                    project=conversation.project,
                    conversation=conversation,
                    name=name,
                    artifact_type="document",
                    content=f"# {session.title}\n\nDraft {v}.\n",
                    version=v,
                    parent_version=parent,
                    is_latest=v == n_versions,
                )
                artifact.demo_time = session.created_at + timedelta(hours=v)
                self.artifacts.append(artifact)
                parent = artifact

    def _scratch_files(self, session: Session) -> None:
        work = files.scratch_session_work_dir(session.id)
        seed = _uid("png", session.id).bytes
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + seed * 8
        for path, data in [
            (work / "notes.md", f"# {session.title}\n\n- first idea\n- second idea\n".encode()),
            (work / "figure.png", png),
            (work / "src" / "analysis.py", b'print("demo analysis")\n'),
            (work / "src" / "data" / "sample.csv", b"id,value\n1,3.5\n2,4.25\n"),
        ]:
            self.files.append((path, data, session.id, SCRATCH_WORKSTREAM_ID))

    # -- saving -------------------------------------------------------------------------

    def save(self) -> None:
        # Rows already there (an earlier run, perhaps changed by a migration since) are
        # neither overwritten nor re-timed: only the rows inserted now get pinned times.
        pinned_models = [
            (Project, self.projects),
            (Conversation, self.conversations),
            (Message, self.messages),
            (Artifact, self.artifacts),
        ]
        new = {model: _pks_missing(model, rows) for model, rows in pinned_models}
        version_keys = {(v.project_id, v.version_number): v.demo_time for v in self.versions}
        versions = ProjectVersion.objects.filter(project__in={k[0] for k in version_keys})
        old_versions = set(versions.values_list("project_id", "version_number"))

        Project.objects.bulk_create(self.projects, ignore_conflicts=True)
        ProjectVersion.objects.bulk_create(self.versions, ignore_conflicts=True)
        Conversation.objects.bulk_create(self.conversations, ignore_conflicts=True)
        Session.objects.bulk_create(self.sessions, ignore_conflicts=True, batch_size=_BATCH)
        Message.objects.bulk_create(self.messages, ignore_conflicts=True, batch_size=_BATCH)
        # Parents first: a version points at the version before it.
        for v in sorted({a.version for a in self.artifacts}):
            Artifact.objects.bulk_create(
                [a for a in self.artifacts if a.version == v], ignore_conflicts=True
            )

        # auto_now_add ignores the values we set; pin the new rows to the demo's clock.
        for model, rows in pinned_models:
            has_updated_at = any(f.name == "updated_at" for f in model._meta.fields)
            pinned = {}
            for row in rows:
                if row.pk in new[model]:
                    pinned[row.pk] = {"created_at": row.demo_time}
                    if has_updated_at:
                        pinned[row.pk]["updated_at"] = row.demo_time
            _timestamps_pin(model, pinned)
        _timestamps_pin(
            ProjectVersion,
            {
                pk: {"created_at": version_keys[(project_id, number)]}
                for pk, project_id, number in versions.values_list(
                    "pk", "project_id", "version_number"
                )
                if (project_id, number) in version_keys and (project_id, number) not in old_versions
            },
        )

    # -- files --------------------------------------------------------------------------

    def files_write(self) -> int:
        """Write the demo files that are missing, only where their session still is."""
        session_ids = {s for _, _, s, _ in self.files if s}
        where = dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "workstream_id"))
        for ws_id, *_rest in WORKSTREAMS:
            files.workstream_dirs_create(ws_id)
        files.workstream_dirs_create(SCRATCH_WORKSTREAM_ID)
        written = 0
        for path, data, session_id, workstream_id in self.files:
            # A session moved since (attached elsewhere) must not get its files back.
            if session_id and where.get(session_id) != workstream_id:
                continue
            written += _file_write_once(path, data)
        return written


def _file_write_once(path: Path, data: bytes) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: an interrupted run never leaves a truncated file behind.
    tmp = path.with_name(f".{path.name}.seed-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def _pks_missing(model: type[models.Model], rows: list) -> set:
    """The primary keys of `rows` that are not in the database yet."""
    pks = [row.pk for row in rows]
    existing = set()
    for start in range(0, len(pks), _BATCH):
        batch = pks[start : start + _BATCH]
        existing.update(model.objects.filter(pk__in=batch).values_list("pk", flat=True))
    return set(pks) - existing


def _timestamps_pin(model: type[models.Model], values: dict) -> None:
    """Set fixed timestamps with one UPDATE … CASE per batch and field (no per-row queries)."""
    keys = list(values)
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        fields_ = {name for pk in batch for name in values[pk]}
        updates = {
            name: Case(
                *[When(pk=pk, then=Value(values[pk][name])) for pk in batch],
                output_field=models.DateTimeField(),
            )
            for name in fields_
        }
        model.objects.filter(pk__in=batch).update(**updates)
