"""The name rule for workstream ids and for session ids used in file paths."""

import re

from django.core.exceptions import ValidationError

NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_NAME_RE = re.compile(NAME_PATTERN)


def is_valid_name(name: object) -> bool:
    """Non-empty, first character not '-' or '.', only ASCII letters, digits, '-', '_'."""
    return isinstance(name, str) and _NAME_RE.fullmatch(name) is not None


def validate_name(name: object) -> None:
    if not is_valid_name(name):
        raise ValidationError(
            "%(name)r is not a valid name: use only ASCII letters, digits, '-' and '_', "
            "not starting with '-'.",
            code="invalid_name",
            params={"name": name},
        )
