"""Decoding the ao legacy store's files: strict JSON, JSON-valued keys, and V1 key=value
files read as `ao migrate-storage` reads them (legacy-formats §1.11). Pure; no Django.
"""

import datetime as dt
import json
from typing import Any

from migration_app.legacy.records import INT64_MAX, INT64_MIN, LegacyParseError, parse_iso


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _int_or_text(text: str) -> int | str:
    """JSON integers beyond signed 64-bit are kept exact, as strings (DESIGN.md metadata)."""
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else text


# Strict (NaN/Infinity are not JSON); integers beyond 64 bits kept exact. One decoder
# for every file: building one per call costs as much as a small file's decoding.
_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_int_or_text)


def json_loads(text: str) -> Any:
    try:
        return _STRICT_JSON.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def decode_object(value: Any, *, path: str, key: str) -> dict | None:
    """A JSON-valued key: an object, or a string holding one (decoded while it is a string)."""
    depth = 0
    while isinstance(value, str) and depth < 4:
        try:
            value = json_loads(value)
        except ValueError:
            raise LegacyParseError(path, f"{key} is a string that is not valid JSON") from None
        depth += 1
    if value is None:
        return None
    if not isinstance(value, dict):
        raise LegacyParseError(path, f"{key} must be an object, got {type(value).__name__}")
    return value


def text_field(data: dict, key: str, *, path: str) -> str:
    """A field the mapping reads: string, or null/absent meaning ''."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LegacyParseError(path, f"{key} must be a string, got {type(value).__name__}")
    return value


def time_field(container: dict, key: str, *, path: str, label: str) -> dt.datetime | None:
    value = container.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise LegacyParseError(path, f"{label} must be a string, got {type(value).__name__}")
    return parse_iso(value, path=path, key=label)


def key_value_parse(text: str, *, path: str) -> dict[str, str]:
    """ao's own key=value reading: trimmed lines, `#` comments, the first '=' splits, lines
    without one are ignored. A file with no key=value line at all is no session file."""
    data: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip():
            data[key.strip()] = value.strip()
    if not data:
        raise LegacyParseError(path, "no key=value line: not a session file")
    return data


# migrate-storage copies these only when they are not empty.
_V1_STRING_KEYS = (
    "project", "agent", "createdAt", "branch", "tmuxName", "issue", "pr", "summary",
    "restoredAt", "role", "opencodeSessionId", "pinnedSummary", "userPrompt", "worktree",
    "agentReportedState", "agentReportedAt", "agentReportedNote", "agentReportedPrUrl",
    "agentReportedPrNumber", "agentReportedPrIsDraft", "reportWatcherLastAuditedAt",
    "reportWatcherActiveTrigger", "reportWatcherTriggerActivatedAt",
    "reportWatcherTriggerCount", "lifecycleEvidence", "detectingAttempts",
    "detectingStartedAt", "detectingEvidenceHash",
)  # fmt: skip
_V1_PORT_KEYS = {
    "dashboardPort": "port",
    "terminalWsPort": "terminalWsPort",
    "directTerminalWsPort": "directTerminalWsPort",
}
_V1_FLAGS = {"on": True, "true": True, "off": False, "false": False}
_V1_HANDLED = frozenset(
    {*_V1_STRING_KEYS, *_V1_PORT_KEYS, "prAutoDetect", "runtimeHandle", "statePayload"}
    | {"stateVersion", "status"}
)


def _port(value: str) -> int | float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if number.is_integer() else number


def key_value_convert(kv: dict[str, str]) -> dict[str, Any]:
    """The JSON object `ao migrate-storage` writes for a V1 key=value session file."""
    result: dict[str, Any] = {key: kv[key] for key in _V1_STRING_KEYS if kv.get(key)}
    flag = kv.get("prAutoDetect")
    if flag:
        result["prAutoDetect"] = _V1_FLAGS.get(flag, flag)
    if kv.get("runtimeHandle"):
        try:
            result["runtimeHandle"] = json_loads(kv["runtimeHandle"])
        except ValueError:
            result["runtimeHandle"] = kv["runtimeHandle"]
    if kv.get("statePayload"):
        try:
            result["lifecycle"] = json_loads(kv["statePayload"])
        except ValueError:
            result["statePayload"] = kv["statePayload"]  # kept as it was, for debugging
    if "lifecycle" not in result and kv.get("status"):
        result["status"] = kv["status"]
    dashboard = {
        name: number
        for key, name in _V1_PORT_KEYS.items()
        if kv.get(key) and (number := _port(kv[key])) is not None
    }
    if dashboard:
        result["dashboard"] = dashboard
    for key, value in kv.items():
        if key not in _V1_HANDLED and key not in result:
            result[key] = value  # unknown keys are preserved
    return result


def utf8_text(data: bytes, *, path: str) -> str:
    """The file's text; a binary file (not UTF-8, or holding NUL bytes) is refused."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LegacyParseError(path, "file is not UTF-8 text") from None
    if "\x00" in text:
        raise LegacyParseError(path, "file is not UTF-8 text (it holds NUL bytes)")
    return text


def _json_object(text: str, *, path: str) -> dict[str, Any]:
    try:
        value = json_loads(text)
    except ValueError as exc:
        raise LegacyParseError(path, f"invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise LegacyParseError(path, f"JSON is a {type(value).__name__}, not an object")
    return value


def json_document(data: bytes, *, path: str) -> dict[str, Any]:
    """A JSON file holding one object."""
    return _json_object(utf8_text(data, path=path), path=path)


def session_document(data: bytes, *, path: str, json_only: bool) -> dict[str, Any]:
    """A session file as the JSON object ao reads (a V1 key=value file converted)."""
    text = utf8_text(data, path=path)
    if json_only or text.lstrip().startswith(("{", "[", '"')):
        return _json_object(text, path=path)
    return key_value_convert(key_value_parse(text, path=path))
