"""legacy/jsonl.py: where the whole lines of a JSONL file end, read from an offset."""

import pytest

from migration_app.legacy import jsonl
from migration_app.legacy.jsonl import jsonl_lines, lines_before, whole_lines_end


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "t.jsonl"
    # three whole lines (8, 3001 and 4 bytes), then a half-written one
    path.write_bytes(b'{"a":1}\n' + b"x" * 3000 + b"\n" + b"{}0\n" + b'{"half"')
    return path


@pytest.mark.parametrize(
    ("offset", "limit", "end"),
    [
        (0, None, 3013), (8, None, 3013), (3013, None, 3013),  # the half line never counts
        (0, 8, 8), (0, 7, 8), (0, 0, 8),  # a first line longer than the limit: its end
        (0, 3009, 3009), (0, 3012, 3009), (0, 3013, 3013), (0, 10**6, 3013),
        (8, 100, 3009), (3009, 4, 3013), (3009, 1, 3013),
    ],
)  # fmt: skip
def test_whole_lines_end_stops_at_the_last_newline_within_the_limit(log, offset, limit, end):
    assert whole_lines_end(str(log), offset=offset, limit=limit) == end


@pytest.mark.parametrize("limit", [None, 1, 100, 4000])
def test_whole_lines_end_agrees_with_the_lines_read(log, limit):
    ends = [line.end for line in jsonl_lines(str(log))]
    fitting = [e for e in ends if limit is None or e <= limit] or ends[:1]
    assert whole_lines_end(str(log), limit=limit) == fitting[-1]


def test_a_file_without_a_whole_line_ends_where_it_was_asked(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"half"')
    assert whole_lines_end(str(path), limit=4) == whole_lines_end(str(path)) == 0


@pytest.mark.parametrize("block", [2, 5, 1 << 20])
def test_lines_before_gives_the_whole_lines_above_an_offset_last_first(log, monkeypatch, block):
    monkeypatch.setattr(jsonl, "_BLOCK", block)  # lines cut across blocks read whole
    assert list(lines_before(str(log), 3013)) == [b"{}0", b"x" * 3000, b'{"a":1}']
    assert list(lines_before(str(log), 8)) == [b'{"a":1}']
    assert list(lines_before(str(log), 0)) == []
