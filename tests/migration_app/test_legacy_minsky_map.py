"""One minsky record → the hub's session fields (legacy/minsky_map.py). DB-free."""

import datetime as dt

import pytest

from migration_app.legacy.minsky import RawRecord
from migration_app.legacy.minsky_map import (
    EPOCH_MS_FROM,
    RecordRejected,
    branch_from_task_id,
    coerce_created_at,
    minsky_session_map,
)
from migration_app.legacy.minsky_sample import SAMPLE_TOKEN

UTC = dt.UTC


def mapped(**data):
    record = {"sessionId": "s1", "repoName": "acme/w", "repoUrl": "https://x/acme/w.git",
              "createdAt": "2025-01-01T00:00:00Z", **data}  # fmt: skip
    return minsky_session_map(RawRecord(1, record), source="session-db.json")


# --- createdAt: minsky's coercion ----------------------------------------------------------

SECONDS_EDGE = EPOCH_MS_FROM - 1  # the largest number read as seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Numbers: below 1e12 epoch seconds, from 1e12 on milliseconds (both sides of the rule).
        (1700000000, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000000, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (999_999_999_999, None),  # seconds: year ~33658, beyond a datetime
        (1_000_000_000_000, dt.datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)),  # milliseconds
        (0, dt.datetime(1970, 1, 1, tzinfo=UTC)),
        ("1700000000", dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # numeric text
        ("1700000000000", dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        # Text: SQL-like as UTC, ISO with or without an offset (none: UTC), a date.
        ("2023-01-01 10:00:00", dt.datetime(2023, 1, 1, 10, tzinfo=UTC)),
        ("2025-03-01T08:00:00.000Z", dt.datetime(2025, 3, 1, 8, tzinfo=UTC)),
        ("2025-01-06T12:00:00+02:00", dt.datetime(2025, 1, 6, 10, tzinfo=UTC)),
        ("2025-01-07", dt.datetime(2025, 1, 7, tzinfo=UTC)),
        (" 2025-01-07T01:02:03 ", dt.datetime(2025, 1, 7, 1, 2, 3, tzinfo=UTC)),
        ("2025", dt.datetime(2025, 1, 1, tzinfo=UTC)),  # JavaScript's year-only date
        ("2025-03", dt.datetime(2025, 3, 1, tzinfo=UTC)),
        ("Wed, 05 Mar 2025 08:00:00 GMT", dt.datetime(2025, 3, 5, 8, tzinfo=UTC)),  # toUTCString
        ("1_700_000_000", None),  # Number() has no separators
        (dt.datetime(2025, 5, 5, 5, 5, tzinfo=UTC), dt.datetime(2025, 5, 5, 5, 5, tzinfo=UTC)),
        (dt.datetime(2025, 5, 5, 5, 5), dt.datetime(2025, 5, 5, 5, 5, tzinfo=UTC)),
        # Unreadable: None (minsky falls back to "now"; the importer says so).
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_created_at_coercion(value, expected):
    assert coerce_created_at(value) == expected


def test_the_seconds_milliseconds_rule_is_1e12():
    assert EPOCH_MS_FROM == 1e12
    below = coerce_created_at(999_999_999)  # seconds
    at = coerce_created_at(1_000_000_000_000)  # milliseconds
    assert below == dt.datetime(2001, 9, 9, 1, 46, 39, tzinfo=UTC)
    assert at == dt.datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
    assert coerce_created_at(SECONDS_EDGE) is None  # read as seconds, out of range


def test_unreadable_created_at_is_noted():
    assert mapped(createdAt="yesterday").created_at is None
    assert (
        "createdAt 'yesterday' unreadable; import time used" in mapped(createdAt="yesterday").notes
    )


def test_activity_falls_back_to_created_at():
    assert mapped().activity_last_at == dt.datetime(2025, 1, 1, tzinfo=UTC)
    later = mapped(lastActivityAt="2025-01-02T00:00:00Z").activity_last_at
    assert later == dt.datetime(2025, 1, 2, tzinfo=UTC)


# --- task ids: minsky's storage table, through the mapper -------------------------------------

# Every row of legacy-formats §5.1: (taskId, stored task_id)
TASK_TABLE = [
    ("123", "md#123"), ("#123", "md#123"), ("Task#123", "md#123"), ("##123", "md#123"),
    ("TASK#283", "md#283"), ("mt#123", "mt#123"), ("gh#9", "gh#9"),
    ("md#update-test", "md#update-test"), ("task#283", "task#283"), ("mt#1#2", "mt#1#2"),
    ("update-test", "update-test"), ("a b", ""), ("MT#1", ""), (" mt#5 ", "mt#5"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "stored"), TASK_TABLE)
def test_task_ids_are_qualified_on_the_way_in(raw, stored):
    session = mapped(taskId=raw)
    assert session.task_id == stored
    assert session.metadata["task_id_raw"] == raw  # always kept verbatim
    unreadable = [n for n in session.notes if "normalises to no task id" in n]
    assert bool(unreadable) == (stored == "")


def test_no_task_id_means_an_empty_one_without_a_note():
    session = mapped()
    assert session.task_id == "" and "task_id_raw" not in session.metadata
    assert not [n for n in session.notes if "task" in n.lower() and "branch" not in n]


# --- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status", "activity", "terminated"),
    [
        ("CREATED", "pending", "idle", False),
        ("ACTIVE", "running", "idle", False),
        ("PR_OPEN", "running", "idle", False),
        ("PR_APPROVED", "running", "idle", False),
        ("MERGED", "completed", "exited", True),
        ("CLOSED", "cancelled", "exited", True),
    ],
)
def test_status_by_design_md(word, status, activity, terminated):
    session = mapped(status=word)
    assert (session.status, session.activity_state, session.is_terminated) == (
        status, activity, terminated,
    )  # fmt: skip
    assert session.legacy_status == word


def test_no_status_is_pending_and_an_unknown_one_is_pending_kept_verbatim_with_a_note():
    session = mapped()
    assert (session.status, session.legacy_status) == ("pending", "")
    assert not any("status" in note for note in session.notes)
    for word in ("PAUSED", "active"):  # minsky stores upper case: `active` is not its word
        session = mapped(status=word)
        assert (session.status, session.activity_state, session.is_terminated) == (
            "pending", "idle", False,
        )  # fmt: skip
        assert session.legacy_status == session.metadata["status"] == word
        assert f"status {word!r} is not a minsky status; imported as pending" in session.notes
    assert mapped(status=7).legacy_status == "7"  # not text: still imported, never rejected


# --- branch, workspace, links ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task_id", "branch"),
    [("mt#123", "task/mt-123"), ("md#update-test", "task/md-update-test"),
     ("task#283", "task/task-283"), ("mt#1#2", "mt#1#2"), ("update-test", "update-test")],
)  # fmt: skip
def test_branch_is_derived_as_minsky_derives_it(task_id, branch):
    assert branch_from_task_id(task_id) == branch


def test_branch_then_pr_branch_then_derived_with_a_note():
    assert mapped(branch="feature/x", prBranch="pr/s1").branch == "feature/x"
    assert mapped(prBranch="pr/s1").branch == "pr/s1"
    derived = mapped(taskId="123")
    assert derived.branch == "task/md-123"
    assert "branch derived as minsky derives it: task/md-123" in derived.notes
    assert mapped().branch == "s1"  # no task: the session id, as minsky falls back


@pytest.mark.parametrize("key", ["repoPath", "workspacePath", "sessionPath"])
def test_workspace_path_from_any_age(key):
    assert mapped(**{key: "/work/s1"}).workspace_path == "/work/s1"


def test_links_and_metadata_verbatim():
    pull = {"number": 4, "url": "https://gh/pull/4", "state": "open"}
    session = mapped(
        agentId="agent-1", pullRequest=pull, prState={"branchName": "pr/s1"}, prApproved=True,
        commitCount=3, lastCommitHash="abc", lastCommitMessage="m", backendType="github",
        shortId="ws#7", interfaceBinding={"kind": "tab"}, projectId="p-1",
    )  # fmt: skip
    assert (session.agent_session_id, session.issue_url, session.project_id) == (
        "agent-1", "https://gh/pull/4", "p-1",
    )  # fmt: skip
    meta = session.metadata
    assert meta["pullRequest"] == pull and meta["prApproved"] is True
    assert (meta["commitCount"], meta["shortId"], meta["backendType"]) == (3, "ws#7", "github")
    assert meta["interfaceBinding"] == {"kind": "tab"} and "sessionId" not in meta


def test_issue_url_falls_back_to_the_github_html_url():
    pull = {"number": 4, "github": {"htmlUrl": "https://gh/pull/4"}}
    assert mapped(pullRequest=pull).issue_url == "https://gh/pull/4"


# --- secrets ----------------------------------------------------------------------------------


def test_secrets_are_dropped_at_any_depth_and_the_record_says_so():
    session = mapped(
        github={"owner": "acme", "repo": "w", "token": SAMPLE_TOKEN},
        interfaceBinding={"kind": "tab", "nested": [{"apiSecret": "x", "ok": 1}]},
        password="hunter2",
        repoUrl=f"https://x-access-token:{SAMPLE_TOKEN}@github.com/acme/w.git",
    )
    assert SAMPLE_TOKEN not in repr(session) and "hunter2" not in repr(session)
    assert session.metadata["github"] == {"owner": "acme", "repo": "w"}
    assert session.metadata["interfaceBinding"]["nested"] == [{"ok": 1}]
    assert session.repo_url == "https://github.com/acme/w.git"
    assert sorted(session.secrets_dropped) == [
        "github.token", "interfaceBinding.nested[0].apiSecret", "password",
        "repoUrl (credentials in the URL)",
    ]  # fmt: skip
    assert any(n.startswith("secrets dropped: ") for n in session.notes)


# --- ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "message"),
    [({"repoName": "r"}, "has no session id"), ({"sessionId": 5}, "is not usable text"),
     ({"sessionId": "x" * 256}, "is not usable text"), ({"session": " s "}, "is not usable")],
)  # fmt: skip
def test_records_without_a_usable_id_are_rejected(record, message):
    with pytest.raises(RecordRejected, match=message):
        minsky_session_map(RawRecord(3, record), source="f")


def test_ids_are_kept_verbatim():
    assert minsky_session_map(RawRecord(1, {"session": "task-md#123"}), source="f").id == (
        "task-md#123"
    )
