"""Windows prepared ahead in a second process (services/transcripts/lookahead.py): the
import stores what it stores without them, and uses a prepared read only when its bytes
are the archive copy's."""

import hashlib
import json
from pathlib import Path

import pytest

from bench.transcript_tree import transcript_tree_generate, transcripts_append
from migration_app import services as migration_services
from migration_app.legacy.transcript_rows import window_prepare
from migration_app.services import transcripts
from migration_app.services.transcripts import files as transcript_files
from migration_app.services.transcripts import lookahead as lookahead_module
from migration_app.services.transcripts.linking import TranscriptSource
from projects_app.models import Message
from sessions_app.models import UsageRecord
from tests.migration_app.transcript_helpers import homes, lines_write, transcripts_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tmp_path):
    claude, codex = homes(tmp_path)
    return transcript_tree_generate(str(claude), str(codex), total_bytes=300_000, files=6)


@pytest.fixture
def made(monkeypatch) -> list:
    """The run's lookaheads, in the order the runs made them; the worker used from the
    first byte on, as on a machine with two cores."""
    made = []

    class Recorded(lookahead_module.WindowLookahead):
        def __init__(self, **options):
            super().__init__(**options)
            made.append(self)

    monkeypatch.setattr(transcripts, "WindowLookahead", Recorded)
    monkeypatch.setattr(transcripts, "usable_cores", lambda: 2)
    monkeypatch.setattr(lookahead_module, "START_AFTER", 0)
    return made


def stored() -> tuple[list, list]:
    messages = Message.objects.order_by("pk").values_list(
        "pk", "conversation_id", "role", "content", "tool_calls", "tool_call_id", "extra_data",
        "created_at", "tokens_used",
    )  # fmt: skip
    usage = UsageRecord.objects.order_by("key").values_list(
        "key", "session_id", "subagent", "message_id", "input_tokens", "output_tokens",
        "cache_write_tokens", "cache_read_tokens", "occurred_at", "model",
    )  # fmt: skip
    return list(messages), list(usage)


def test_an_import_with_the_worker_stores_what_one_without_it_stores(
    tmp_path, data_dir, tree, made, monkeypatch
):
    monkeypatch.setattr(transcript_files, "WINDOW", 16 << 10)  # several windows a file
    ahead = transcripts_run(tmp_path)
    with_worker = stored()
    assert ahead.status == "succeeded" and made[0].taken >= len(tree.files)
    assert len(with_worker[0]) == tree.messages

    migration_services.migration_undo(run=ahead)
    assert not Message.objects.exists()
    monkeypatch.setattr(transcripts, "usable_cores", lambda: 1)
    here = transcripts_run(tmp_path)
    assert here.status == "succeeded" and made[1].taken == 0
    assert stored() == with_worker


def source_file(tmp_path) -> TranscriptSource:
    path = lines_write(tmp_path / "home" / "s.jsonl", [
        {"type": "summary", "summary": "first", "leafUuid": "u1"},
        {"type": "summary", "summary": "second", "leafUuid": "u2"},
    ])  # fmt: skip
    return TranscriptSource(str(path), "claude-code", "p/s.jsonl", "s")


def test_a_prepared_read_of_other_bytes_than_the_copy_is_read_again_from_the_copy(tmp_path):
    file = source_file(tmp_path)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(Path(file.path).read_bytes().replace(b"first", b"FIRST"))
    end = copy.stat().st_size
    with lookahead_module.WindowLookahead(enabled=True, window=1 << 20) as lookahead:
        lookahead._send(file, 0, 0, end)
        lookahead._pending[1].result()  # the worker has read the original
        digest = hashlib.sha256(copy.read_bytes()).hexdigest()
        read = lookahead.read(file=file, parse=str(copy), tail=0, start=0, end=end, digest=digest)
    assert lookahead.taken == 0
    assert read == window_prepare(path=str(copy), source="claude-code", relative="p/s.jsonl",
                                  offset=0, end=end)  # fmt: skip
    assert json.loads(read.messages[0].extra_data)["records"][0]["summary"] == "FIRST"


def test_a_prepared_read_of_the_copy_s_bytes_is_used(tmp_path):
    file = source_file(tmp_path)
    data = Path(file.path).read_bytes()
    with lookahead_module.WindowLookahead(enabled=True, window=1 << 20) as lookahead:
        lookahead._send(file, 0, 0, len(data))
        digest = hashlib.sha256(data).hexdigest()
        read = lookahead.read(file=file, parse=file.path, tail=0, start=0, end=len(data),
                              digest=digest)  # fmt: skip
    assert lookahead.taken == 1 and read.digest == digest
    assert [json.loads(m.extra_data)["records"][0]["summary"] for m in read.messages] == [
        "first",
        "second",
    ]


def test_an_append_re_run_prepares_the_next_changed_file_past_unchanged_ones(
    tmp_path, data_dir, tree, made
):
    transcripts_run(tmp_path)
    appended = sorted(tree.files)[::3]
    extra = transcripts_append(appended, per_file=4_000)
    run = transcripts_run(tmp_path)
    assert run.counts["messages_imported"] == extra.messages
    # The first appended file is read here; each later one was prepared while the one
    # before it was written, the unchanged files between them passed over.
    assert made[1].taken == len(appended) - 1
