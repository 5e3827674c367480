"""Task id rules, one rule set per question (docs/reassociate-task.md, "Task ids" of
docs/legacy-import-minsky.md).

Which task does a value NAME (`parse_task_id`, `normalise_task_id`: arguments, searches):
`backend#local` and the legacy markdown numbers (`task#283` -> `md#283`); a bare word names
no task. In which form is a value STORED (`task_id_storage_form`): minsky's own
`validateQualifiedTaskId`, exactly (legacy-formats §5.1). Pure: no Django.
"""

import re
from dataclasses import dataclass

# Backend name -> id prefix (minsky's migrate-backend table, markdown kept for legacy rows).
BACKEND_PREFIXES = {"markdown": "md", "minsky": "mt", "github": "gh", "json-file": "json"}
PREFIX_BACKENDS = {prefix: name for name, prefix in BACKEND_PREFIXES.items()}
LEGACY_PREFIX = "md"

_QUALIFIED = re.compile(r"([a-z-]+)#([^#\s]+)")
_LEGACY = re.compile(r"(?:#+|task#)?(\d+)", re.IGNORECASE)
# minsky's validateQualifiedTaskId, rule by rule (legacy-formats §5.1). (JavaScript's `.`
# stops at a line break and its `\d` is ASCII: so are these.)
_STORE_AS_IS = re.compile(r"[a-z-]+#.+")  # rule 1
_STORE_MD = re.compile(r"(?:task#|#*)([0-9]+)", re.IGNORECASE)  # rules 2 to 5: `#n`, `n`, …
_STORE_BARE = re.compile(r"[a-zA-Z0-9_-]+")  # rule 6
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


def task_id_storage_form(value: object) -> str | None:
    """The form minsky stores a task id in (trimmed, the first of its rules 1-6 that
    matches), or None (its rule 7: nothing to store)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _STORE_AS_IS.fullmatch(text):
        return text
    match = _STORE_MD.fullmatch(text)
    if match:
        return f"{LEGACY_PREFIX}#{match.group(1)}"
    if _STORE_BARE.fullmatch(text):
        return text
    return None


def normalise_task_id(value: str) -> str:
    """The task a value names, as `backend#local` (`task#283` -> `md#283`); raises
    InvalidTaskId. What a legacy store holds is kept in minsky's form instead
    (task_id_storage_form)."""
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
    if key in PREFIX_BACKENDS or key in BACKEND_PREFIXES:
        return BACKEND_PREFIXES.get(key, key)
    known = ", ".join(f"{p} ({n})" for p, n in PREFIX_BACKENDS.items())
    raise InvalidTaskId(f"Unknown task backend {name!r}; known: {known}")


def stored_forms(task_id: str) -> list[str]:
    """Every stored value that refers to this task, for an indexed `task_id IN (...)` lookup
    (docs/reassociate-task.md, "Matching")."""
    parsed = parse_task_id(task_id)
    forms = [str(parsed), parsed.local]
    if parsed.backend == LEGACY_PREFIX and parsed.local.isdigit():
        n = parsed.local
        forms += [f"#{n}", f"##{n}", f"task#{n}", f"Task#{n}", f"TASK#{n}"]
    return forms


def refers_to(stored: str, task_id: str) -> bool:
    """True when a stored value points at the task (the same rule as stored_forms)."""
    try:
        return stored in stored_forms(task_id)
    except InvalidTaskId:
        return False
