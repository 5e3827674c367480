"""Factories shared by every test module."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from migration_app.models import LegacyImport, MigrationItem, MigrationRun
from projects_app.models import (
    Artifact,
    Conversation,
    Message,
    Project,
    ProjectVersion,
    Workspace,
)
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, UsageRecord, Workstream

BASE_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")
    is_active = True


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"ws-{n}")


def default_workspace() -> Workspace:
    return Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    workspace = factory.LazyFunction(default_workspace)
    title = factory.Sequence(lambda n: f"Project {n}")


class WorkstreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workstream

    id = factory.Sequence(lambda n: f"stream-{n}")
    workspace = factory.LazyFunction(default_workspace)
    title = factory.LazyAttribute(lambda o: o.id)


def scratch_workstream() -> Workstream:
    return Workstream.objects.get(id=SCRATCH_WORKSTREAM_ID)


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    workspace = factory.LazyFunction(default_workspace)
    title = factory.Sequence(lambda n: f"Conversation {n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    role = Message.Role.USER
    content = factory.Sequence(lambda n: f"message {n}")


class ArtifactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artifact

    name = factory.Sequence(lambda n: f"artifact-{n}.md")
    content = "# Draft\n"


class ProjectVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectVersion

    project = factory.SubFactory(ProjectFactory)
    version_number = factory.Sequence(lambda n: n + 1)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    id = factory.Sequence(lambda n: f"session-{n}")
    num = factory.Sequence(lambda n: n + 1)
    workspace = factory.LazyFunction(default_workspace)
    title = factory.Sequence(lambda n: f"Session {n}")
    created_at = factory.Sequence(lambda n: BASE_TIME + dt.timedelta(minutes=n))
    updated_at = factory.LazyAttribute(lambda o: o.created_at)


class UsageRecordFactory(factory.django.DjangoModelFactory):
    """One API message's tokens (Sonnet 4.5: 1000 in, 100 out = 4,500 µ$)."""

    class Meta:
        model = UsageRecord

    key = factory.Sequence(lambda n: f"test:{n}")
    session = factory.SubFactory(SessionFactory)
    workspace = factory.LazyAttribute(lambda o: o.session.workspace)
    origin = UsageRecord.Origin.CLAUDE_CODE
    model = "claude-sonnet-4-5"
    occurred_at = factory.LazyAttribute(lambda o: o.session.created_at)
    input_tokens = 1000
    output_tokens = 100
    total_tokens = 1100
    cost_micro_usd = 4500
    price_version = "test"


class MigrationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MigrationRun

    kind = MigrationRun.Kind.LEGACY_IMPORT
    status = MigrationRun.Status.RUNNING


class MigrationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MigrationItem

    run = factory.SubFactory(MigrationRunFactory)
    subject_type = "session"
    subject_id = factory.Sequence(lambda n: f"subject-{n}")
    outcome = MigrationItem.Outcome.MIGRATED


def undo_replaced(monkeypatch, kind: str, undo) -> None:
    """For one test, `kind` is undone by `undo(run) -> UndoResult`."""
    import dataclasses

    from migration_app.services import journal

    replaced = dataclasses.replace(journal.migration_kind_get(kind), undo=undo)
    monkeypatch.setitem(journal._KINDS, kind, replaced)


def base_rows_ensure() -> None:
    """The rows the data migrations create; transactional tests flush them away."""
    workspace, _ = Workspace.objects.get_or_create(
        slug=Workspace.DEFAULT_SLUG, defaults={"name": "Default"}
    )
    Workstream.objects.get_or_create(
        id=SCRATCH_WORKSTREAM_ID,
        defaults={"workspace": workspace, "title": "Scratch", "is_scratch": True},
    )


def api_key_for(user, *, name: str = "test key") -> str:
    """A fresh API key of `user`; returns the secret (the only time it is known)."""
    from projects_app.services import api_key_create

    return api_key_create(user=user, name=name)[1]


class LegacyImportFactory(MigrationRunFactory):
    """A legacy_import run seen through the "Legacy imports" proxy."""

    class Meta:
        model = LegacyImport

    kind = MigrationRun.Kind.LEGACY_IMPORT


def transcript_session(*, workspace=None, messages: int = 4, subagent_messages: int = 2):
    """A session whose conversation holds `messages` messages, one a minute from BASE_TIME
    (the first two share a timestamp, so order falls to the id), and a subagent
    conversation (`extra_data.parent_session`, subagent "explorer") interleaved with it."""
    workspace = workspace or default_workspace()
    conversation = ConversationFactory(workspace=workspace)
    session = SessionFactory(workspace=workspace, conversation=conversation)
    sub = ConversationFactory(
        workspace=workspace,
        extra_data={"parent_session": session.pk, "subagent": "explorer"},
    )
    for n in range(messages):
        MessageFactory(
            conversation=conversation,
            role=Message.Role.ASSISTANT if n % 2 else Message.Role.USER,
            created_at=BASE_TIME + dt.timedelta(minutes=max(n, 1)),
            extra_data={"model": "claude-sonnet-4-5", "usage": {"input": n, "output": 1}}
            if n % 2
            else {},
        )
    for n in range(subagent_messages):
        MessageFactory(
            conversation=sub,
            role=Message.Role.TOOL,
            tool_call_id=f"toolu_{n}",
            extra_data={"is_error": True},
            created_at=BASE_TIME + dt.timedelta(minutes=n + 1, seconds=30),
        )
    return session
