"""migrate_task_backend: every `<from>#<n>` becomes `<to>#<n>` (legacy-formats §8 #10)."""

import pytest

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import MigrationError, migration_undo
from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.migration_app.task_helpers import (
    migrate_task_backend,
    task_ids,
)

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome
Status = MigrationRun.Status


# --- migrate_task_backend -------------------------------------------------------------------


@pytest.fixture
def mixed_sessions():
    stored = {
        "q1": "md#1", "p2": "2", "h3": "#3", "t4": "TASK#4", "hh5": "##5",
        "mt6": "mt#6", "gh7": "gh#7", "word": "update-test", "bad": "md#1#2", "none": "",
        "mdword": "md#update-test",
    }  # fmt: skip
    for sid, value in stored.items():
        SessionFactory(id=sid, task_id=value)
    return stored


def test_migrate_backend_is_a_dry_run_unless_executed(mixed_sessions):
    run = migrate_task_backend(from_backend="md", to_backend="mt")
    assert run.dry_run and run.kind == MigrationRun.Kind.TASK_BACKEND
    assert run.counts["sessions_would_update"] == 6
    assert run.counts["sessions_updated"] == 0
    assert dict(Session.objects.values_list("id", "task_id")) == mixed_sessions


def test_migrate_backend_rewrites_md_and_the_legacy_plain_forms(mixed_sessions):
    run = migrate_task_backend(from_backend="markdown", to_backend="minsky", execute=True)
    assert run.status == Status.SUCCEEDED
    assert run.counts["sessions_updated"] == 6
    assert run.counts["sessions_invalid"] == 1  # md#1#2
    now = dict(Session.objects.values_list("id", "task_id"))
    assert now == {
        **mixed_sessions,
        "q1": "mt#1", "p2": "mt#2", "h3": "mt#3", "t4": "mt#4", "hh5": "mt#5",
        "mdword": "mt#update-test",
    }  # fmt: skip
    # Undo puts every verbatim legacy spelling back.
    migration_undo(run=run)
    assert dict(Session.objects.values_list("id", "task_id")) == mixed_sessions


def test_migrate_backend_between_current_backends_leaves_plain_ids(mixed_sessions):
    run = migrate_task_backend(from_backend="mt", to_backend="gh", execute=True)
    assert run.counts["sessions_updated"] == 1
    assert task_ids("mt6", "p2") == ["gh#6", "2"]


def test_migrate_backend_limit(mixed_sessions):
    run = migrate_task_backend(from_backend="md", to_backend="mt", execute=True, limit=2)
    # In id order the first two are "bad" (md#1#2, refused) and "h3".
    assert run.counts["sessions_found"] == 2
    assert (run.counts["sessions_invalid"], run.counts["sessions_updated"]) == (1, 1)
    assert task_ids("bad", "h3", "hh5") == ["md#1#2", "mt#3", "##5"]
    run.refresh_from_db()
    assert run.progress_total == 2
    rest = migrate_task_backend(from_backend="md", to_backend="mt", execute=True)
    assert rest.counts["sessions_updated"] == 5


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [("md", "jira", "Unknown task backend"), ("mt", "minsky", "same backend")],
)
def test_migrate_backend_refuses_bad_backends(mixed_sessions, source, target, message):
    with pytest.raises(MigrationError, match=message):
        migrate_task_backend(from_backend=source, to_backend=target, execute=True)
    assert dict(Session.objects.values_list("id", "task_id")) == mixed_sessions
