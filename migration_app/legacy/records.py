"""What the legacy readers return: plain records, no ORM, no settings."""

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Session.num is an IntegerField.
NUM_MAX = 2**31 - 1

_HEX = "[0-9a-fA-F]"
_UUID_RE = re.compile(f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}")
_PROJECT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class LegacyParseError(Exception):
    """A file that cannot be imported; `reason` is shown to the operator."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self):
        # Crosses process boundaries (parse-ahead): rebuilt from both fields, not the message.
        return (type(self), (self.path, self.reason))


@dataclass(frozen=True)
class SkippedFile:
    """A file left out on purpose (0 bytes: a reservation or an unfinished write): counted
    as skipped, never an error."""

    path: str
    reason: str


@dataclass
class SessionRecord:
    id: str
    project_id: str
    source: str
    source_path: str
    status: str
    activity_state: str
    is_terminated: bool
    legacy_status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    activity_last_at: dt.datetime
    first_signal_at: dt.datetime | None
    # The number the id carries, or None: the importer picks the next free one.
    num_hint: int | None = None
    kind: str = "worker"
    agent: str = ""
    agent_session_id: str = ""
    prompt: str = ""
    display_name: str = ""
    issue_id: str = ""
    issue_url: str = ""
    branch: str = ""
    workspace_path: str = ""
    terminated_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    archived_at: dt.datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # What the operator should read on the session's item (a fallback taken, a rename).
    notes: list[str] = field(default_factory=list)


@dataclass
class ProjectRecord:
    id: str
    title: str
    path: str = ""
    repo_origin_url: str = ""
    config: dict[str, Any] | None = None
    registered_at: dt.datetime | None = None
    source_path: str = ""
    notes: list[str] = field(default_factory=list)


def project_id_problem(project_id: object) -> str | None:
    """Why a project id fails the legacy rule or the rewrite gate (legacy-formats §1.3), or None."""
    if not isinstance(project_id, str) or not project_id:
        return "project id is empty"
    if project_id in (".", "..") or ".." in project_id:
        return f"project id {project_id!r} contains '..'"
    if len(project_id) > 128:
        return f"project id {project_id[:40]!r}… is longer than 128 characters"
    if not _PROJECT_ID_RE.fullmatch(project_id):
        return (
            f"project id {project_id!r} must start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-'"
        )
    return None


def trailing_num(session_id: str) -> int | None:
    """The integer after the id's last '-' when that part is all digits and the id is no UUID."""
    _, dash, tail = session_id.rpartition("-")
    if not dash or not tail.isascii() or not tail.isdigit() or _UUID_RE.fullmatch(session_id):
        return None
    return int(tail) if int(tail) <= NUM_MAX else None


def parse_iso(value: str, *, path: str, key: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise LegacyParseError(path, f"{key} is not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def from_mtime(seconds: float) -> dt.datetime:
    """A file's mtime (or any epoch seconds) as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


# A legacy file holding more values than this is refused: a small YAML file can name the
# same list many times over (aliases), and the copy written out would be exponential.
MAX_VALUES = 1_000_000


def json_safe(value: Any, *, path: str, key: str = "") -> Any:
    """Make a parsed value storable as JSON: ints beyond signed 64-bit become strings,
    YAML dates become ISO strings; anything else that JSON cannot hold is an error."""
    left = [MAX_VALUES]

    def convert(value: Any, key: str) -> Any:
        left[0] -= 1
        if left[0] < 0:
            raise LegacyParseError(path, f"more than {MAX_VALUES:,} values (repeated aliases?)")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if INT64_MIN <= value <= INT64_MAX else str(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            raise LegacyParseError(path, f"{key or 'a value'} is not a finite number")
        if isinstance(value, dict):
            return {str(k): convert(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v, key) for v in value]
        if isinstance(value, (dt.datetime, dt.date)):
            return value.isoformat()
        raise LegacyParseError(path, f"{key or 'a value'} has a type JSON cannot hold")

    try:
        return convert(value, key)
    except RecursionError:
        raise LegacyParseError(path, "values are nested too deeply") from None


# Flow collections ([…], {…}) nested deeper than this many brackets go to the pure-Python
# parser: libyaml's C composer recurses on the C stack and crashes the process on a
# file of a few hundred thousand brackets, where Python raises RecursionError instead.
_C_PARSER_BRACKETS = 1_000
_C_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_load(data: bytes, *, path: str) -> Any:
    """A YAML document (safe types only); LegacyParseError when it cannot be read."""
    brackets = data.count(b"[") + data.count(b"{")
    loader = _C_SAFE_LOADER if brackets <= _C_PARSER_BRACKETS else yaml.SafeLoader
    try:
        return yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        raise LegacyParseError(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise LegacyParseError(path, "invalid YAML: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - a value PyYAML cannot build (2026-13-45, …)
        raise LegacyParseError(path, f"invalid YAML value: {exception_text(exc)}") from None


def exception_text(exc: BaseException) -> str:
    """`Class: message` of an exception, never empty (MemoryError has no message)."""
    message = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {message[:500]}" if message else name
