"""The demo's sessions, origin by origin, each with its own id style and status words, and
work for every migration (docs/foundation.md). The demo chooses the words each origin shows
(repeated words are chosen more often); what a word means comes from
migration_app/legacy/status_map.py.
"""

from migration_app.demo.plan import TOPICS, DemoFile, DemoPlan, at, uid
from migration_app.legacy import status_map
from projects_app.models import Project, ProjectVersion, Source
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session

AO_WORDS = [
    "spawning", "working", "working", "needs_input", "pr_open", "ci_failed",
    "review_pending", "stuck", "done", "merged", "errored", "killed",
]  # fmt: skip
# (status, activity): ao-rs keeps the agent's activity beside the status.
AO_RS_WORDS = [
    ("spawning", "ready"), ("working", "active"), ("pr_open", "ready"),
    ("changes_requested", "ready"), ("mergeable", "ready"), ("merge_failed", "blocked"),
    ("needs_input", "waiting_input"), ("merged", "exited"), ("cleanup", "exited"),
    ("errored", "exited"), ("terminated", "exited"),
]  # fmt: skip
MINSKY_WORDS = ["CREATED", "ACTIVE", "ACTIVE", "PR_OPEN", "PR_APPROVED", "MERGED", "CLOSED"]
# TokenDance rows hold upper- and lower-case words; `active` is its deprecated running.
NATIVE_WORDS = [
    "pending", "PENDING", "active", "running", "completed", "failed", "cancelled", "archived",
]  # fmt: skip
# arawn stores no status word: the demo shows one, and `ended` is the only one that ends.
ARAWN_WORDS = ["active", "active", "idle", "ended"]


# ao and ao-rs projects: code in progress, titled by their id.
CODE_PROJECT = {"project_type": Project.ProjectType.CODE, "status": Project.Status.IN_PROGRESS}


def ao(plan: DemoPlan) -> None:
    # ao legacy: project ids verbatim, session ids `{prefix}-{num}` and `{prefix}-orchestrator`.
    for p_index, (pid, prefix, slug, repo) in enumerate(
        [("app", "app", "default", "acme/app"), ("billing-api", "bill", "acme", "acme/billing")]
    ):
        project = plan.project(
            pid=pid,
            title=pid,
            **CODE_PROJECT,
            slug=slug,
            source=Source.AO,
            minute=-2000 + p_index,
            path=f"/home/dev/code/{pid}",
            repo_origin_url=f"git@github.com:{repo}.git",
            config={"sessionPrefix": prefix, "defaultBranch": "main"},
            registered_at=at(-2000 + p_index),
        )
        root = f"/home/dev/.agent-orchestrator/projects/{pid}"
        # Session 0 is the project's orchestrator, the others its workers.
        for n in range(25):
            sid = f"{prefix}-{n or 'orchestrator'}"
            issue = 400 + p_index * 100 + n
            if n == 0:
                word, harness = "working", "claude-code"
                metadata = {"role": "orchestrator", "runtimeName": "tmux"}
                fields = {
                    "kind": Session.Kind.ORCHESTRATOR,
                    "title": f"{pid} orchestrator",
                    "agent_session_id": str(uid("claude", sid)),
                }
            else:
                topic = plan.rng.choice(TOPICS)
                word = plan.rng.choice(AO_WORDS)
                harness = plan.rng.choice(["claude-code", "claude-code", "codex", "aider"])
                metadata = {"runtimeName": "tmux", "summary": f"Working on #{issue}: {topic}"}
                if word in {"pr_open", "ci_failed", "review_pending", "merged", "done"}:
                    metadata["pr"] = f"https://github.com/{repo}/pull/{900 + issue}"
                fields = {
                    "title": topic,
                    "issue_id": str(issue),
                    "issue_url": f"https://github.com/{repo}/issues/{issue}",
                    "branch": f"feat/{issue}-{topic.replace(' ', '-')[:30]}",
                    "agent_session_id": str(uid("agent", sid)) if harness == "claude-code" else "",
                }
            plan.session(
                sid=sid,
                num=n,
                minute=p_index * 3 + n * 41,
                legacy_status=word,
                status=status_map.ao_flat_status(word),
                project=project,
                workspace=plan.workspaces[slug],
                harness=harness,
                workspace_path=f"{root}/worktrees/{sid}",
                runtime_handle_id=f"3f2a9c1b7e4d-{sid}",
                source=Source.AO,
                source_path=f"{root}/sessions/{sid}.json",
                metadata=metadata,
                **fields,
            )


def ao_rs(plan: DemoPlan) -> None:
    # ao-rs: uuid session ids in `~/.ao-rs/sessions/<project>/<uuid>.yaml`.
    projects = [
        plan.project(
            pid=name,
            title=name,
            **CODE_PROJECT,
            slug="acme",
            source=Source.AO_RS,
            minute=-1900 + i,
            path=f"/srv/repos/{name}",
            repo_origin_url=f"https://github.com/acme/{name}.git",
        )
        for i, name in enumerate(["ingest-worker", "search"])
    ]
    for i in range(40):
        project = projects[i % 2]
        sid = str(uid("ao-rs", i))
        word, activity = plan.rng.choice(AO_RS_WORDS)
        topic = plan.rng.choice(TOPICS)
        issue = 57 + i
        metadata = {"activity": activity, "agent": "codex"}
        if i == 7:
            # A value beyond signed 64-bit is kept as a string (DESIGN.md).
            metadata["runtime_cookie"] = "18446744073709551615"
        plan.session(
            sid=sid,
            minute=10 + i * 53,
            legacy_status=word,
            status=status_map.ao_rs_status(word, activity),
            # A third still waits for a project (imported before projects existed).
            project=project if i % 3 else None,
            workspace=plan.workspaces["acme"],
            harness=plan.rng.choice(["codex", "claude-code", "opencode"]),
            title=topic,
            issue_id=f"#{issue}",
            issue_url=f"https://github.com/acme/{project.id}/issues/{issue}",
            branch=f"ao-rs/{sid[:8]}",
            workspace_path=f"/home/dev/.ao-rs/worktrees/{project.id}/{sid[:8]}",
            source=Source.AO_RS,
            source_path=f"/home/dev/.ao-rs/sessions/{project.id}/{sid}.yaml",
            metadata=metadata,
        )


def minsky(plan: DemoPlan) -> None:
    # minsky: `task-md#123` names and uuids; task ids stored plain or qualified.
    for i in range(40):
        number = [123, 124, 131, 45, 46, 210][i % 6]
        backend = "mt" if number < 100 else "md"
        sid = f"task-{backend}#{number}" + (f"-{i}" if i >= 6 else "")
        if i % 4 == 3:
            sid = str(uid("minsky", i))
        # Real rows hold both forms of the same task (legacy-formats §8 #8).
        task_id = [str(number), f"{backend}#{number}", f"{backend}#{number}"][(i // 6) % 3]
        if i % 10 == 9:
            task_id = f"gh#{300 + i}"
        word = plan.rng.choice(MINSKY_WORDS)
        metadata = {
            "repoName": "acme/ledger",
            "repoUrl": "https://github.com/acme/ledger.git",
            "backendType": {"md": "markdown", "mt": "minsky"}[backend],
            "pr_approved": "true" if word in {"PR_APPROVED", "MERGED"} else "false",
        }
        plan.session(
            sid=sid,
            minute=20 + i * 47,
            legacy_status=word,
            status=status_map.minsky_status(word),
            workspace=plan.workspaces["acme"],
            harness="claude-code",
            title=f"Task {task_id}: {plan.rng.choice(TOPICS)}",
            task_id=task_id,
            branch=sid if "#" in sid else f"task-{task_id.replace('#', '-')}",
            workspace_path=f"/home/dev/.local/state/minsky/sessions/{sid}",
            source=Source.MINSKY,
            source_path="/home/dev/.local/state/minsky/session-db.json",
            metadata=metadata,
        )


def native(plan: DemoPlan) -> None:
    # Native (TokenDance) sessions: uuid ids, conversations; most not yet in a project.
    project_specs = [
        ("default", "Competitor pricing study", Project.ProjectType.RESEARCH),
        ("default", "Onboarding guide", Project.ProjectType.DOCUMENT),
        ("lab", "Q3 OKR deck", Project.ProjectType.SLIDES),
        ("lab", "Churn cohort analysis", Project.ProjectType.DATA_ANALYSIS),
    ]
    projects = []
    for i, (slug, title, ptype) in enumerate(project_specs):
        project = plan.project(
            pid=str(uid("project", title)),
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
            plan.add(
                ProjectVersion(
                    project=project,
                    version_number=v,
                    snapshot={"title": title, "status": project.status, "version": v},
                    change_summary=["Created", "Outline agreed", "Milestone: review"][v - 1],
                    change_type=["auto", "manual", "milestone"][v - 1],
                    changed_by="demo",
                    created_at=at(-1500 + i * 30 + v * 90),
                )
            )
    skills = ["deep_research", "ppt_generation", "doc_writer", "data_analyst", ""]
    for i in range(40):
        sid = str(uid("native", i))
        project = projects[i % 4] if i % 5 == 0 else None
        slug = project.workspace.slug if project else ["default", "default", "lab"][(i // 6) % 3]
        topic = plan.rng.choice(TOPICS)
        word = plan.rng.choice(NATIVE_WORDS)
        session = plan.session(
            sid=sid,
            minute=30 + i * 59,
            legacy_status=word,
            status=status_map.tokendance_status(word),
            project=project,
            workspace=plan.workspaces[slug],
            title=topic.capitalize(),
            prompt=f"Please {topic}. Keep a short log of decisions.",
            skill_id=plan.rng.choice(skills),
            source=Source.NATIVE,
            metadata={"client": "web", "locale": "en"},
        )
        plan.conversation(session, n_messages=3 + i % 7, with_artifacts=i % 3 == 0)
        if project is None and i % 4 == 1:
            plan.scratch_files(session)


def arawn(plan: DemoPlan) -> None:
    # arawn: uuid ids; scratch sessions with work files, others attached to workstreams.
    attached = ["research-notes", "q3-planning", "docs-site"]
    for i in range(30):
        sid = str(uid("arawn", i))
        workstream_id = SCRATCH_WORKSTREAM_ID if i % 3 else attached[(i // 3) % 3]
        slug = {"docs-site": "default"}.get(workstream_id, "lab")
        topic = plan.rng.choice(TOPICS)
        word = plan.rng.choice(ARAWN_WORDS)
        session = plan.session(
            sid=sid,
            minute=40 + i * 67,
            legacy_status=word,
            status=status_map.arawn_status(ended=word == "ended"),
            workspace=plan.workspaces[slug],
            workstream_id=workstream_id,
            title=topic.capitalize(),
            source=Source.ARAWN,
            source_path=f"/home/dev/.arawn/workstreams/{workstream_id}/messages.jsonl",
            metadata={"turn_count": 2 + i % 9, "model": "claude-sonnet"},
        )
        plan.conversation(session, n_messages=2 + i % 5, with_artifacts=False)
        if workstream_id == SCRATCH_WORKSTREAM_ID:
            plan.scratch_files(session)
        else:
            path = files.attached_session_work_dir(workstream_id, sid) / "notes.md"
            body = f"# {session.title}\n\nAttached from scratch.\n".encode()
            plan.files.append(DemoFile(path, body, session))


ORIGINS = (ao, ao_rs, minsky, native, arawn)
