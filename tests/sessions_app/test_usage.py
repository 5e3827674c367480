"""Token usage from real transcript files and legacy session totals: counted once per API
message (Claude) and per token_count delta (Codex), subagents apart, unknown models
unpriced, the cost in micro-dollars from the repository's price table."""

import pytest

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from migration_app.services import migration_undo
from sessions_app.models import Session, UsageRecord
from sessions_app.pricing import price_table_load, price_table_parse
from sessions_app.usage import usage_backfill, usage_reprice, usage_sessions_record
from sessions_app.usage_rollups import session_usage, usage_records, usage_rollup
from tests.factories import SessionFactory, default_workspace
from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    CODEX_THREAD,
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
from tests.sessions_app.usage_transcripts import assistant, claude_files, codex_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tmp_path, data_dir):
    claude, codex = homes(tmp_path)
    claude_files(claude)
    codex_file(codex)
    run = transcripts_run(tmp_path)
    return run


def tokens(row):
    return (row.input_tokens, row.output_tokens, row.cache_write_tokens, row.cache_read_tokens)


def test_claude_usage_once_per_api_message_with_its_cost(imported):
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    rows = {r.model: r for r in UsageRecord.objects.filter(session=session, subagent="")}
    assert set(rows) == {"claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101",
                         "claude-mystery-9"}  # fmt: skip
    sonnet = rows["claude-sonnet-4-5-20250929"]
    assert tokens(sonnet) == (10, 30, 100, 5) and sonnet.total_tokens == 145
    # 10×3 + 30×15 + 100×3.75 + 5×0.30 = 856.5 µ$, rounded half up.
    assert sonnet.cost_micro_usd == 857
    assert sonnet.price_version == price_table_load().version
    opus = rows["claude-opus-4-5-20251101"]
    assert opus.cost_micro_usd == 3 * 5 + 200 * 25 + 2000 * 0.5  # 6015
    unknown = rows["claude-mystery-9"]
    assert unknown.cost_micro_usd is None and unknown.price_version == ""
    assert {r.origin for r in rows.values()} == {"claude-code"}


def test_codex_usage_is_the_delta_of_running_totals_counted_once(imported):
    session = Session.objects.get(agent_session_id=CODEX_THREAD)
    rows = list(UsageRecord.objects.filter(session=session).order_by("occurred_at", "key"))
    # Input is kept uncached: gross − cached. Deltas (1000, 800, 50) and (1200, 900, 20).
    assert sorted(tokens(r) for r in rows) == [(200, 50, 0, 800), (300, 20, 0, 900)]
    # 200×1.25 + 50×10 + 800×0.125 = 850; 300×1.25 + 20×10 + 900×0.125 = 687.5 → 688.
    assert sorted(r.cost_micro_usd for r in rows) == [688, 850]
    assert {r.origin for r in rows} == {"codex"} and {r.model for r in rows} == {"gpt-5-codex"}


def test_a_session_includes_its_subagents_and_shows_them_apart(imported):
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    figures = session_usage(session=session)
    # Haiku 4.5: 7×1 + 11×5 + 13×1.25 + 17×0.10 = 79.95 → 80.
    assert figures["subagents"][0]["subagent"] == "agent-x"
    (haiku,) = figures["subagents"][0]["by_model"]
    assert (haiku["model"], haiku["total"], haiku["cost_micro_usd"]) == (
        "claude-haiku-4-5-20251001",
        48,
        80,
    )
    totals = figures["totals"]
    assert (totals["own"]["total"], totals["own"]["cost_micro_usd"]) == (145 + 2203 + 10, 6872)
    assert (totals["subagents"]["total"], totals["subagents"]["cost_micro_usd"]) == (48, 80)
    assert totals["all"]["total"] == 2406 and totals["all"]["cost_micro_usd"] == 6952
    assert totals["all"]["unpriced_tokens"] == 10  # the unknown model: counted, not priced


def test_days_follow_the_time_zone(imported):
    records = usage_records(workspace_ids=[default_workspace().pk]).filter(origin="claude-code")
    utc = {r["day"]: r["total"] for r in usage_rollup(records=records, group_by=("day",))}
    assert utc == {"2026-01-02": 2406}
    import zoneinfo

    tokyo = usage_rollup(records=records, group_by=("day",), tz=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert {r["day"]: r["total"] for r in tokyo} == {"2026-01-02": 193, "2026-01-03": 2213}


def test_reimport_and_backfill_write_the_same_records(tmp_path, imported):
    before = sorted(UsageRecord.objects.values_list("key", "total_tokens", "cost_micro_usd"))
    assert transcripts_run(tmp_path).counts.get("messages_imported", 0) == 0
    UsageRecord.objects.all().delete()
    usage_backfill()
    after = sorted(UsageRecord.objects.values_list("key", "total_tokens", "cost_micro_usd"))
    assert after == before and len(before) == 6


def test_an_api_message_repeated_in_another_file_is_counted_once(tmp_path, imported):
    claude, _ = homes(tmp_path)
    resumed = "7c0c7a2e-2222-4d2a-9c1e-0a1b2c3d4e5f"
    lines_write(claude_path(claude, resumed), claude_path(claude).read_text().splitlines()[:4])
    transcripts_run(tmp_path)
    copy = Session.objects.get(agent_session_id=resumed)
    assert copy.conversation.messages.filter(role="assistant").count() == 1
    assert not UsageRecord.objects.filter(session=copy).exists()
    first = Session.objects.get(agent_session_id=CLAUDE_UUID)
    assert UsageRecord.objects.filter(session=first, subagent="").count() == 3


def test_undo_of_the_import_removes_its_records(imported):
    assert UsageRecord.objects.exists()
    migration_undo(run=imported)
    assert not UsageRecord.objects.exists()


def test_undo_of_a_session_delete_counts_its_usage_again(imported):
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    td = SessionFactory(source="tokendance", metadata={"total_tokens_used": 9})
    usage_sessions_record(session_ids=[td.pk])
    before = sorted(
        UsageRecord.objects.values_list("key", "session_id", "subagent", "total_tokens")
    )
    run = migration_run_dispatch(kind=MigrationRun.Kind.SESSION_DELETE, dry_run=False,
                                 session_ids=[session.pk, td.pk])  # fmt: skip
    assert not UsageRecord.objects.filter(session_id__in=[session.pk, td.pk]).exists()
    migration_undo(run=run)
    after = sorted(UsageRecord.objects.values_list("key", "session_id", "subagent", "total_tokens"))
    assert after == before


def test_legacy_totals_labelled_with_their_origin():
    rs = SessionFactory(source="ao-rs", metadata={
        "cost": {"input_tokens": 1000, "output_tokens": 100, "cache_read_tokens": 50,
                 "cache_creation_tokens": 20, "cost_usd": 0.25},
        "agent_config": {"model": "claude-sonnet-4-5"},
    })  # fmt: skip
    no_model = SessionFactory(
        source="ao-rs", metadata={"cost": {"input_tokens": 5, "output_tokens": 5}}
    )
    td = SessionFactory(source="tokendance", metadata={"total_tokens_used": 4321})
    SessionFactory(source="tokendance", metadata={"total_tokens_used": 0})
    assert usage_sessions_record() == 3
    priced = UsageRecord.objects.get(session=rs)
    assert (priced.key, priced.origin, tokens(priced)) == (
        f"ao-rs:{rs.pk}",
        "ao-rs",
        (1000, 100, 20, 50),
    )
    # 1000×3 + 100×15 + 20×3.75 + 50×0.30 = 4590; the store's own figure kept beside it.
    assert priced.cost_micro_usd == 4590 and priced.reported_cost_micro_usd == 250_000
    assert UsageRecord.objects.get(session=no_model).cost_micro_usd is None
    undivided = UsageRecord.objects.get(session=td)
    assert (undivided.origin, undivided.total_tokens, undivided.input_tokens) == (
        "tokendance",
        4321,
        0,
    )
    assert undivided.cost_micro_usd is None
    assert usage_sessions_record(session_ids=[td.pk]) == 1
    assert UsageRecord.objects.count() == 3


def test_claude_cache_writes_at_their_5_minute_and_1_hour_rates(tmp_path, data_dir):
    """A transcript with both kinds of cache write (newer Claude Code: `cache_creation`
    splits the total) and one with the total only (older: all 5-minute writes)."""
    claude, _ = homes(tmp_path)
    split = {"ephemeral_5m_input_tokens": 400, "ephemeral_1h_input_tokens": 600}
    lines_write(claude_path(claude), [
        claude_user("u1", "go"),
        # Streamed: the first line's usage is not the message's; the last line's is.
        assistant("a1", "msg_both", "a", model="claude-sonnet-4-5-20250929", request="r1",
                  use={**usage(10, 1, 100, 50)}),
        assistant("a2", "msg_both", "b", model="claude-sonnet-4-5-20250929", request="r1",
                  use={**usage(10, 20, 1000, 50), "cache_creation": split}),
        assistant("a3", "msg_total", "c", model="claude-sonnet-4-5-20250929", request="r2",
                  use=usage(10, 20, 1000, 50)),
        assistant("a4", "msg_1h", "d", model="claude-opus-4-5-20251101", request="r3",
                  use={**usage(1, 2, 2000, 0), "cache_creation": {
                      "ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2000}}),
    ])  # fmt: skip
    transcripts_run(tmp_path)
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    rows = {r.key.split(":")[2]: r for r in UsageRecord.objects.filter(session=session)}
    got = {k: (r.cache_write_tokens, r.cache_write_1h_tokens, r.total_tokens, r.cost_micro_usd)
           for k, r in rows.items()}  # fmt: skip
    # Sonnet 4.5: input 3, output 15, cache write 5 min 3.75 / 1 hour 6, cache read 0.30.
    # Opus 4.5: input 5, output 25, cache write 1 hour 10.
    assert got == {
        "msg_both": (1000, 600, 1080, 10 * 3 + 20 * 15 + 400 * 3.75 + 600 * 6 + 50 * 0.3),
        "msg_total": (1000, 0, 1080, 10 * 3 + 20 * 15 + 1000 * 3.75 + 50 * 0.3),
        "msg_1h": (2000, 2000, 2003, 1 * 5 + 2 * 25 + 2000 * 10),
    }  # 5445, 4095, 20055 µ$
    version = price_table_load().version
    assert version == "2026-12-06.1"  # the table that prices 1-hour writes
    assert {r.price_version for r in rows.values()} == {version}
    # Shown where cache writes are: the session's figures (the API's), and the message's
    # usage as imported (the transcript API and the admin viewer).
    totals = session_usage(session=session)["totals"]["all"]
    assert (totals["cache_write"], totals["cache_write_1h"]) == (4000, 2600)
    assert totals["cost_micro_usd"] == 5445 + 4095 + 20055
    assert rows["msg_both"].message.extra_data["usage"]["cache_write_1h"] == 600
    assert "cache_write_1h" not in rows["msg_total"].message.extra_data["usage"]
    # A rebuild from the stored messages and a reprice keep the split.
    usage_backfill()
    assert UsageRecord.objects.get(pk=rows["msg_both"].pk).cost_micro_usd == 5445
    draft = price_table_parse({"version": "draft", "checked": "2026-12-06", "models": {
        "claude-sonnet-4-5": {"input": "0", "output": "0", "cache_write": "1",
                              "cache_write_1h": "2", "cache_read": "0"}}})  # fmt: skip
    usage_reprice(table=draft)
    repriced = UsageRecord.objects.get(pk=rows["msg_both"].pk)
    assert (repriced.cost_micro_usd, repriced.price_version) == (400 * 1 + 600 * 2, "draft")


def test_a_codex_turn_cut_short_before_any_answer_is_still_counted(tmp_path, data_dir):
    """The API read the input (and may have begun an answer) before the turn stopped:
    Codex counts it, and so does ccusage (found by bench/usage_ccusage.py)."""
    _, codex = homes(tmp_path)
    lines_write(codex_path(codex), [
        codex_line("session_meta", {"id": CODEX_THREAD, "cwd": "/w"}),
        codex_line("turn_context", {"cwd": "/w", "model": "gpt-5-codex"}),
        codex_line("response_item", {"type": "message", "role": "user", "content": "go"}),
        codex_count(1000, 50, 1000, 50, cached=800),  # interrupted: no answer before it
        codex_count(1000, 50, 1000, 50, cached=800),  # repeated: not counted again
        codex_line("response_item", {"type": "message", "role": "user", "content": "again"}),
        codex_line("response_item", {"type": "message", "role": "assistant", "content": "ok"}),
        codex_count(2200, 70, 1200, 20, cached=900),
    ])  # fmt: skip
    transcripts_run(tmp_path)
    rows = UsageRecord.objects.filter(session__agent_session_id=CODEX_THREAD)
    assert sorted((tokens(r), r.model) for r in rows) == [
        ((200, 50, 0, 800), "gpt-5-codex"),
        ((300, 20, 0, 900), "gpt-5-codex"),
    ]
