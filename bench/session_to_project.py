"""Session → project over 10,000 sessions × 20 messages; target < 15 s.

Each round times the dry run, the run, a re-run (every session skipped) and the undo,
next to a baseline in the origin's shape, one session at a time on a smaller sample,
rolled back (docs/session-to-project.md).
"""

from datetime import UTC, datetime, timedelta
from functools import partial

from bench import harness

FAILED_CALLS = [{"name": "web_search", "status": "error", "error": "timeout"}]


def seed(*, workspace, sessions: int, messages: int, chunk: int = 500) -> None:
    from projects_app.models import Artifact, Conversation, Message
    from sessions_app.models import Session

    base = datetime(2026, 1, 1, tzinfo=UTC)
    statuses = ["pending", "RUNNING", "completed", "failed", "cancelled", "archived"]
    titles = ["Market research", "季度幻灯片", "Fix the code", "Plan a trip", "数据分析"]
    for start in range(0, sessions, chunk):
        conversations, session_rows, message_rows, artifacts = [], [], [], []
        for n in range(start, min(start + chunk, sessions)):
            conversation = Conversation(workspace=workspace, title=f"c{n}")
            conversations.append(conversation)
            session_rows.append(
                Session(
                    id=f"{workspace.slug}-{n:06d}",
                    num=n,
                    workspace=workspace,
                    conversation=conversation,
                    title=titles[n % len(titles)],
                    status=statuses[n % len(statuses)],
                    skill_id="deep_research_v4" if n % 7 == 0 else "",
                    created_at=base + timedelta(minutes=n),
                )
            )
            for m in range(messages):
                message_rows.append(
                    Message(
                        conversation=conversation,
                        role="user" if m % 2 == 0 else "assistant",
                        content=f"message {m} of session {n} " + "lorem ipsum " * 10,
                        tool_calls=FAILED_CALLS if m == 1 and n % 10 == 0 else None,
                    )
                )
            if n % 4 == 0:
                artifacts.append(Artifact(conversation=conversation, name=f"report-{n}.md"))
        Conversation.objects.bulk_create(conversations)
        Session.objects.bulk_create(session_rows)
        Message.objects.bulk_create(message_rows, batch_size=2000)
        Artifact.objects.bulk_create(artifacts)


def one_at_a_time(*, workspace) -> int:
    """The origin's shape: every session with its own reads and writes; rolled back."""
    from django.db import transaction

    from migration_app.legacy import tokendance
    from projects_app.models import Artifact, Message, Project, ProjectVersion
    from sessions_app.models import Session

    migrated = 0
    with transaction.atomic():
        for session in Session.objects.filter(workspace=workspace).order_by("pk"):
            with transaction.atomic():
                messages = list(session.conversation.messages.order_by("created_at"))
                first = next((m.content for m in messages if m.role == "user" and m.content), None)
                failures = tokendance.failures_extract(
                    [tokendance.ToolCallMessage(m.tool_calls, m.created_at) for m in messages],
                    now=datetime.now(UTC),
                )
                project = Project.objects.create(
                    workspace=workspace,
                    title=tokendance.project_title_for(session.title),
                    project_type=tokendance.project_type_infer(
                        skill_id=session.skill_id, title=session.title
                    ),
                    status=tokendance.project_status_for(session.status),
                    intent=tokendance.intent_extract(first_user_message=first, title=session.title),
                    context=tokendance.project_context_for(failures),
                )
                conversation = session.conversation
                conversation.project = project
                conversation.message_count = len(messages)
                conversation.save()
                Message.objects.filter(conversation=conversation).update(conversation=conversation)
                Artifact.objects.filter(conversation=conversation).update(project=project)
                ProjectVersion.objects.create(project=project, version_number=1)
                session.project = project
                session.save(update_fields=["project"])
                migrated += 1
        transaction.set_rollback(True)
    return migrated


def main(argv=None) -> None:
    with harness.scratch_run(
        __doc__, argv, sessions=10_000, messages=20, batch_size=1000, baseline_sessions=1000
    ) as args:
        from django.db import connection

        from migration_app.dispatch import migration_run_dispatch
        from migration_app.services import migration_undo
        from migration_app.services.session_to_project import KIND
        from projects_app.models import Workspace

        workspace = Workspace.objects.create(name="bench", slug="bench")
        sample = Workspace.objects.create(name="bench baseline", slug="bench-baseline")
        seed(workspace=workspace, sessions=args.sessions, messages=args.messages)
        seed(workspace=sample, sessions=args.baseline_sessions, messages=args.messages)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would on a live database
        harness.header(
            f"session -> project: {args.sessions:,} sessions x {args.messages} messages, "
            f"batch {args.batch_size}; baseline on {args.baseline_sessions:,}"
        )
        dispatch = partial(
            migration_run_dispatch, kind=KIND, workspace_slug="bench", batch_size=args.batch_size
        )
        baseline = "baseline: one session at a time"
        figures = harness.Figures(reference=baseline)
        for _ in range(args.rounds):
            n = args.sessions
            dry = figures.time("dry run", partial(dispatch, dry_run=True), items=n)
            run = figures.time("run", dispatch, items=n)
            again = figures.time("re-run (all skipped)", dispatch, items=n)
            figures.time("undo", partial(migration_undo, run=run), items=n)
            done = figures.time(
                baseline, partial(one_at_a_time, workspace=sample), items=args.baseline_sessions
            )
            assert dry.counts["migrated"] == run.counts["migrated"] == n, run.counts
            assert again.counts["skipped"] == n and done == args.baseline_sessions, again.counts
        figures.print()
        harness.target("session -> project < 15 s", met=figures.median("run") < 15)


if __name__ == "__main__":
    main()
