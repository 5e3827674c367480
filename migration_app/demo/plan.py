"""The demo's rows and files, built in memory (unsaved): fixed ids, a fixed clock, fixed
choices, so that every run on every machine builds the same rows (docs/foundation.md).
"""

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from migration_app.legacy.status_map import StatusTriple
from projects_app.models import Artifact, Conversation, Message, Project, Workspace
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream

NAMESPACE = uuid.UUID("5e55a0b1-7c4d-4e2f-9b8a-d3e0c1f2a4b6")
BASE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

WORKSPACES = {"default": "Default", "acme": "Acme Payments", "lab": "Research Lab"}

# (id, workspace slug, title, summary)
WORKSTREAMS = [
    ("docs-site", "default", "Docs site", "The public documentation site rebuild."),
    ("payments-revamp", "acme", "Payments revamp", "Checkout and ledger rewrite."),
    ("research-notes", "lab", "Research notes", "Long-running literature review."),
    ("q3-planning", "lab", "Q3 planning", "Planning documents for the third quarter."),
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


class DemoFile(NamedTuple):
    path: Path
    data: bytes
    session: Session | None = None  # written only while this session is where the plan put it


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


def at(minutes: float) -> datetime:
    return BASE_TIME + timedelta(minutes=minutes)


@dataclass
class DemoPlan:
    """Every demo row and file, built but not saved (demo/seed.py saves them)."""

    # A fixed seed: the same "random" choices on every run and every machine.
    rng: random.Random = field(default_factory=lambda: random.Random(20260302))
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    rows: defaultdict[type, list] = field(default_factory=lambda: defaultdict(list))
    files: list[DemoFile] = field(default_factory=list)
    project_nums: Counter[str] = field(default_factory=Counter)

    def add(self, row):
        """`row`, to be inserted (demo/seed.py)."""
        self.rows[type(row)].append(row)
        return row

    def workspaces_get(self) -> None:
        """The demo's workspaces (created now if missing: their rows are needed at once)."""
        for i, (slug, name) in enumerate(WORKSPACES.items()):
            when = at(-4000 + i)
            defaults = dict(id=uid("workspace", slug), name=name, created_at=when, updated_at=when)
            self.workspaces[slug], _ = Workspace.objects.get_or_create(slug=slug, defaults=defaults)
        default = self.workspaces["default"]
        self.add(
            Workstream(
                id=SCRATCH_WORKSTREAM_ID, workspace=default, title="Scratch", is_scratch=True
            )
        )
        for i, (ws_id, slug, title, summary) in enumerate(WORKSTREAMS):
            when = at(-3000 + i * 60)
            self.add(
                Workstream(
                    id=ws_id, workspace=self.workspaces[slug], title=title, summary=summary,
                    created_at=when, updated_at=when,
                )
            )  # fmt: skip
            readme = files.workstream_production_dir(ws_id) / "README.md"
            self.files.append(DemoFile(readme, f"# {title}\n\n{summary}\n".encode()))

    def project(self, *, pid: str, slug: str, minute: int, **fields) -> Project:
        workspace, when = self.workspaces[slug], at(minute)
        return self.add(
            Project(id=pid, workspace=workspace, created_at=when, updated_at=when, **fields)
        )

    def session(
        self,
        *,
        sid: str,
        minute: float,
        legacy_status: str,
        status: StatusTriple,
        project: Project | None = None,
        num: int | None = None,
        **fields,
    ) -> Session:
        """A session showing `legacy_status`, mapped by migration_app/legacy/status_map.py."""
        status_value, activity, terminated = status
        created = at(minute)
        updated = created + timedelta(minutes=self.rng.randint(5, 600))
        if project is not None and num is None:
            self.project_nums[project.id] += 1
            num = self.project_nums[project.id]
        session = Session(
            id=sid,
            num=num or 0,
            project=project,
            status=status_value,
            legacy_status=legacy_status,
            activity_state=activity,
            is_terminated=terminated,
            terminated_at=updated if terminated else None,
            completed_at=updated if status_value == "completed" else None,
            archived_at=updated if status_value == "archived" else None,
            activity_last_at=updated,
            first_signal_at=created + timedelta(seconds=20),
            created_at=created,
            updated_at=updated,
            **fields,
        )
        return self.add(session)

    def conversation(self, session: Session, *, n_messages: int, with_artifacts: bool) -> None:
        """The session's conversation, its messages (with tool calls) and artifacts."""
        conversation = Conversation(
            id=uid("conversation", session.id),
            project=session.project,
            workspace=session.workspace,
            title=session.title,
            purpose="general",
            status="completed" if session.is_terminated else "active",
            extra_data={"session_id": session.id},
            message_count=n_messages,
            created_at=session.created_at,
            updated_at=session.created_at,
        )
        session.conversation = self.add(conversation)
        for m in range(n_messages):
            created = session.created_at + timedelta(minutes=m * 3 + 1)
            conversation.last_message_at = created
            role = "user" if m % 2 == 0 else "assistant"
            message = Message(
                id=uid("message", session.id, m),
                conversation=conversation,
                role=role,
                content=(
                    f"Step {m // 2 + 1}: {session.title.lower()}"
                    if role == "user"
                    else f"Done with step {m // 2 + 1}; see the notes."
                ),
                tokens_used=40 + (m * 37) % 900,
                created_at=created,
            )
            if role == "assistant" and self.rng.random() < 0.6:
                message.tool_calls = [
                    self._tool_call(f"call_{uid('call', session.id, m, c).hex[:12]}", c)
                    for c in range(self.rng.randint(1, 3))
                ]
            self.add(message)
        # One document in 1-3 versions, each pointing at the version before it.
        n_versions = 1 + (session.num + len(self.rows[Artifact])) % 3 if with_artifacts else 0
        lineage = uid("artifact", session.id, 0)
        parent = None
        for v in range(1, n_versions + 1):
            created = session.created_at + timedelta(hours=v)
            parent = Artifact(
                id=lineage if v == 1 else uid("artifact", session.id, 0, v),
                lineage=lineage,
                project=conversation.project,
                conversation=conversation,
                name="report.md",
                artifact_type="document",
                content=f"# {session.title}\n\nDraft {v}.\n",
                version=v,
                parent_version=parent,
                is_latest=v == n_versions,
                created_at=created,
                updated_at=created,
            )
            self.add(parent)

    def _tool_call(self, call_id: str, c: int) -> dict:
        if self.rng.random() < 0.3:
            name, error = self.rng.choice(TOOL_ERRORS)
            status = self.rng.choice(["error", "failed"])
            return {"id": call_id, "name": name, "status": status, "error": error}
        name = self.rng.choice(TOOLS_OK)
        return {"id": call_id, "name": name, "status": "success", "arguments": {"n": c}}

    def scratch_files(self, session: Session) -> None:
        """A scratch session's work tree: notes, an image, nested source and data files."""
        work = files.scratch_session_work_dir(session.id)
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + uid("png", session.id).bytes * 8
        self.files += [
            DemoFile(path, data, session)
            for path, data in [
                (work / "notes.md", f"# {session.title}\n\n- first idea\n- second idea\n".encode()),
                (work / "figure.png", png),
                (work / "src" / "analysis.py", b'print("demo analysis")\n'),
                (work / "src" / "data" / "sample.csv", b"id,value\n1,3.5\n2,4.25\n"),
            ]
        ]
