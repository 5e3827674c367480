"""Reading session files of either source: one result per file, bad files as results."""

import os
import pickle

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.reading import (
    session_file_parse,
    session_files_parse,
    session_files_prepare,
)
from migration_app.legacy.records import LegacyParseError, SessionRecord, SkippedFile
from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate


def ao_files(root):
    return [f for f in ao_ts.ao_session_files(root, include_archive=True) if not f.skip_reason]


def test_every_file_gives_one_result_in_order_and_bad_files_are_results(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=40)  # with its bad sample files
    files = ao_files(tree.root)

    results = session_files_parse(source="ao", files=files)

    assert len(results) == len(files)
    rejected = [r for r in results if isinstance(r, LegacyParseError)]
    assert rejected and all(r.reason for r in rejected)
    for file, result in zip(files, results, strict=True):
        path = result.path if isinstance(result, LegacyParseError) else result.source_path
        assert path == file.path


def test_a_file_that_vanished_is_a_reason_not_a_crash(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=5, with_bad_files=False)
    file = ao_files(tree.root)[0]
    (tmp_path / file.path).unlink()

    [result] = session_files_parse(source="ao", files=[file])

    assert isinstance(result, LegacyParseError)
    assert result.reason.startswith("cannot read:")


def test_ao_rs_files_are_read_with_the_ao_rs_reader(tmp_path):
    root = ao_rs_tree_generate(str(tmp_path / "rs"), sessions=6, with_bad_files=False).root
    files = list(ao_rs.ao_rs_session_files(root, include_archive=False))

    records = [session_file_parse(source="ao-rs", file=f) for f in files]

    assert records and all(isinstance(r, SessionRecord) and r.source == "ao-rs" for r in records)


def test_results_survive_the_trip_to_another_process(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=20)
    results = session_files_parse(source="ao", files=ao_files(tree.root))

    copied = pickle.loads(pickle.dumps(results))

    assert [type(r) for r in copied] == [type(r) for r in results]
    for before, after in zip(results, copied, strict=True):
        if isinstance(before, LegacyParseError):
            assert (after.path, after.reason, str(after)) == (
                before.path,
                before.reason,
                str(before),
            )
        else:
            assert after == before


def test_prepared_sessions_carry_the_decision_fields_and_the_row(tmp_path):
    from migration_app.legacy.rows import SessionRowFormat, session_row_values

    row_format = SessionRowFormat(
        defaults={"title": ""},
        harnesses=frozenset({"claude-code"}),
        naive_utc_dates=True,
    )
    claude_home = tmp_path / "claude"
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=30, claude_home=str(claude_home))
    files = ao_files(tree.root)

    prepared = session_files_prepare(
        source="ao", files=files, row_format=row_format, claude_home=str(claude_home)
    )
    parsed = session_files_parse(source="ao", files=files)

    assert len(prepared) == len(parsed)
    for small, full in zip(prepared, parsed, strict=True):
        if isinstance(full, LegacyParseError):
            assert isinstance(small, LegacyParseError) and small.reason == full.reason
            continue
        assert (small.id, small.project_id, small.num_hint, small.created_at) == (
            full.id,
            full.project_id,
            full.num_hint,
            full.created_at,
        )
        assert small.row == session_row_values(full, row_format)
        if small.transcript_source:
            assert small.transcript_source_found == os.path.isfile(small.transcript_source)
    # The generator wrote transcripts for some sessions: they are found.
    assert any(p.transcript_source_found for p in prepared if hasattr(p, "row"))


def test_an_empty_file_is_skipped_and_the_mtime_comes_from_the_open_file(tmp_path):
    sessions = tmp_path / "ao" / "projects" / "app" / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "app-1.json").write_bytes(b"")
    (sessions / "app-2.json").write_bytes(b'{"status": "working"}')  # no createdAt: mtime
    os.utime(sessions / "app-2.json", (1_700_000_000, 1_700_000_000))
    # As the importer walks: names only, no stat.
    files = list(ao_ts.ao_session_files(str(tmp_path / "ao"), stat=False))
    assert [(f.size, f.mtime, f.skip_reason) for f in files] == [(-1, 0.0, "")] * 2

    empty, session = session_files_parse(source="ao", files=files)

    assert isinstance(empty, SkippedFile) and empty.path == files[0].path
    assert session.created_at.timestamp() == 1_700_000_000


def test_a_file_over_the_size_limit_is_rejected_unread(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=3, with_bad_files=False)
    files = ao_files(tree.root)
    size = os.path.getsize(files[0].path)
    [over] = session_files_parse(source="ao", files=files[:1], max_file_bytes=size - 1)
    assert isinstance(over, LegacyParseError)
    assert f"{size:,} bytes, more than --max-file-bytes {size - 1:,}" in over.reason
    [fits] = session_files_parse(source="ao", files=files[:1], max_file_bytes=size)
    assert isinstance(fits, SessionRecord)
    # 3 GiB (sparse): read, it would take the memory of a run; refused by its size instead.
    os.truncate(files[1].path, 3 * 2**30)
    [huge] = session_files_parse(source="ao", files=files[1:2])
    assert "more than --max-file-bytes 67,108,864" in huge.reason


def test_any_exception_while_reading_a_file_rejects_that_file_only(tmp_path, monkeypatch):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=4, with_bad_files=False)
    files = ao_files(tree.root)

    def explode(data, **kwargs):
        if kwargs["path"] == files[1].path:
            raise MemoryError()
        return real_parse(data, **kwargs)

    real_parse = ao_ts.parse_ao_session
    monkeypatch.setattr(ao_ts, "parse_ao_session", explode)
    results = session_files_parse(source="ao", files=files)

    assert isinstance(results[1], LegacyParseError) and results[1].reason == "MemoryError"
    assert all(isinstance(r, SessionRecord) for i, r in enumerate(results) if i != 1)


def test_a_fifo_put_in_place_after_the_walk_is_never_waited_on(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=2, with_bad_files=False)
    file = ao_files(tree.root)[0]
    os.unlink(file.path)
    os.mkfifo(file.path)
    [result] = session_files_parse(source="ao", files=[file])
    assert isinstance(result, LegacyParseError) and "not a regular file" in result.reason


def test_the_walks_note_reaches_the_record(tmp_path):
    sessions = tmp_path / "ao/projects/app/sessions"
    sessions.mkdir(parents=True)
    (sessions / "app-1.json").write_text('{"branch": "b"}')
    (sessions / "app-1.json.corrupt-1").write_text("{")
    [file] = ao_files(str(tmp_path / "ao"))
    [record] = session_files_parse(source="ao", files=[file])
    assert record.notes == [file.note] and "app-1.json.corrupt-1" in file.note


def test_given_the_data_dir_the_transcript_destination_is_looked_up_too(tmp_path):
    from migration_app.legacy.rows import SessionRowFormat
    from migration_app.legacy.transcripts import transcript_destination

    row_format = SessionRowFormat(defaults={}, harnesses=frozenset(), naive_utc_dates=True)
    claude_home, data_dir = tmp_path / "claude", str(tmp_path / "data")
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=30, claude_home=str(claude_home))
    files = ao_files(tree.root)
    with_transcript = [
        p
        for p in session_files_prepare(
            source="ao", files=files, row_format=row_format, claude_home=str(claude_home)
        )
        if getattr(p, "transcript_source", "")
    ]
    first = with_transcript[0]
    dest = transcript_destination(
        claude_home=str(claude_home), data_dir=data_dir, project_id=first.project_id,
        session_id=first.id, uuid=first.agent_session_id,
    )  # fmt: skip
    os.makedirs(os.path.dirname(dest))
    open(dest, "w").close()  # an earlier run copied this one

    prepared = session_files_prepare(
        source="ao", files=files, row_format=row_format, claude_home=str(claude_home),
        data_dir=data_dir,
    )  # fmt: skip

    looked_up = {p.id: p for p in prepared if getattr(p, "transcript_source", "")}
    assert looked_up.keys() == {p.id for p in with_transcript}
    assert (looked_up[first.id].transcript_dest, looked_up[first.id].transcript_dest_found) == (
        dest,
        True,
    )
    assert not any(p.transcript_dest_found for p in looked_up.values() if p.id != first.id)
    assert all(p.transcript_dest for p in looked_up.values())
    # Without the data dir, the importer looks the destination up itself.
    assert not any(p.transcript_dest for p in with_transcript)
