"""Task id rules, table-driven (DB-free): every row of legacy-formats §5.1 and the traps of §8."""

import pytest

from sessions_app.task_ids import (
    InvalidTaskId,
    TaskId,
    backend_prefix,
    is_qualified,
    normalise_task_id,
    parse_task_id,
    refers_to,
    stored_forms,
    task_id_storage_form,
    try_normalise_task_id,
)

# (input, canonical form or None when refused, why)
TABLE = [
    # rule 1: qualified, returned as-is
    ("mt#123", "mt#123", "qualified minsky"),
    ("gh#9", "gh#9", "qualified github"),
    ("md#update-test", "md#update-test", "non-numeric local id"),
    ("json#7", "json#7", "json-file prefix"),
    ("jira-cloud#AB-12", "jira-cloud#AB-12", "any [a-z-]+ backend"),
    ("  mt#123\n", "mt#123", "surrounding whitespace trimmed"),
    # task#283: legacy, not a backend called "task" (origin rule 1 kept it as-is)
    ("task#283", "md#283", "legacy task# lower case"),
    ("Task#283", "md#283", "legacy task# capitalised"),
    ("TASK#283", "md#283", "legacy task# upper case"),
    ("tAsK#283", "md#283", "legacy task# any case"),
    # rules 2-5: legacy markdown numbers
    ("#283", "md#283", "hash number"),
    ("283", "md#283", "plain number"),
    ("##283", "md#283", "double hash"),
    ("###283", "md#283", "any run of hashes"),
    ("007", "md#007", "leading zeros kept verbatim"),
    # refused: where the origin's two parsers disagreed, one explicit answer
    ("mt#1#2", None, "two #"),
    ("MT#1", None, "upper-case backend"),
    ("update-test", None, "bare non-numeric: no backend to assume"),
    ("invalid-id", None, "the origin's invalid example"),
    ("a b", None, "space"),
    ("mt#a b", None, "space in the local id"),
    ("#", None, "only #"),
    ("mt#", None, "# at the end"),
    ("#mt", None, "# at the start, not a number"),
    ("task#abc", None, "task is the legacy spelling, not a backend"),
    ("gh2#5", None, "digit in the backend"),
    ("", None, "empty"),
    ("   ", None, "blank"),
]


@pytest.mark.parametrize(("value", "expected", "why"), TABLE, ids=[row[2] for row in TABLE])
def test_normalisation_table(value, expected, why):
    if expected is None:
        with pytest.raises(InvalidTaskId, match="Invalid task ID format"):
            normalise_task_id(value)
        assert try_normalise_task_id(value) is None
    else:
        assert normalise_task_id(value) == expected
        assert try_normalise_task_id(value) == expected


def test_parse_splits_backend_and_local():
    assert parse_task_id("mt#123") == TaskId("mt", "123")
    assert parse_task_id("TASK#9") == TaskId("md", "9")
    assert str(TaskId("gh", "4")) == "gh#4"


def test_non_strings_are_refused():
    with pytest.raises(InvalidTaskId):
        parse_task_id(None)
    with pytest.raises(InvalidTaskId):
        parse_task_id(123)


@pytest.mark.parametrize(
    ("value", "qualified"),
    [("mt#1", True), ("md#283", True), ("283", False), ("task#283", False), (" mt#1", False)],
)
def test_is_qualified_means_stored_canonically(value, qualified):
    assert is_qualified(value) is qualified


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("md", "md"), ("markdown", "md"), ("mt", "mt"), ("minsky", "mt"), ("gh", "gh"),
        ("github", "gh"), ("json", "json"), ("json-file", "json"), (" Minsky ", "mt"),
    ],
)  # fmt: skip
def test_backend_prefix_accepts_prefixes_and_names(name, prefix):
    assert backend_prefix(name) == prefix


@pytest.mark.parametrize("name", ["jira", "", "md#", "gitlab"])
def test_unknown_backends_are_refused(name):
    with pytest.raises(InvalidTaskId, match="Unknown task backend"):
        backend_prefix(name)


def test_stored_forms_of_a_qualified_id_include_the_plain_local_id():
    assert stored_forms("mt#123") == ["mt#123", "123"]
    assert stored_forms("gh#update-test") == ["gh#update-test", "update-test"]


def test_stored_forms_of_a_markdown_number_include_the_legacy_spellings():
    forms = stored_forms("md#283")
    assert forms[:2] == ["md#283", "283"]
    assert {"#283", "##283", "task#283", "Task#283", "TASK#283"} <= set(forms)
    # a legacy input names the same task
    assert stored_forms("283") == forms == stored_forms("task#283")


def test_stored_forms_refuse_an_invalid_id():
    with pytest.raises(InvalidTaskId):
        stored_forms("invalid-id")


@pytest.mark.parametrize(
    ("stored", "task_id", "expected"),
    [
        ("123", "mt#123", True),
        ("mt#123", "mt#123", True),
        ("md#123", "mt#123", False),
        ("1234", "mt#123", False),
        ("#123", "md#123", True),
        ("#123", "mt#123", False),
        ("123", "invalid-id", False),
    ],
)
def test_refers_to(stored, task_id, expected):
    assert refers_to(stored, task_id) is expected


# minsky's storage normalisation (validateQualifiedTaskId), every row of §5.1's table:
# (input, stored form or None, rule)
STORAGE_TABLE = [
    ("mt#123", "mt#123", "1: qualified as is"),
    ("gh#9", "gh#9", "1: github"),
    ("md#update-test", "md#update-test", "1: non-numeric local id"),
    ("task#283", "task#283", "1: lower-case task matches the qualified rule"),
    ("mt#1#2", "mt#1#2", "1: anything after the first #"),
    ("#283", "md#283", "2: hash number"),
    ("283", "md#283", "3: plain number"),
    ("Task#283", "md#283", "4: legacy task#, capitalised"),
    ("TASK#283", "md#283", "4: legacy task#, upper case"),
    ("##283", "md#283", "5: hashes"),
    ("update-test", "update-test", "6: a bare word as is"),
    ("invalid-id", "invalid-id", "6: the origin's invalid example is a bare word too"),
    ("snake_case_9", "snake_case_9", "6: underscores and digits"),
    ("MT#1", None, "7: upper-case backend"),
    ("a b", None, "7: space"),
    ("mt#a\nb", None, "7: a line break (JavaScript's . stops there)"),
    ("#", None, "7: only #"),
    ("", None, "7: empty"),
    ("  mt#123 ", "mt#123", "trimmed first"),
    ("\u0663", None, "7: a non-ASCII digit is no number"),
]


@pytest.mark.parametrize(
    ("value", "expected", "rule"), STORAGE_TABLE, ids=[row[2] for row in STORAGE_TABLE]
)
def test_storage_form_is_minskys_table(value, expected, rule):
    assert task_id_storage_form(value) == expected


def test_storage_form_of_a_non_string_is_none():
    assert task_id_storage_form(None) is None and task_id_storage_form(123) is None


@pytest.mark.parametrize(
    ("stored", "task_id"),
    [("task#283", "md#283"), ("update-test", "md#update-test"), ("update-test", "mt#update-test")],
)
def test_values_stored_in_minskys_form_are_found_by_the_task(stored, task_id):
    # The two values where the hub's reference rules and minsky's storage table differ:
    # stored as minsky stores them, they still point at their task.
    assert refers_to(stored, task_id)
