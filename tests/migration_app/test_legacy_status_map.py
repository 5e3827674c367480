"""DESIGN.md's status vocabulary table, row by row, against the lookup tables."""

import pytest

from migration_app.legacy import status_map as sm

PENDING = ("pending", "idle", False)
RUNNING_IDLE = ("running", "idle", False)
COMPLETED = ("completed", "exited", True)
FAILED = ("failed", "exited", True)
CANCELLED = ("cancelled", "exited", True)
AO_FLAT_RUNNING_IDLE = (
    "detecting", "pr_open", "ci_failed", "review_pending", "changes_requested", "approved",
    "mergeable", "stuck", "idle",
)  # fmt: skip


@pytest.mark.parametrize(
    "word, expected",
    [
        ("CREATED", PENDING),
        ("ACTIVE", RUNNING_IDLE),
        ("PR_OPEN", RUNNING_IDLE),
        ("PR_APPROVED", RUNNING_IDLE),
        ("MERGED", COMPLETED),
        ("CLOSED", CANCELLED),
        # minsky stores its enum in upper case: anything else is not a minsky word.
        ("created", None),
        ("OPEN", None),
        ("", None),
    ],
)
def test_minsky(word, expected):
    assert sm.minsky_status(word) == expected


@pytest.mark.parametrize(
    "word, expected",
    [
        ("pending", PENDING),
        ("PENDING", PENDING),
        ("running", ("running", "active", False)),
        ("RUNNING", ("running", "active", False)),
        # The deprecated spelling of running.
        ("active", ("running", "active", False)),
        ("Active", ("running", "active", False)),
        ("completed", COMPLETED),
        ("failed", FAILED),
        ("CANCELLED", CANCELLED),
        ("archived", ("archived", "exited", True)),
        (" running ", ("running", "active", False)),
        ("paused", None),
        ("", None),
    ],
)
def test_tokendance_is_case_insensitive(word, expected):
    assert sm.tokendance_status(word) == expected


@pytest.mark.parametrize("ended, expected", [(True, COMPLETED), (False, RUNNING_IDLE)])
def test_arawn_ended_or_running(ended, expected):
    assert sm.arawn_status(ended=ended) == expected


@pytest.mark.parametrize(
    "word, expected",
    [
        ("spawning", PENDING),
        ("working", ("running", "active", False)),
        ("needs_input", ("running", "waiting_input", False)),
        *[(word, RUNNING_IDLE) for word in AO_FLAT_RUNNING_IDLE],
        ("done", COMPLETED),
        ("cleanup", COMPLETED),
        ("merged", COMPLETED),
        ("errored", FAILED),
        ("killed", CANCELLED),
        ("terminated", CANCELLED),
        ("not_started", None),
    ],
)
def test_ao_flat(word, expected):
    assert sm.ao_flat_status(word) == expected


@pytest.mark.parametrize(
    "word, activity, expected",
    [
        ("spawning", None, PENDING),
        ("spawning", "ready", PENDING),
        ("working", None, RUNNING_IDLE),
        ("working", "active", ("running", "active", False)),
        ("merge_failed", "blocked", ("running", "blocked", False)),
        ("needs_input", "waiting_input", ("running", "waiting_input", False)),
        ("mergeable", "exited", ("running", "exited", True)),
        ("merged", "exited", COMPLETED),
        ("errored", None, FAILED),
        ("killed", "active", CANCELLED),
        ("working", "sleeping", None),
        ("MERGED", None, None),
    ],
)
def test_ao_rs(word, activity, expected):
    assert sm.ao_rs_status(word, activity) == expected


@pytest.mark.parametrize(
    "state, reason, expected",
    [
        ("not_started", None, PENDING),
        ("working", None, ("running", "active", False)),
        ("detecting", None, RUNNING_IDLE),
        ("needs_input", None, ("running", "waiting_input", False)),
        ("done", None, COMPLETED),
        ("terminated", "manually_killed", CANCELLED),
        ("terminated", "error_in_process", FAILED),
        ("terminated", "pr_merged", COMPLETED),
        ("terminated", "something_new", CANCELLED),
        ("spawning", None, None),
    ],
)
def test_ao_lifecycle(state, reason, expected):
    assert sm.ao_lifecycle_status(state, reason) == expected


@pytest.mark.parametrize(
    "state, reason, pr, shows",
    [
        ("not_started", "spawn_requested", {"state": "open", "reason": "ci_failing"}, "spawning"),
        ("terminated", "runtime_lost", None, "killed"),
        ("terminated", "pr_merged", None, "cleanup"),
        ("terminated", "probe_failure", None, "errored"),
        ("terminated", "migrated_from_archive", None, "terminated"),
        ("detecting", "task_in_progress", {"state": "merged", "reason": "merged"}, "detecting"),
        ("working", "task_in_progress", {"state": "open", "reason": "ci_failing"}, "ci_failed"),
        ("idle", "pr_created", {"state": "merged", "reason": "merged"}, "merged"),
        ("idle", "pr_created", {"state": "open", "reason": "cleared_on_restore"}, "pr_open"),
        ("working", "task_in_progress", {"state": "none", "reason": "not_created"}, "working"),
    ],
)
def test_ao_derived_status_is_derive_legacy_status(state, reason, pr, shows):
    assert sm.ao_derived_status(state, reason, pr) == shows


def test_a_missing_pr_part_is_filled_from_the_flat_pr_url_and_status():
    assert sm.ao_derived_status("idle", None, None) == "idle"
    assert sm.ao_derived_status("idle", None, None, pr_url="https://x/pull/1") == "pr_open"
    assert sm.ao_derived_status("idle", None, None, stored_status="merged") == "merged"
    # A part that is there wins over what the flat keys say.
    open_pr = {"state": "open", "reason": "approved"}
    assert sm.ao_derived_status("idle", None, open_pr, stored_status="merged") == "approved"
