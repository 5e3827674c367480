"""Stores written as ao's own code writes them, imported and compared field by field with
what ao itself shows (issue 13): every lifecycle state × PR state in every encoding, a V1
file before and after `ao migrate-storage`, the quarantine rewrite, config `registeredAt`.
"""

import datetime as dt
import json

import pytest

from migration_app.models import MigrationItem, MigrationRun
from projects_app.models import Project
from sessions_app.models import Session
from tests.migration_app import ao_corpus as corpus
from tests.migration_app.legacy_helpers import import_committing

pytestmark = pytest.mark.django_db
Outcome = MigrationItem.Outcome
# What differs between two files of one session by construction: its id, its number and
# the file it came from; nothing else may.
BOOKKEEPING = {"id", "num", "source_path", "metadata"}


def rows_by_id() -> dict[str, dict]:
    return {row["id"]: row for row in Session.objects.values()}


def without(row: dict, keys: set[str]) -> dict:
    return {k: v for k, v in row.items() if k not in keys}


@pytest.fixture
def encodings_store(tmp_path):
    """Each corpus case three times: lifecycle object (V2), statePayload string (older V2),
    and a V1 key=value file in a hash directory."""
    root = tmp_path / "ao"
    v2, v1 = root / "projects/app/sessions", root / "0123456789ab-app/sessions"
    for n, (state, reason, pr) in enumerate(corpus.corpus_cases(), 1):
        life = corpus.lifecycle(state, reason, pr, n)
        corpus.write(v2 / f"lc-{n}.json", corpus.json_bytes(corpus.v2_session(n, "app", life)))
        payload = corpus.state_payload_session(n, "app", life)
        corpus.write(v2 / f"sp-{n}.json", corpus.json_bytes(payload))
        corpus.write(v1 / f"kv-{n}", corpus.v1_key_value(n, "app", life))
    return root


def test_every_state_and_pr_state_shows_what_ao_shows_in_every_encoding(
    encodings_store, claude_home
):
    run = import_committing(
        source="ao", path=str(encodings_store), claude_home=str(claude_home),
        include_terminated=True,
    )  # fmt: skip
    assert run.status == MigrationRun.Status.SUCCEEDED, run.items.filter(outcome=Outcome.FAILED)
    rows = rows_by_id()
    for n, (state, reason, pr) in enumerate(corpus.corpus_cases(), 1):
        expected = corpus.ao_shows(state, reason, pr)
        lc, sp, kv = rows[f"lc-{n}"], rows[f"sp-{n}"], rows[f"kv-{n}"]
        assert lc["legacy_status"] == expected, (state, reason, pr)
        # The same session, whichever encoding ao wrote it in, is the same row.
        assert without(sp, BOOKKEEPING) == without(lc, BOOKKEEPING), (state, reason, pr)
        assert without(kv, BOOKKEEPING) == without(lc, BOOKKEEPING), (state, reason, pr)
        # The lifecycle stays readable, verbatim, in metadata.
        assert lc["metadata"]["lifecycle"] == corpus.lifecycle(state, reason, pr, n)
        assert json.loads(sp["metadata"]["statePayload"]) == lc["metadata"]["lifecycle"]
        assert kv["metadata"]["lifecycle"] == lc["metadata"]["lifecycle"]


def test_status_activity_and_scope_still_follow_the_session_state(encodings_store, claude_home):
    """An idle session whose PR merged is live: imported, running, showing `merged`."""
    import_committing(source="ao", path=str(encodings_store), claude_home=str(claude_home))
    rows = rows_by_id()
    cases = list(enumerate(corpus.corpus_cases(), 1))
    merged_idle = next(
        n for n, (state, _, pr) in cases if state == "idle" and pr == ("merged", "merged")
    )
    row = rows[f"lc-{merged_idle}"]
    assert (row["legacy_status"], row["status"], row["activity_state"]) == (
        "merged", "running", "idle",
    )  # fmt: skip
    assert not row["is_terminated"]
    for n, (state, _, _) in cases:
        assert (f"lc-{n}" in rows) == (state not in ("done", "terminated"))
    assert Session.objects.filter(legacy_status="ci_failed").count() == 3 * 2  # idle, working


def v1_and_migrated_stores(tmp_path) -> tuple[str, str]:
    """The same sessions before `ao migrate-storage` (V1 key=value) and after (V2 JSON)."""
    before, after = tmp_path / "before", tmp_path / "after"
    for n, (state, reason, pr) in enumerate(corpus.corpus_cases(), 1):
        life = corpus.lifecycle(state, reason, pr, n)
        corpus.write(
            before / "0123456789ab-app/sessions" / f"app-{n}", corpus.v1_key_value(n, "app", life)
        )
        migrated = corpus.migrate_storage_session(n, "app", life)
        corpus.write(after / "projects/app/sessions" / f"app-{n}.json", corpus.json_bytes(migrated))
    return str(before), str(after)


def test_a_v1_store_imports_as_it_would_after_ao_migrate_storage(tmp_path, claude_home):
    before, after = v1_and_migrated_stores(tmp_path)
    import_committing(
        source="ao", path=before, claude_home=str(claude_home), include_terminated=True
    )
    from_v1 = {k: without(v, {"source_path"}) for k, v in rows_by_id().items()}
    Session.objects.all().delete()
    Project.objects.all().delete()
    import_committing(
        source="ao", path=after, claude_home=str(claude_home), include_terminated=True
    )
    from_v2 = {k: without(v, {"source_path"}) for k, v in rows_by_id().items()}
    assert len(from_v1) == len(corpus.corpus_cases())
    assert from_v1 == from_v2  # every column, metadata included
    sample = from_v1["app-1"]["metadata"]
    assert sample["prAutoDetect"] is True and sample["dashboard"]["port"] == 3001
    assert isinstance(sample["runtimeHandle"], dict) and "stateVersion" not in sample


def test_the_file_ao_rewrites_after_quarantining_a_corrupt_one_is_a_session(tmp_path, claude_home):
    sessions = tmp_path / "ao/projects/app/sessions"
    life = corpus.lifecycle("working", "task_in_progress", ("none", "not_created"), 1)
    corpus.write(sessions / "app-1.json", corpus.json_bytes(corpus.v2_session(1, "app", life)))
    sibling = corpus.quarantine(sessions, "app-2")
    for _ in range(2):  # a re-run too
        run = import_committing(
            source="ao", path=str(tmp_path / "ao"), claude_home=str(claude_home)
        )
        assert run.status == MigrationRun.Status.SUCCEEDED
    session = Session.objects.get(pk="app-2")
    assert session.legacy_status == "unknown"
    assert (session.status, session.activity_state, session.is_terminated) == (
        "pending", "idle", False,
    )  # fmt: skip
    assert session.branch == "feat/x"
    first = MigrationRun.objects.order_by("started_at").first()
    item = first.items.get(subject_type="session", subject_id="app-2")
    assert item.outcome == Outcome.MIGRATED and sibling.name in item.reason
    assert first.counts["files_skipped"] == 1  # the .corrupt-* file itself


def test_config_registered_at_wins_over_the_registry_and_the_mtime(tmp_path, claude_home):
    root = tmp_path / "ao"
    seconds, millis = 1_760_000_000, 1_761_000_000_000
    config = corpus.config_yaml(
        {
            "secs": {"path": "/srv/secs", "registeredAt": seconds},
            "millis": {"path": "/srv/millis", "registeredAt": millis},
            "plain": {"path": "/srv/plain"},
        }
    )
    corpus.write(root / "config.yaml", config, mtime=1_767_225_600)
    registry = {"version": 1, "projects": [{"path": "/srv/secs", "addedAt": CREATED_ISO}]}
    corpus.write(root / "portfolio/registered.json", json.dumps(registry).encode())
    corpus.write(root / "projects/secs/sessions/secs-1.json", b'{"status": "working"}\n')
    import_committing(source="ao", path=str(root), claude_home=str(claude_home))
    registered = dict(Project.objects.values_list("id", "registered_at"))
    assert registered["secs"] == dt.datetime.fromtimestamp(seconds, dt.UTC)
    assert registered["millis"] == dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
    assert registered["plain"] == dt.datetime.fromtimestamp(1_767_225_600, dt.UTC)


CREATED_ISO = "2026-02-01T00:00:00Z"


def test_the_rest_of_the_v1_layout_imports_with_notes_on_its_items(tmp_path, claude_home):
    root = tmp_path / "ao"
    corpus.write(root / "0123456789ab/sessions/app-1", b"project=app\nstatus=working\n")
    corpus.write(root / "0123456789ab/sessions/loose-1", b"status=working\n")
    older = b"status=working\ncreatedAt=2026-01-02T00:00:00Z\n"
    corpus.write(root / "111111111111-app/sessions/app-2", older)
    corpus.write(root / "222222222222-app/sessions/app-2", older.replace(b"02T", b"03T"))
    archive = root / "333333333333-app/sessions/archive"
    corpus.write(archive / "app-3_20260420T143052Z", b"status=idle\n")
    corpus.write(root / "444444444444-observability/sessions/x-1", b"status=working\n")
    run = import_committing(
        source="ao", path=str(root), claude_home=str(claude_home), include_terminated=True
    )
    assert run.status == MigrationRun.Status.SUCCEEDED
    projects = dict(Session.objects.values_list("id", "project_id"))
    assert projects == {
        "app-1": "app",
        "loose-1": "0123456789ab",
        "app-2": "app",
        "app-2__from-111111111111": "app",
        "app-3": "app",
    }
    reasons = dict(run.items.filter(subject_type="session").values_list("subject_id", "reason"))
    assert "named after the directory 0123456789ab" in reasons["loose-1"]
    assert "as ao migrate-storage renames it" in reasons["app-2__from-111111111111"]
    archived = Session.objects.get(pk="app-3")
    assert archived.is_terminated and archived.legacy_status == "idle"
