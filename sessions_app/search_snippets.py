"""Highlighted snippets of search hits: the text escaped, only our <mark> tags raw."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SNIPPET_CHARS = 240


def _pattern(words) -> re.Pattern | None:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    # Whole words only, as the index matches them (letters and digits; `_` splits).
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)


def snippet_html(*, text: str, words, width: int = SNIPPET_CHARS) -> SafeString:
    """A window of `text` around its first matching word, every match in <mark>."""
    text = text or ""
    pattern = _pattern(words)
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - width // 3) if first else 0
    window = text[start : start + width]
    pieces = ["…"] if start > 0 else []
    position = 0
    for match in pattern.finditer(window) if pattern else ():
        pieces.append(escape(window[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    pieces.append(escape(window[position:]))
    if start + width < len(text):
        pieces.append("…")
    return mark_safe("".join(pieces))  # noqa: S308  every piece of text above is escaped
