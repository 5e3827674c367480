"""Benchmark: session → project over N sessions × M messages (default 10,000 × 20).

    python -m migration_app.bench.session_to_project                     # SQLite, fresh temp DB
    DATABASE_URL=postgres://… python -m migration_app.bench.session_to_project

Without DATABASE_URL a fresh SQLite database is made in a temporary directory. With it,
the benchmark works inside workspaces of its own (`bench-…`) in that database, migrates
only their sessions, and deletes them afterwards.

The baseline, measured in the same run, is the origin's shape: one session at a time
(TokenDance's script loads a session, creates its project and conversation, re-links
its messages and artifacts, each with its own statements), on a smaller sample.
Figures: seconds and SQL statements, in total and per 1,000 sessions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


def _setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SESSIONHUB_DATA_DIR", tempfile.mkdtemp(prefix="s2p-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG off (as in production: no per-query logging); the key only signs nothing here.
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + uuid.uuid4().hex)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


class QueryCounter:
    """Counts statements through an execute wrapper (nothing is stored per query)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def measured():
    from django.db import connection

    counter = QueryCounter()
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        figures = {"seconds": 0.0, "queries": 0, "cpu": 0.0}
        yield figures
    figures["seconds"] = time.perf_counter() - started
    # This process's CPU (Python + driver); the rest of the wall time is the database
    # server and waiting for a CPU on a shared machine.
    figures["cpu"] = time.process_time() - cpu_started
    figures["queries"] = counter.count


def seed(*, workspace, sessions: int, messages: int, chunk: int = 500) -> None:
    """N sessions, each with a conversation of M messages (one in ten with a failed tool call)."""
    from projects_app.models import Artifact, Conversation, Message
    from sessions_app.models import Session

    base = datetime(2026, 1, 1, tzinfo=UTC)
    statuses = ["pending", "RUNNING", "completed", "failed", "cancelled", "archived"]
    titles = ["Market research", "季度幻灯片", "Fix the code", "Plan a trip", "数据分析"]
    for start in range(0, sessions, chunk):
        count = min(chunk, sessions - start)
        conversations, session_rows, message_rows, artifacts = [], [], [], []
        for n in range(start, start + count):
            conversation = Conversation(workspace=workspace, title=f"c{n}")
            conversations.append(conversation)
            created = base + timedelta(minutes=n)
            session_rows.append(
                Session(
                    id=f"{workspace.slug}-{n:06d}",
                    num=n,
                    workspace=workspace,
                    conversation=conversation,
                    title=titles[n % len(titles)],
                    status=statuses[n % len(statuses)],
                    skill_id="deep_research_v4" if n % 7 == 0 else "",
                    created_at=created,
                    updated_at=created,
                )
            )
            for m in range(messages):
                tool_calls = None
                if m == 1 and n % 10 == 0:
                    tool_calls = [{"name": "web_search", "status": "error", "error": "timeout"}]
                message_rows.append(
                    Message(
                        conversation=conversation,
                        role="user" if m % 2 == 0 else "assistant",
                        content=f"message {m} of session {n} " + "lorem ipsum " * 10,
                        tool_calls=tool_calls,
                    )
                )
            if n % 4 == 0:
                artifacts.append(Artifact(conversation=conversation, name=f"report-{n}.md"))
        Conversation.objects.bulk_create(conversations)
        Session.objects.bulk_create(session_rows)
        Message.objects.bulk_create(message_rows, batch_size=2000)
        Artifact.objects.bulk_create(artifacts)


def baseline_one_by_one(*, workspace) -> int:
    """The origin's shape: every session with its own reads and writes."""
    from django.db import transaction

    from migration_app.legacy import tokendance
    from projects_app.models import Artifact, Message, Project, ProjectVersion
    from sessions_app.models import Session

    migrated = 0
    for session in Session.objects.filter(workspace=workspace, project__isnull=True).order_by("pk"):
        with transaction.atomic():
            messages = list(session.conversation.messages.order_by("created_at"))
            first = next(
                (m.content for m in messages if m.role.lower() == "user" and m.content), None
            )
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
    return migrated


def cleanup(workspaces) -> None:
    """Delete the benchmark's rows, children first, with plain filtered DELETEs."""
    from django.db import connection

    from projects_app.models import Artifact, Conversation, Message, Project, ProjectVersion
    from sessions_app.models import Session

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the tables grew by thousands of rows since the last one
    for workspace in workspaces:
        project_ids = list(Project.objects.filter(workspace=workspace).values_list("pk", flat=True))
        conversation_ids = list(
            Conversation.objects.filter(workspace=workspace).values_list("pk", flat=True)
        )
        Session.objects.filter(workspace=workspace)._raw_delete(connection.alias)
        Message.objects.filter(conversation_id__in=conversation_ids)._raw_delete(connection.alias)
        Artifact.objects.filter(conversation_id__in=conversation_ids)._raw_delete(connection.alias)
        ProjectVersion.objects.filter(project_id__in=project_ids)._raw_delete(connection.alias)
        Conversation.objects.filter(pk__in=conversation_ids)._raw_delete(connection.alias)
        Project.objects.filter(pk__in=project_ids)._raw_delete(connection.alias)
        workspace.delete()


def per_thousand(value: float, sessions: int) -> float:
    return value * 1000 / sessions if sessions else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--baseline-sessions", type=int, default=1000)
    args = parser.parse_args(argv)

    _setup_django()
    from django.db import connection

    from migration_app.services.session_to_project import sessions_migrate_to_projects
    from projects_app.models import Workspace

    tag = uuid.uuid4().hex[:8]
    workspace = Workspace.objects.create(name="bench", slug=f"bench-{tag}")
    baseline_ws = Workspace.objects.create(name="bench baseline", slug=f"bench-base-{tag}")
    try:
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"database: {connection.vendor} ({connection.settings_dict['NAME']}); "
            f"{args.sessions} sessions x {args.messages} messages, batch {args.batch_size}"
        )
        started = time.perf_counter()
        seed(workspace=workspace, sessions=args.sessions, messages=args.messages)
        seed(workspace=baseline_ws, sessions=args.baseline_sessions, messages=args.messages)
        with connection.cursor() as cursor:
            # Fresh planner statistics, as a live database has them (autovacuum would
            # analyse the bulk-loaded tables only later).
            cursor.execute("ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.1f} s (not measured)")

        with measured() as dry:
            dry_run = sessions_migrate_to_projects(
                workspace_slug=workspace.slug, dry_run=True, batch_size=args.batch_size
            )
        with measured() as real:
            run = sessions_migrate_to_projects(
                workspace_slug=workspace.slug, batch_size=args.batch_size
            )
        with measured() as rerun:
            again = sessions_migrate_to_projects(
                workspace_slug=workspace.slug, batch_size=args.batch_size
            )
        with measured() as base:
            base_count = baseline_one_by_one(workspace=baseline_ws)

        assert run.counts["migrated"] == args.sessions, run.counts
        assert again.counts["skipped"] == args.sessions, again.counts
        assert dry_run.counts["migrated"] == run.counts["migrated"]

        rows = [
            ("set-based dry run", args.sessions, dry),
            ("set-based run", args.sessions, real),
            ("set-based re-run (all skipped)", args.sessions, rerun),
            ("baseline: one session at a time", base_count, base),
        ]
        print(
            f"{'':34} {'sessions':>8} {'seconds':>9} {'client cpu':>10} {'queries':>8} "
            f"{'s/1k':>7} {'q/1k':>8}"
        )
        for label, count, figures in rows:
            print(
                f"{label:34} {count:>8} {figures['seconds']:>9.2f} {figures['cpu']:>10.2f} "
                f"{figures['queries']:>8} "
                f"{per_thousand(figures['seconds'], count):>7.2f} "
                f"{per_thousand(figures['queries'], count):>8.1f}"
            )
        speedup = per_thousand(base["seconds"], base_count) / per_thousand(
            real["seconds"], args.sessions
        )
        print(
            f"run counts: migrated {run.counts['migrated']}, messages re-linked "
            f"{run.counts['messages_relinked']}, artifacts re-linked "
            f"{run.counts['artifacts_relinked']}; speed-up over the baseline: {speedup:.1f}x"
        )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        cleanup([workspace, baseline_ws])
    return 0


if __name__ == "__main__":
    sys.exit(main())
