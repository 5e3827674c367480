"""import_transcripts keeps each file's order in the hub, which reads a conversation by
(created_at, id) with uuid5 ids: messages whose timestamps tie get 1 µs more than the one
before, the same however the file was read (one run, two runs, 8 MiB windows), and a
leading record without a timestamp takes the file's first (services/transcripts/files.py,
shared.tie_broken)."""

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from migration_app.legacy.transcript_rows import stable_id
from migration_app.models import TranscriptFile
from migration_app.services import migration_undo
from migration_app.services.transcripts import files as transcript_files
from projects_app.models import Message
from sessions_app.models import Session
from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    CODEX_THREAD,
    CWD,
    claude_assistant,
    claude_path,
    claude_user,
    codex_count,
    codex_line,
    codex_path,
    homes,
    lines_write,
    transcripts_run,
    usage,
)

pytestmark = pytest.mark.django_db

TIE = "2026-01-02T10:00:00.000Z"
AT = dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)
EARLIER = "2026-01-02T09:59:00.000Z"
MICRO = dt.timedelta(microseconds=1)
CLAUDE_RELATIVE = str(claude_path(Path("/")).relative_to("/"))
CODEX_RELATIVE = str(codex_path(Path("/")).relative_to("/"))


def claude_id(key: str):
    return stable_id("message", "claude-code", CLAUDE_RELATIVE, key)


def codex_id(start: int):
    return stable_id("message", "codex", CODEX_RELATIVE, f"@{start}")


def falling(slots) -> list[dict]:
    """The records of `slots` (name -> (message keys, records)), each named so that its
    messages' ids fall as the file goes on: id order is the file's reversed, so only
    created_at can give the hub the file's order."""
    records, last, names = [], None, (f"k{n:04d}" for n in itertools.count())
    for slot in slots:
        for name in names:
            keys, lines = slot(name)
            ids = [claude_id(key) for key in keys]
            bounds = ([last] if last else []) + ids
            if all(a > b for a, b in itertools.pairwise(bounds)):
                break
        records += lines
        last = ids[-1] if ids else last
    return records


def claude_tied() -> list[dict]:
    """Seven lines at one timestamp: three prompts, a streamed answer (two lines), a line
    with two tool results, a prompt. Lines [:4] are the first run's, [4:] an append."""

    def user(text):
        return lambda name: ([name], [claude_user(name, text, ts=TIE)])

    def answer(name):
        said = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
        lines = [claude_assistant(f"{name}-{n}", name, block, usage=usage(5, n), ts=TIE)
                 for n, block in enumerate(said, 1)]  # fmt: skip
        return [f"msg:{name}:req_1"], lines

    def results(name):
        blocks = [{"type": "tool_result", "tool_use_id": c, "content": f"r{c}"} for c in "12"]
        return [f"{name}/1", f"{name}/2"], [claude_user(name, blocks, ts=TIE)]

    return falling([user("m1"), user("m2"), user("m3"), answer, results, user("m6")])


CLAUDE_ORDER = ["m1", "m2", "m3", "one\n\ntwo", "r1", "r2", "m6"]


def codex_tied() -> list[bytes]:
    """A rollout's lines, padded so that the ids (uuid5 of byte offsets) fall as the file
    goes on: meta and context at an earlier tie, then prompts, a call, its output and the
    answer at TIE; [:7] the first run's (the answer awaits its count), [7:] an append."""
    said = [{"type": "output_text", "text": "done"}]
    records = [
        codex_line("session_meta", {"id": CODEX_THREAD, "cwd": CWD}, ts=EARLIER),
        codex_line("turn_context", {"cwd": CWD, "model": "gpt-5-codex"}, ts=EARLIER),
        codex_line("response_item", {"type": "message", "role": "user", "content": "m1"}, TIE),
        codex_line("response_item", {"type": "message", "role": "user", "content": "m2"}, TIE),
        codex_line("response_item", {"type": "function_call", "name": "shell",
                                     "arguments": "{}", "call_id": "c1"}, TIE),
        codex_line("response_item", {"type": "function_call_output", "call_id": "c1",
                                     "output": "ok"}, TIE),
        codex_line("response_item", {"type": "message", "role": "assistant", "content": said},
                   TIE),
        {**codex_count(100, 10, 100, 10), "timestamp": TIE},  # not a message: the answer's
        codex_line("response_item", {"type": "message", "role": "user", "content": "m6"}, TIE),
        codex_line("response_item", {"type": "message", "role": "user", "content": "m7"}, TIE),
    ]  # fmt: skip
    lines, last = [], None
    for record in records:
        start = sum(map(len, lines))
        if record["type"] != "event_msg" and last is not None:
            # Pad the line before until this one starts where its id is below the last.
            before, size = json.loads(lines[-1]), start - len(lines[-1])
            for pad in range(10_000):
                line = json.dumps({**before, "pad": "x" * pad}).encode() + b"\n"
                if codex_id(size + len(line)) < last:
                    break
            lines[-1], start = line, size + len(line)
        lines.append(json.dumps(record).encode() + b"\n")
        if record["type"] != "event_msg":
            last = codex_id(start)
    return lines


def codex_write(path: Path, lines: list[bytes], *, append: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab" if append else "wb") as handle:
        handle.write(b"".join(lines))


def hub(agent_session_id: str) -> list[Message]:
    """A session's messages in the order the hub (viewer, API, export) reads them."""
    session = Session.objects.get(agent_session_id=agent_session_id)
    return list(session.conversation.messages.order_by("created_at", "id"))


def test_claude_messages_tied_on_one_timestamp_keep_file_order_across_an_append(tmp_path, data_dir):
    records, path = claude_tied(), claude_path(homes(tmp_path)[0])
    lines_write(path, records[:4])
    transcripts_run(tmp_path)
    assert [m.content for m in hub(CLAUDE_UUID)] == ["m1", "m2", "m3", "one"]
    lines_write(path, records[4:], append=True)  # the answer grows, the tie goes on
    transcripts_run(tmp_path)
    messages = hub(CLAUDE_UUID)
    assert [m.content for m in messages] == CLAUDE_ORDER
    assert [m.created_at for m in messages] == [AT + n * MICRO for n in range(7)]
    # The ids alone would give the file's order reversed.
    assert [m.content for m in sorted(messages, key=lambda m: m.id)] == CLAUDE_ORDER[::-1]
    # The source's timestamp text stays verbatim in the records kept.
    assert {r["timestamp"] for m in messages for r in m.extra_data["records"]} == {TIE}


def test_codex_messages_tied_on_one_timestamp_keep_file_order_across_an_append(tmp_path, data_dir):
    lines, path = codex_tied(), codex_path(homes(tmp_path)[1])
    codex_write(path, lines[:7])
    transcripts_run(tmp_path)
    codex_write(path, lines[7:], append=True)  # the answer's count, then more at TIE
    transcripts_run(tmp_path)
    messages = hub(CODEX_THREAD)
    offsets = [m.extra_data["offset"] for m in messages]
    assert len(offsets) == 9 and offsets == sorted(offsets)
    assert [m.content for m in messages][2:] == ["m1", "m2", "", "ok", "done", "m6", "m7"]
    assert [m.created_at for m in messages] == [
        *(AT - dt.timedelta(minutes=1) + n * MICRO for n in range(2)),
        *(AT + n * MICRO for n in range(7)),
    ]
    assert sorted(messages, key=lambda m: m.id) == messages[::-1]
    assert messages[6].extra_data["usage"]["output"] == 10  # the answer got its count


def test_created_at_is_the_same_in_one_run_as_in_two_runs_read_in_windows(
    tmp_path, data_dir, monkeypatch
):
    claude_home, codex_home = homes(tmp_path)
    records, lines = claude_tied(), codex_tied()
    claude_file, codex_file = claude_path(claude_home), codex_path(codex_home)
    lines_write(claude_file, records[:4])
    codex_write(codex_file, lines[:7])
    monkeypatch.setattr(transcript_files, "WINDOW", 700)  # a few lines a window
    first = transcripts_run(tmp_path)
    assert (
        first.items.filter(subject_type="transcript_file", subject_id=str(codex_file)).count() > 1
    )
    ties = {f.path: (f.tie_timestamp, f.tie_count) for f in TranscriptFile.objects.all()}
    lines_write(claude_file, records[4:], append=True)
    codex_write(codex_file, lines[7:], append=True)
    second = transcripts_run(tmp_path)
    stepwise = dict(Message.objects.values_list("id", "created_at"))
    migration_undo(run=second)  # each file's tie goes back with its offset
    assert {f.path: (f.tie_timestamp, f.tie_count) for f in TranscriptFile.objects.all()} == ties
    migration_undo(run=first)
    assert not Message.objects.exists()
    monkeypatch.undo()
    transcripts_run(tmp_path)  # each file whole, in one read
    assert dict(Message.objects.values_list("id", "created_at")) == stepwise
    assert [m.content for m in hub(CLAUDE_UUID)] == CLAUDE_ORDER


def test_a_record_without_timestamp_leading_takes_the_first_one_and_later_follows(
    tmp_path, data_dir
):
    summary = {"type": "summary", "summary": "Earlier work", "leafUuid": "x"}
    lines_write(claude_path(homes(tmp_path)[0]), [
        summary, claude_user("u1", "go", ts=TIE),
        claude_user("u2", "later", ts="2026-01-02T10:00:05.000Z"), summary,
    ])  # fmt: skip
    transcripts_run(tmp_path)
    messages = hub(CLAUDE_UUID)
    assert [m.content for m in messages] == ["Earlier work", "go", "later", "Earlier work"]
    later = AT + dt.timedelta(seconds=5)
    assert [m.created_at for m in messages] == [AT, AT + MICRO, later, later + MICRO]
    assert messages[0].conversation.created_at == AT  # not the import's time


def test_undo_of_a_run_journaled_before_ties_were_kept_leaves_no_tie(tmp_path, data_dir):
    records, path = claude_tied(), claude_path(homes(tmp_path)[0])
    lines_write(path, records[:4])
    transcripts_run(tmp_path)
    lines_write(path, records[4:], append=True)
    second = transcripts_run(tmp_path)
    for item in second.items.filter(subject_type="transcript_file"):
        item.before = {k: v for k, v in item.before.items() if not k.startswith("tie_")}
        item.save(update_fields=["before"])
    migration_undo(run=second)
    row = TranscriptFile.objects.get(path=str(path))
    assert (row.tie_timestamp, row.tie_count) == (None, 0)  # not the undone run's tie
