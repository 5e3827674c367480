"""Task id rules: one explicit normaliser for every form a session's task id is stored in.

Qualified form: `backend#local`, exactly one `#`, not at either end, backend `[a-z-]+`.
Legacy forms (minsky's markdown era) are bare numbers and their decorated spellings;
they all mean a markdown task: `283`, `#283`, `##283`, `task#283` (any case) -> `md#283`.

The origin had two parsers that disagreed (`task#283`, `mt#1#2`, `MT#1`); here there is
one rule set, tested row by row (tests/sessions_app/test_task_ids.py). Pure: no Django.
"""

import re
from dataclasses import dataclass

# Backend name -> id prefix (minsky's migrate-backend table, markdown kept for legacy rows).
BACKEND_PREFIXES = {"markdown": "md", "minsky": "mt", "github": "gh", "json-file": "json"}
PREFIX_BACKENDS = {prefix: name for name, prefix in BACKEND_PREFIXES.items()}
LEGACY_PREFIX = "md"

_QUALIFIED = re.compile(r"([a-z-]+)#([^#\s]+)")
_LEGACY = re.compile(r"(?:#+|task#)?(\d+)", re.IGNORECASE)
# "task" is the legacy spelling, never a backend: `task#abc` is refused rather than guessed.
_RESERVED_BACKENDS = {"task"}


class InvalidTaskId(ValueError):
    """The value is neither a qualified task id nor one of the legacy forms."""


@dataclass(frozen=True)
class TaskId:
    backend: str  # the id prefix: md, mt, gh, json, or any other [a-z-]+ backend
    local: str

    def __str__(self) -> str:
        return f"{self.backend}#{self.local}"


def parse_task_id(value: str) -> TaskId:
    """The task a value refers to; raises InvalidTaskId. Surrounding whitespace is ignored."""
    if not isinstance(value, str):
        raise InvalidTaskId(f"Invalid task ID format: {value!r}")
    text = value.strip()
    # Legacy first: `task#283` would otherwise read as backend "task".
    legacy = _LEGACY.fullmatch(text)
    if legacy:
        return TaskId(LEGACY_PREFIX, legacy.group(1))
    qualified = _QUALIFIED.fullmatch(text)
    if qualified and qualified.group(1) not in _RESERVED_BACKENDS:
        return TaskId(qualified.group(1), qualified.group(2))
    raise InvalidTaskId(f"Invalid task ID format: {value!r}")


def normalise_task_id(value: str) -> str:
    """The canonical stored form (`backend#local`) of a value; raises InvalidTaskId."""
    return str(parse_task_id(value))


def try_normalise_task_id(value: str) -> str | None:
    try:
        return normalise_task_id(value)
    except InvalidTaskId:
        return None


def is_qualified(value: str) -> bool:
    """True when the value already is in canonical form, exactly as stored."""
    return try_normalise_task_id(value) == value


def backend_prefix(name: str) -> str:
    """`md`/`mt`/`gh`/`json` from a prefix or a backend name (markdown, minsky, ...)."""
    key = (name or "").strip().lower()
    if key in PREFIX_BACKENDS:
        return key
    if key in BACKEND_PREFIXES:
        return BACKEND_PREFIXES[key]
    known = ", ".join(f"{p} ({n})" for p, n in PREFIX_BACKENDS.items())
    raise InvalidTaskId(f"Unknown task backend {name!r}; known: {known}")


def stored_forms(task_id: str) -> list[str]:
    """Every stored value that refers to this task, for an indexed `task_id IN (...)` lookup.

    The qualified id and the plain local id (minsky stored `123` for `mt#123` too, see
    legacy-formats §8 #8). For a numeric markdown task also the legacy spellings, so
    `md#283` finds rows holding `#283`, `##283` or `task#283` (the common casings).
    """
    parsed = parse_task_id(task_id)
    forms = [str(parsed), parsed.local]
    if parsed.backend == LEGACY_PREFIX and parsed.local.isdigit():
        n = parsed.local
        forms += [f"#{n}", f"##{n}", f"task#{n}", f"Task#{n}", f"TASK#{n}"]
    return forms
