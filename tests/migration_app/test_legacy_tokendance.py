"""TokenDance's mapping rules (legacy-formats.md §7.3–§7.6, checklist §7.9); no database."""

import datetime as dt

import pytest

from migration_app.legacy import tokendance as td

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("skill_id", "title", "expected"),
    [
        ("deep_research_v4", "", "research"),
        ("ppt_generator", "", "slides"),
        ("slides_maker", "", "slides"),
        ("code_assistant", "", "code"),
        ("data_cruncher", "", "data_analysis"),
        ("analysis_v2", "", "data_analysis"),
        ("doc_writer", "", "document"),
        ("document", "", "document"),
        # skill_id is matched case-sensitively: RESEARCH is not research.
        ("RESEARCH_BOT", "", "quick_task"),
        # the skill rule wins over the title rule.
        ("code_helper", "market research", "code"),
        (None, "Market Research for Q3", "research"),
        (None, "竞品调研", "research"),
        (None, "销售数据分析", "research"),  # 分析 maps to research, not data_analysis
        (None, "Quarterly PPT", "slides"),
        (None, "my slides", "slides"),
        (None, "产品演示", "slides"),
        (None, "季度幻灯片", "slides"),
        (None, "Review this CODE", "code"),
        (None, "重构代码", "code"),
        (None, "学习编程", "code"),
        # The title can never give document or data_analysis.
        (None, "a document about data analysis", "quick_task"),
        (None, "", "quick_task"),
        (None, None, "quick_task"),
        ("", "Buy groceries", "quick_task"),
    ],
)
def test_project_type_infer(skill_id, title, expected):
    assert td.project_type_infer(skill_id=skill_id, title=title) == expected


@pytest.mark.parametrize(
    ("status", "project", "conversation"),
    [
        ("pending", "draft", "active"),
        ("PENDING", "draft", "active"),
        ("active", "in_progress", "active"),
        ("running", "in_progress", "active"),
        ("RUNNING", "in_progress", "active"),
        ("completed", "completed", "completed"),
        ("Completed", "completed", "completed"),
        ("failed", "in_progress", "active"),  # so the user can retry
        ("cancelled", "archived", "active"),
        ("CANCELLED", "archived", "active"),
        ("archived", "archived", "completed"),
        ("exploded", "draft", "active"),
        ("", "draft", "active"),
        (None, "draft", "active"),
    ],
)
def test_status_maps(status, project, conversation):
    assert td.project_status_for(status) == project
    assert td.conversation_status_for(status) == conversation


def test_intent_is_the_first_user_message():
    intent = td.intent_extract(first_user_message="Help me analyze the market", title="T")
    assert intent == "Help me analyze the market"


def test_intent_is_cut_to_500_characters():
    assert td.intent_extract(first_user_message="x" * 600, title="T") == "x" * 500
    assert len(td.intent_extract(first_user_message="调" * 501, title="T")) == 500


def test_intent_falls_back_to_title_then_fixed_text():
    assert td.intent_extract(first_user_message=None, title="My Task Title") == "My Task Title"
    assert td.intent_extract(first_user_message="", title="My Task Title") == "My Task Title"
    assert td.intent_extract(first_user_message=None, title="") == "No intent recorded"


def test_titles_fall_back():
    assert td.project_title_for("") == "Untitled"
    assert td.project_title_for("X") == "X"
    assert td.conversation_title_for(None) == "Initial conversation"


def message(calls, created_at=T0):
    return td.ToolCallMessage(tool_calls=calls, created_at=created_at)


def test_failures_two_of_three():
    calls = [
        {"name": "web_search", "status": "error", "error": "Connection failed"},
        {"name": "code_run", "status": "failed", "result": "exit 1"},
        {"name": "read_file", "status": "success", "result": "ok"},
    ]
    failures = td.failures_extract([message(calls)], now=NOW)
    assert failures == [
        {
            "type": "web_search",
            "message": "Connection failed",
            "learning": None,
            "timestamp": "2026-01-02T03:04:05",
        },
        {
            "type": "code_run",
            "message": "exit 1",
            "learning": None,
            "timestamp": "2026-01-02T03:04:05",
        },
    ]


def test_failures_keep_the_first_ten_of_twenty_in_message_order():
    messages = [
        message([{"name": f"tool{n}", "status": "error", "error": f"e{n}"}], T0 + dt.timedelta(n))
        for n in range(20)
    ]
    failures = td.failures_extract(messages, now=NOW)
    assert [f["type"] for f in failures] == [f"tool{n}" for n in range(10)]


def test_no_failures():
    assert td.failures_extract([], now=NOW) == []
    assert td.failures_extract([message(None), message([])], now=NOW) == []
    assert td.failures_extract([message([{"name": "x", "status": "ok"}])], now=NOW) == []


def test_failure_key_semantics_of_the_origin():
    calls = [
        {"status": "error", "error": "no name"},  # no name key → unknown_tool
        {"name": None, "status": "error", "error": None},  # present-but-null stays; "None"
        {"name": "r", "status": "failed", "result": {"code": 2}},  # result's string form
        {"name": "n", "status": "error"},  # neither key
        {"name": "u", "status": "ERROR", "error": "upper-case status"},  # enums case-folded
    ]
    failures = td.failures_extract([message(calls, created_at=None)], now=NOW)
    assert [(f["type"], f["message"]) for f in failures] == [
        ("unknown_tool", "no name"),
        (None, "None"),
        ("r", "{'code': 2}"),
        ("n", "Unknown error"),
        ("u", "upper-case status"),
    ]
    assert {f["timestamp"] for f in failures} == {"2026-05-01T12:00:00"}  # no created_at → now


def test_failure_timestamps_are_naive_utc_iso_as_tokendance_writes_them():
    """§7.6: `created_at.isoformat()` of a naive column; an aware stamp is read in UTC."""
    paris = dt.timezone(dt.timedelta(hours=1))
    calls = [{"name": "x", "status": "error", "error": "e"}]
    stamps = [dt.datetime(2026, 1, 2, 4, 4, 5, 120000, tzinfo=paris), dt.datetime(2026, 1, 2, 3)]
    failures = td.failures_extract([message(calls, at) for at in stamps], now=NOW)
    assert [f["timestamp"] for f in failures] == [
        "2026-01-02T03:04:05.120000",
        "2026-01-02T03:00:00",
    ]


@pytest.mark.parametrize("bad", ["a string", {"name": "x"}, 42, [["nested"]], ["text"]])
def test_malformed_tool_calls_raise(bad):
    with pytest.raises(td.MalformedToolCalls):
        td.failures_extract([message(bad)], now=NOW)


def test_context_shape():
    assert td.project_context_for([{"type": "x"}]) == {
        "decisions": [],
        "failures": [{"type": "x"}],
        "key_findings": [],
        "tags": ["migrated"],
    }


def test_report_format_shows_the_numbers_and_first_errors():
    counts = {
        "total": 100, "migrated": 95, "skipped": 3, "failed": 12,
        "messages_relinked": 500, "artifacts_relinked": 50,
    }  # fmt: skip
    errors = [f"Session s{n}: boom" for n in range(10)]
    report = td.summary_report(counts, errors)
    for number in ("100", "95", "500", "50"):
        assert number in report
    assert "Session s9: boom" in report
    assert report.rstrip().endswith("... and more")
    assert "... and more" not in td.summary_report({"failed": 1}, ["one"])
