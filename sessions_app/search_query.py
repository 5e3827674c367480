"""The search query language, parsed by us: nothing the user types reaches FTS5 or a
tsquery as syntax.

    words          every word must occur (AND)
    "a phrase"     the words in this order
    -word, -"a b"  must not occur
    id:<prefix>, task:<task id>, issue:<issue id>   filter the session (as the session list)

Words are runs of letters and digits (the tokenizers of both databases split the same
way on punctuation); a term with none, like `*` or `NEAR(`, is dropped. Punctuated
terms (`feat/x-1`, `app.py`) are also looked up as substrings of ids, branches and paths.
"""

import re
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 1000
QUALIFIERS = ("id", "task", "issue")
WORD = re.compile(r"[^\W_]+")  # letters and digits; `_` splits, as in both tokenizers


class QueryError(ValueError):
    """A malformed query; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Term:
    text: str  # as typed (quotes removed)
    words: tuple[str, ...]  # its words, lower-cased
    phrase: bool = False

    @property
    def code_like(self) -> bool:
        """Punctuated inside (a path, branch or id): worth a substring look-up too."""
        punctuated = re.search(r"\w[^\w\s]+\w", self.text)
        return not self.phrase and len(self.words) > 0 and bool(punctuated)


@dataclass(frozen=True)
class SearchQuery:
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    qualifiers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def highlight_words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for term in self.include for w in term.words))


def _term(text: str, *, phrase: bool) -> Term | None:
    words = tuple(w.lower() for w in WORD.findall(text))
    if not words:
        return None
    return Term(text=text, words=words, phrase=phrase and len(words) > 1)


def _tokens(text: str):
    """(negated, quoted, text) for each term; raises QueryError on bad quoting."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-"
        if negated:
            i += 1
            if i >= n or text[i].isspace():
                raise QueryError("A lone '-' excludes nothing: write -word or -\"a phrase\".")
        start = i
        prefix = ""
        match = re.match(r"([A-Za-z]+):", text[i:])
        if match and match.group(1).lower() in QUALIFIERS:
            prefix = match.group(1).lower()
            i += match.end()
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f'Unbalanced quote at character {i + 1}: close the phrase with ".')
            yield negated, prefix, True, text[i + 1 : end]
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] != '"':
                end += 1
            yield negated, prefix, False, text[i:end] if prefix else text[start:end]
            i = end


def query_parse(*, text: str) -> SearchQuery:
    """The query, or QueryError naming what is wrong with it."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"The query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}."
        )
    text = text.replace("\x00", " ")
    include, exclude, qualifiers = [], [], []
    for negated, prefix, quoted, value in _tokens(text):
        if prefix:
            if negated:
                raise QueryError(f"{prefix}: cannot be excluded.")
            if not value.strip():
                raise QueryError(f"{prefix}: needs a value, as in {prefix}:abc.")
            qualifiers.append((prefix, value.strip()))
            continue
        term = _term(value, phrase=quoted)
        if term is not None:
            (exclude if negated else include).append(term)
    if not include and not qualifiers:
        if exclude:
            raise QueryError("Only exclusions: give at least one word to search for.")
        raise QueryError("Nothing to search for: give at least one word.")
    return SearchQuery(include=tuple(include), exclude=tuple(exclude), qualifiers=tuple(qualifiers))


def _quoted(words) -> str:
    # Words hold only letters and digits: no quote can occur, but FTS5 strings are still
    # written with doubled quotes should WORD ever widen.
    return '"' + " ".join(words).replace('"', '""') + '"'


def fts5_words_expression(terms: tuple[Term, ...]) -> str:
    """Every word of `terms`, ANDed without their order: the rows a phrase is looked for
    in (FTS5 answers it from the index, stopping at a LIMIT)."""
    return " AND ".join(_quoted([word]) for term in terms for word in term.words)


def fts5_expression(terms: tuple[Term, ...], exclude: tuple[Term, ...] = ()) -> str:
    """An FTS5 MATCH expression built only of quoted strings of our own words."""
    expression = " AND ".join(_quoted(t.words) for t in terms)
    if exclude:
        expression = f"({expression}) NOT ({' OR '.join(_quoted(t.words) for t in exclude)})"
    return expression
