"""Secrets in transcript records never reach the database (legacy/transcript_secrets.py);
token counts stay, and the archive copy keeps the original bytes."""

import json

import pytest

from migration_app.legacy.transcript_secrets import record_secrets_drop
from projects_app.models import Message
from tests.migration_app.transcript_helpers import (
    claude_assistant,
    claude_path,
    codex_count,
    codex_line,
    codex_path,
    homes,
    lines_write,
    transcripts_run,
    usage,
)

CREDENTIALS = {
    "access_token": "ya29.at-1", "refresh_token": "1//rt-2", "id_token": "eyJ.id-3",
    "password": "hunter2-4", "Authorization": "Bearer ab-5", "api_key": "sk-6",
    "client_secret": "cs-7", "Cookie": "session=ck-8",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_a_credential_key_is_dropped_at_any_depth(name):
    record = {"type": "x", "payload": {"args": [{"headers": {name: CREDENTIALS[name], "a": 1}}]}}
    kept, dropped = record_secrets_drop([record])
    assert kept == [{"type": "x", "payload": {"args": [{"headers": {"a": 1}}]}}]
    assert dropped == [f"payload.args.headers.{name}"]


@pytest.mark.parametrize(
    "name",
    ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
     "cached_input_tokens", "reasoning_output_tokens", "total_tokens", "total_token_usage",
     "last_token_usage", "max_tokens", "tokens_used", "ephemeral_5m_input_tokens"],
)  # fmt: skip
def test_a_token_count_is_no_secret(name):
    record = {"usage": {name: 12}}
    assert record_secrets_drop(record) == (record, [])


def test_a_record_without_secrets_is_returned_as_it_is():
    record = {"message": {"content": [{"type": "text", "text": "password: see the vault"}]}}
    kept, dropped = record_secrets_drop(record)
    assert kept is record and dropped == []


@pytest.mark.django_db
def test_credentials_in_claude_and_codex_records_never_come_in(tmp_path, data_dir):
    claude, codex = homes(tmp_path)
    headers = {"Authorization": CREDENTIALS["Authorization"]}
    call = {"type": "tool_use", "id": "t1", "name": "WebFetch",
            "input": {"url": "https://x", "headers": headers}}  # fmt: skip
    line = claude_assistant("a1", "m1", call, usage=usage(4, 2, 1, 1))
    line["oauth"] = {"access_token": CREDENTIALS["access_token"],
                     "refresh_token": CREDENTIALS["refresh_token"]}  # fmt: skip
    claude_file = lines_write(claude_path(claude), [line])
    arguments = {"name": "login", "password": CREDENTIALS["password"]}
    codex_file = lines_write(
        codex_path(codex),
        [
            codex_line("session_meta", {"id": "t", "cwd": "/w", "api_key": CREDENTIALS["api_key"]}),
            codex_line("response_item", {"type": "function_call", "name": "login", "call_id": "c1",
                                         "arguments": arguments}),
            codex_count(10, 2, 10, 2),
        ],
    )  # fmt: skip
    transcripts_run(tmp_path)
    stored = json.dumps(
        list(Message.objects.values_list("content", "tool_calls", "extra_data")), default=str
    )
    for value in CREDENTIALS.values():
        if value not in ("session=ck-8", "cs-7", "eyJ.id-3"):  # not written to these files
            assert value not in stored
    assert '"input_tokens": 10' in stored and '"cache_read_input_tokens": 1' in stored
    call_message = Message.objects.get(tool_calls__0__name="login")
    assert call_message.tool_calls[0]["input"] == {"name": "login"}
    assert "input.password" in call_message.extra_data["secrets_dropped"]
    # The archive copies are the original bytes, credentials included.
    for source, path, home in (("claude-code", claude_file, claude), ("codex", codex_file, codex)):
        copy = data_dir / "transcripts" / source / path.relative_to(home)
        assert copy.read_bytes() == path.read_bytes()
