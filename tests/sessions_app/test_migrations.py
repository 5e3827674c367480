"""0008_message_usage backfills usage records for what was imported before it: transcript
messages with a usage (their session's, a subagent's named) and legacy session totals."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sessions_app", "0007_session_agent_session_index")]
AFTER = [("sessions_app", "0008_message_usage")]
AT = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


def test_the_migration_backfills_messages_and_legacy_totals():
    apps = migrate_to(BEFORE)
    try:
        Workspace = apps.get_model("projects_app", "Workspace")
        Conversation = apps.get_model("projects_app", "Conversation")
        Message = apps.get_model("projects_app", "Message")
        Session = apps.get_model("sessions_app", "Session")
        ws = Workspace.objects.get(slug="default")
        own = Conversation.objects.create(workspace=ws, created_at=AT, updated_at=AT)
        times = {"created_at": AT, "updated_at": AT, "workstream_id": "scratch"}
        Session.objects.create(id="s1", workspace=ws, conversation=own, **times)
        sub = Conversation.objects.create(
            workspace=ws, created_at=AT, updated_at=AT,
            extra_data={"parent_session": "s1", "subagent": "helper"},
        )  # fmt: skip
        usage = {"input": 10, "output": 30, "cache_write": 100, "cache_read": 5}
        for conversation in (own, sub):
            Message.objects.create(
                id=uuid.uuid4(), conversation=conversation, role="assistant", created_at=AT,
                extra_data={"source": "claude-code", "model": "claude-sonnet-4-5", "usage": usage},
            )  # fmt: skip
        Message.objects.create(id=uuid.uuid4(), conversation=own, role="user", created_at=AT)
        metadata = {"total_tokens_used": 77}
        Session.objects.create(
            id="td", workspace=ws, source="tokendance", metadata=metadata, **times
        )

        apps = migrate_to(AFTER)
        UsageRecord = apps.get_model("sessions_app", "UsageRecord")
        fields = ("session_id", "subagent", "origin", "total_tokens", "cost_micro_usd")
        rows = sorted(UsageRecord.objects.values_list(*fields))
        assert rows == [
            ("s1", "", "claude-code", 145, 857), ("s1", "helper", "claude-code", 145, 857),
            ("td", "", "tokendance", 77, None),
        ]  # fmt: skip
    finally:
        call_command("migrate", verbosity=0)
