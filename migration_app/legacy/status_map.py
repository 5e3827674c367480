"""DESIGN.md "Status vocabulary" for every origin, as lookup tables.

Each function returns (status, activity_state, terminated), or None for a word the table
does not know (the caller rejects the file: never guess silently). arawn has no status
word: its function answers from whether the session has ended.
"""

StatusTriple = tuple[str, str, bool]

_PENDING: StatusTriple = ("pending", "idle", False)
_RUNNING_IDLE: StatusTriple = ("running", "idle", False)
_RUNNING_ACTIVE: StatusTriple = ("running", "active", False)
_WAITING: StatusTriple = ("running", "waiting_input", False)
_COMPLETED: StatusTriple = ("completed", "exited", True)
_FAILED: StatusTriple = ("failed", "exited", True)
_CANCELLED: StatusTriple = ("cancelled", "exited", True)

# ao lifecycle v2 `session.state` (`terminated`: by its reason, ao_lifecycle_status).
_AO_LIFECYCLE: dict[str, StatusTriple] = {
    "not_started": _PENDING,
    "working": _RUNNING_ACTIVE,
    **dict.fromkeys(("idle", "detecting", "stuck"), _RUNNING_IDLE),
    "needs_input": _WAITING,
    "done": _COMPLETED,
}

# The words ao and ao-rs share for an ended session.
_AO_ENDED: dict[str, StatusTriple] = {
    **dict.fromkeys(("done", "cleanup", "merged"), _COMPLETED),
    "errored": _FAILED,
    **dict.fromkeys(("killed", "terminated"), _CANCELLED),
}
_AO_LIVE = (
    "pr_open", "ci_failed", "review_pending", "changes_requested", "approved", "mergeable",
    "stuck", "idle",
)  # fmt: skip

# What ao shows for a file with neither lifecycle nor status (ao's reader answers
# "unknown"; the file ao rewrites after quarantining a corrupt one is such a file).
AO_UNKNOWN_STATUS = "unknown"

# ao flat `status` of a file without a lifecycle.
_AO_FLAT: dict[str, StatusTriple] = {
    **dict.fromkeys(("spawning", AO_UNKNOWN_STATUS), _PENDING),
    "working": _RUNNING_ACTIVE,
    "needs_input": _WAITING,
    **dict.fromkeys(("detecting", *_AO_LIVE), _RUNNING_IDLE),
    **_AO_ENDED,
}

_AO_RS_STATUS: dict[str, StatusTriple] = {
    "spawning": _PENDING,
    **dict.fromkeys(("working", "merge_failed", *_AO_LIVE), _RUNNING_IDLE),
    "needs_input": _WAITING,
    **_AO_ENDED,
}

# ao-rs ActivityState → our activity_state.
_AO_RS_ACTIVITY = {
    **{word: word for word in ("active", "idle", "waiting_input", "blocked", "exited")},
    "ready": "idle",
}


def ao_lifecycle_status(state: str, reason: str | None = None) -> StatusTriple | None:
    if state == "terminated":  # refined by the reason, as the word ao shows is
        return _AO_ENDED[_AO_TERMINATED_WORD.get(reason or "", "terminated")]
    return _AO_LIFECYCLE.get(state)


def ao_flat_status(status: str) -> StatusTriple | None:
    return _AO_FLAT.get(status)


# A lifecycle's termination reason → the word ao shows (and so the status, _AO_ENDED).
_AO_TERMINATED_WORD = {
    **dict.fromkeys(("manually_killed", "runtime_lost"), "killed"),
    **dict.fromkeys(("auto_cleanup", "pr_merged"), "cleanup"),
    **dict.fromkeys(("error_in_process", "probe_failure"), "errored"),
}
_AO_OPEN_PR_WORD = {
    **{word: word for word in ("changes_requested", "review_pending", "approved")},
    "ci_failing": "ci_failed",
    "merge_ready": "mergeable",
}


def ao_derived_status(
    state: str, reason: str | None, pr: object, *, pr_url: str = "", stored_status: str = ""
) -> str:
    """The status word ao itself shows for a lifecycle (`deriveLegacyStatus`, §1.7): the
    session state, refined by the termination reason or, for idle/working, the PR."""
    if state == "not_started":
        return "spawning"
    if state == "terminated":
        return _AO_TERMINATED_WORD.get(reason or "", "terminated")
    if state not in ("idle", "working"):
        return state  # needs_input, stuck, done, detecting
    # A PR state the lifecycle lacks is filled in as ao's reader synthesises it from the flat
    # `pr` URL and `status` (legacy-formats §1.6); its synthesised reasons all read `pr_open`.
    pr = pr if isinstance(pr, dict) else {}
    pr_state, pr_reason = pr.get("state"), pr.get("reason")
    if not isinstance(pr_state, str):
        pr_state = "merged" if stored_status == "merged" else "open" if pr_url else "none"
    if pr_state == "merged":
        return "merged"
    if pr_state == "open" and isinstance(pr_reason, str):
        return _AO_OPEN_PR_WORD.get(pr_reason, "pr_open")
    return "pr_open" if pr_state == "open" else state


def ao_rs_status(status: str, activity: str | None) -> StatusTriple | None:
    """ao-rs status + optional activity; `exited` activity terminates a live status."""
    triple = _AO_RS_STATUS.get(status)
    if triple is None or (activity is not None and activity not in _AO_RS_ACTIVITY):
        return None
    if triple[2] or activity is None:  # an ended status, or nothing to refine it
        return triple
    activity_state = _AO_RS_ACTIVITY[activity]
    return (triple[0], activity_state, activity_state == "exited")


# minsky SessionStatus, as stored (upper case).
_MINSKY: dict[str, StatusTriple] = {
    "CREATED": _PENDING,
    **dict.fromkeys(("ACTIVE", "PR_OPEN", "PR_APPROVED"), _RUNNING_IDLE),
    "MERGED": _COMPLETED,
    "CLOSED": _CANCELLED,
}

# TokenDance SessionStatus: our own words, matched case-insensitively (real rows hold
# `PENDING` as well as `pending`); `active` is its deprecated spelling of running.
_TOKENDANCE: dict[str, StatusTriple] = {
    "pending": _PENDING,
    "active": _RUNNING_ACTIVE,
    "running": _RUNNING_ACTIVE,
    **{word: (word, "exited", True) for word in ("completed", "failed", "cancelled", "archived")},
}


def minsky_status(status: str) -> StatusTriple | None:
    return _MINSKY.get(status)


def tokendance_status(status: str) -> StatusTriple | None:
    return _TOKENDANCE.get(status.strip().casefold())


def arawn_status(*, ended: bool) -> StatusTriple:
    """arawn stores no status word: a session with `ended_at` has ended, any other runs."""
    return _COMPLETED if ended else _RUNNING_IDLE


def legacy_status_words() -> list[str]:
    """Every word a legacy reader stores in `legacy_status`, for a fixed filter list."""
    words = {*_AO_FLAT, *_AO_RS_STATUS, *_MINSKY, *_TOKENDANCE}
    return sorted(words)
