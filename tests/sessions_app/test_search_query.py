"""The search query language: what parses, what is refused and why."""

import pytest

from sessions_app.search_query import (
    MAX_QUERY_LENGTH,
    QueryError,
    fts5_expression,
    fts5_words_expression,
    query_parse,
)


def words(terms):
    return [t.words for t in terms]


def test_words_phrases_exclusions_and_qualifiers():
    query = query_parse(text='deploy "rolled back" -staging -"dry run" issue:ISSUE-7 id:ab')
    assert words(query.include) == [("deploy",), ("rolled", "back")]
    assert query.include[1].phrase
    assert words(query.exclude) == [("staging",), ("dry", "run")]
    assert query.qualifiers == (("issue", "ISSUE-7"), ("id", "ab"))


def test_quoted_qualifier_value_and_case():
    query = query_parse(text='Task:"md#12" fix')
    assert query.qualifiers == (("task", "md#12"),)


def test_an_unknown_prefix_is_an_ordinary_word():
    query = query_parse(text="http://example.com")
    assert query.qualifiers == ()
    assert words(query.include) == [("http", "example", "com")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('"unbalanced', "Unbalanced quote"),
        ('fine "and not', "Unbalanced quote"),
        ("a - b", "lone '-'"),
        ("-", "lone '-'"),
        ("x" * (MAX_QUERY_LENGTH + 1), "limit is 1000"),
        ("-only", "Only exclusions"),
        ("", "Nothing to search for"),
        ("* ** ()", "Nothing to search for"),
        ("issue:", "needs a value"),
        ("-id:abc", "cannot be excluded"),
    ],
)
def test_malformed_queries_name_the_reason(text, reason):
    with pytest.raises(QueryError, match=reason):
        query_parse(text=text)


def test_exactly_the_limit_is_accepted():
    assert query_parse(text="a" * MAX_QUERY_LENGTH).include


@pytest.mark.parametrize(
    "text",
    [
        "NEAR(a b, 3)",
        "a OR b AND NOT c",
        "col:value ^start a*",
        'back\\slash \\"',
        "nul\x00byte",
        "ünïcödé 日本語 🙂",
        "{a b} + (c)",
    ],
)
def test_fts_syntax_becomes_quoted_words(text):
    """Operators arrive as plain words inside quoted FTS5 strings, never as syntax."""
    query = query_parse(text=text.replace('\\"', ""))
    expression = fts5_expression(query.include, query.exclude)
    for term in query.include:
        assert '"' + " ".join(term.words) + '"' in expression
    # Outside the quoted strings only our own AND / NOT / OR and parentheses remain.
    outside = expression.split('"')[::2]
    assert set(" ".join(outside).split()) <= {"AND", "NOT", "OR", "(", ")", "()"}


def test_punctuated_terms_are_code_like():
    query = query_parse(text='feat/search-x app.py plain "a.b c"')
    assert [t.code_like for t in query.include] == [True, True, False, False]


def test_the_candidate_expression_asks_for_each_word_apart():
    """The rows a phrase is looked for in: every word of every term, in any order."""
    query = query_parse(text='"red fox" tail -cat')
    assert fts5_words_expression(query.include) == '"red" AND "fox" AND "tail"'
