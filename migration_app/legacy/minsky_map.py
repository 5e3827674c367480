"""One minsky `SessionRecord` → the hub's session fields (issue 16's mapping). Pure: no Django.

- id verbatim from the key the record's age uses (minsky.ID_KEYS);
- task id through minsky's storage normalisation (sessions_app.task_ids.task_id_storage_form),
  the raw value always kept in `metadata.task_id_raw`;
- status by DESIGN.md's minsky rows (status_map.minsky_status), no status → pending, an
  unknown word → pending with a note, the word kept in `legacy_status`;
- `branch`, else `prBranch`, else derived from the task id as minsky derives it
  (`task/<backend>-<local>`; an id it cannot split as it is; no task: the session id);
- `createdAt` coerced as minsky coerces it (`coerce_created_at`);
- every other key verbatim in `metadata`, except secrets: a key whose name says token,
  secret or password is dropped at any depth, and a URL's password is removed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from migration_app.legacy.minsky import ID_KEYS, RawRecord
from migration_app.legacy.records import INT64_MAX, INT64_MIN
from migration_app.legacy.status_map import minsky_status
from sessions_app.task_ids import task_id_storage_form

# minsky's coercion: a number below 1e12 is epoch seconds, from 1e12 on milliseconds
# (edobry/minsky@39b37d6cf616 packages/domain/src/storage/schemas/session-schema.ts).
EPOCH_MS_FROM = 1e12
_SQL_LIKE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_YEAR_MONTH = re.compile(r"[0-9]{4}(-[0-9]{2})?")
_SECRET_WORDS = ("token", "secret", "password")
_WORKSPACE_KEYS = ("repoPath", "workspacePath", "sessionPath")
MAX_ID_LENGTH = 255
LEGACY_STATUS_LENGTH = 100  # Session.legacy_status


@dataclass
class MappedSession:
    id: str
    project_id: str  # the record's projectId, else "" (the project comes from the repo)
    repo_url: str
    repo_name: str
    task_id: str
    status: str
    activity_state: str
    is_terminated: bool
    legacy_status: str
    branch: str
    workspace_path: str
    created_at: dt.datetime | None  # None: unreadable; the caller uses the import time
    activity_last_at: dt.datetime | None
    agent_session_id: str
    issue_url: str
    metadata: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    secrets_dropped: list[str] = field(default_factory=list)


class RecordRejected(Exception):
    """The record cannot be imported; the message says why."""


def coerce_created_at(value: Any) -> dt.datetime | None:
    """minsky's coerceToDate, minus its fallback to "now" (None here: the caller says so).

    A datetime (naive: UTC); a number: epoch seconds below 1e12, milliseconds from 1e12;
    a string: `YYYY-MM-DD HH:MM:SS` as UTC, ISO-8601 (no offset: UTC; `2025`, `2025-03`
    too, as JavaScript reads them), an HTTP date (`Date.toUTCString()`), else a numeric
    string by the same seconds/milliseconds rule.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _SQL_LIKE.fullmatch(text):
        text = text.replace(" ", "T") + "Z"
    elif _YEAR_MONTH.fullmatch(text):  # JavaScript's date-only forms `2025`, `2025-03`
        text = f"{text}-01-01"[:10]
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return _from_other_text(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _from_other_text(text: str) -> dt.datetime | None:
    """An HTTP/e-mail date (`Date.toUTCString()`), else a number as text (JavaScript's
    Number(): no `_` separators), else None."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if "_" in text:
        return None
    try:
        return _from_epoch(float(text))
    except ValueError:
        return None


def _from_epoch(number: float) -> dt.datetime | None:
    ms = number * 1000 if number < EPOCH_MS_FROM else number
    try:
        return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def branch_from_task_id(task_id: str) -> str:
    """minsky's taskIdToBranchName: `task/<backend>-<local>` for an id with exactly one `#`,
    not at either end; any other id is the branch name as it is."""
    backend, sep, local = task_id.partition("#")
    if not sep or not backend or not local or "#" in local:
        return task_id
    return f"task/{backend}-{local}"


_SECRET_KEY = re.compile("|".join(_SECRET_WORDS), re.IGNORECASE)
_secret_keys: dict[str, bool] = {}  # key name -> names a secret (keys repeat: asked once)


def is_secret_key(key: str) -> bool:
    known = _secret_keys.get(key)
    if known is None:
        known = _secret_keys[key] = _SECRET_KEY.search(key) is not None
    return known


def scrub_secrets(value: Any, path: str, dropped: list[str]) -> Any:
    """The value made storable as JSON, without any key that names a secret (at any depth)
    and without a URL's credentials; what was dropped is appended to `dropped` (dotted
    paths). Integers beyond signed 64-bit become text, datetimes ISO text; a non-finite
    number or a type JSON cannot hold raises RecordRejected. One pass over the value."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if "@" in value and "://" in value:
            clean = _url_without_credentials(value)
            if clean != value:
                dropped.append(f"{path} (credentials in the URL)")
            return clean
        return value
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else str(value)
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            key = str(key)
            if is_secret_key(key):
                dropped.append(f"{path}.{key}" if path else key)
            elif inner is None or (isinstance(inner, str) and "@" not in inner):
                out[key] = inner  # the common case, without a call
            else:
                out[key] = scrub_secrets(inner, f"{path}.{key}" if path else key, dropped)
        return out
    if isinstance(value, list):
        return [scrub_secrets(v, f"{path}[{i}]", dropped) for i, v in enumerate(value)]
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise RecordRejected(f"{path} is not a finite number")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise RecordRejected(f"{path} has a type JSON cannot hold ({type(value).__name__})")


def _url_without_credentials(text: str) -> str:
    try:
        parts = urlsplit(text)
        if parts.password is None and not (parts.username and parts.scheme.startswith("http")):
            return text
    except ValueError:
        return text
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _task(raw: Any, notes: list[str]) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        notes.append(f"taskId {raw!r} is not text; imported without a task id")
        return ""
    stored = task_id_storage_form(raw)
    if stored is None:
        notes.append(f"taskId {raw!r} normalises to no task id (kept in metadata.task_id_raw)")
        return ""
    return stored


def _status(word: Any, notes: list[str]) -> tuple[str, str, bool, str]:
    if word is None or word == "":
        return "pending", "idle", False, ""
    triple = minsky_status(word) if isinstance(word, str) else None
    if triple is None:
        # Every session comes in: an unknown word is pending, kept verbatim (as TokenDance's).
        notes.append(f"status {word!r} is not a minsky status; imported as pending")
        return "pending", "idle", False, str(word)[:LEGACY_STATUS_LENGTH]
    return (*triple, word)


def _issue_url(pull_request: Any) -> str:
    if not isinstance(pull_request, dict):
        return ""
    github = pull_request.get("github")
    url = pull_request.get("url") or (github.get("htmlUrl") if isinstance(github, dict) else "")
    return url if isinstance(url, str) else ""


def minsky_session_map(record: RawRecord, *, source: str) -> MappedSession:
    """The hub's fields of one record; raises RecordRejected."""
    data = record.decode().data
    sid = record.session_id
    if sid is None:
        raise RecordRejected(f"record {record.position} has no session id ({', '.join(ID_KEYS)})")
    if not isinstance(sid, str) or len(sid) > MAX_ID_LENGTH or sid != sid.strip():
        raise RecordRejected(f"record {record.position}: session id {sid!r} is not usable text")
    notes = list(record.notes)
    status, activity, terminated, legacy = _status(data.get("status"), notes)
    task_id = _task(data.get("taskId"), notes)

    branch = _text(data.get("branch")) or _text(data.get("prBranch"))
    if not branch:
        branch = branch_from_task_id(task_id) if task_id else sid
        notes.append(f"branch derived as minsky derives it: {branch}")

    created_at = coerce_created_at(data.get("createdAt", data.get("created")))
    if created_at is None:
        notes.append(f"createdAt {data.get('createdAt')!r} unreadable; import time used")
    activity_at = coerce_created_at(data.get("lastActivityAt")) or created_at

    dropped: list[str] = []
    kept = {k: v for k, v in data.items() if k not in ID_KEYS and k != "taskId"}
    try:
        metadata = scrub_secrets(kept, "", dropped)
        if "taskId" in data:
            metadata["task_id_raw"] = scrub_secrets(data["taskId"], "taskId", dropped)
    except RecursionError:
        raise RecordRejected(f"session {sid}: values are nested too deeply") from None
    if dropped:
        notes.append(f"secrets dropped: {', '.join(dropped)}")
    repo_url = metadata.get("repoUrl")  # credentials already removed
    project_id = data.get("projectId")
    return MappedSession(
        id=sid,
        project_id=str(project_id) if project_id not in (None, "") else "",
        repo_url=repo_url if isinstance(repo_url, str) else "",
        repo_name=_text(data.get("repoName")),
        task_id=task_id,
        status=status,
        activity_state=activity,
        is_terminated=terminated,
        legacy_status=legacy,
        branch=branch,
        workspace_path=next((data[k] for k in _WORKSPACE_KEYS if _text(data.get(k))), ""),
        created_at=created_at,
        activity_last_at=activity_at,
        agent_session_id=_text(data.get("agentId")),
        issue_url=_issue_url(data.get("pullRequest")),
        metadata=metadata,
        notes=notes,
        secrets_dropped=dropped,
    )
