"""Parsing ahead in a helper process: the same results as in-process, and no leftovers."""

import os
import signal

import pytest

from migration_app.legacy import ao_ts
from migration_app.legacy.reading import session_files_prepare
from migration_app.legacy.rows import SessionRowFormat
from migration_app.legacy.synthetic import ao_tree_generate
from migration_app.services.parse_ahead import ParseAhead, ParseAheadError

# What the helper prepares does not depend on Django.
ROW_FORMAT = SessionRowFormat(
    defaults={"title": ""},
    harnesses=frozenset({"claude-code"}),
    naive_utc_dates=True,
)


def parse_ahead(*, enabled: bool) -> ParseAhead:
    return ParseAhead(source="ao", enabled=enabled, row_format=ROW_FORMAT, claude_home="/c")


@pytest.fixture
def files(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=60)  # with its bad sample files
    found = ao_ts.ao_session_files(tree.root, include_archive=True)
    return [f for f in found if not f.skip_reason]


def comparable(results):
    return [(type(r).__name__, getattr(r, "reason", None) or tuple(r)) for r in results]


def test_the_helper_gives_what_parsing_in_process_gives_in_submission_order(files):
    batches = [files[i : i + 7] for i in range(0, len(files), 7)]
    expected = [
        session_files_prepare(source="ao", files=batch, row_format=ROW_FORMAT, claude_home="/c")
        for batch in batches
    ]

    with parse_ahead(enabled=True) as parser:
        pending = [parser.submit(batch) for batch in batches]  # all in flight at once
        results = [p.result() for p in pending]

    assert [comparable(r) for r in results] == [comparable(r) for r in expected]
    # The first batch is parsed here while the helper starts; the helper does the rest.
    assert [type(p).__name__ for p in pending[:3]] == ["_InProcess", "_Pending", "_Pending"]


def test_without_a_helper_parsing_happens_when_the_result_is_asked_for(files, tmp_path):
    with parse_ahead(enabled=False) as parser:
        pending = parser.submit(files[:3])
        os.unlink(files[0].path)
        first, *_ = pending.result()
    assert first.reason.startswith("cannot read:")


def test_the_helper_ends_with_the_block(files):
    with parse_ahead(enabled=True) as parser:
        parser.submit(files[:5]).result()
        process = parser._process
    assert process.poll() == 0


def test_a_helper_that_dies_is_an_error_not_a_hang(files):
    with parse_ahead(enabled=True) as parser:
        parser.submit(files[:5]).result()
        parser.submit(files[5:10]).result()
        os.kill(parser._process.pid, signal.SIGKILL)
        parser._process.wait()
        # Sending to it or waiting for it fails.
        with pytest.raises(ParseAheadError, match="ended unexpectedly"):
            parser.submit(files[10:15]).result()


def test_results_are_collected_in_submission_order(files):
    with parse_ahead(enabled=True) as parser:
        parser.submit(files[:2]).result()  # parsed here while the helper starts
        second, third = parser.submit(files[2:4]), parser.submit(files[4:6])
        with pytest.raises(ParseAheadError, match="submission order"):
            third.result()
        assert len(second.result()) == 2


def test_no_helper_is_started_while_there_is_nothing_to_parse(files):
    with parse_ahead(enabled=True) as parser:
        assert parser.submit([]).result() == []
        assert parser._process is None
        parser.submit(files[:1]).result()
        assert parser._process is not None
