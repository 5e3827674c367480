"""Our token totals against ccusage's on the same Claude Code transcripts and Codex
rollouts (issue 19).

What the files hold and what is compared: docs/usage.md (Checked against ccusage).
Without --ccusage it installs ccusage@20.0.24 with npm in a temporary directory. Exit 1
when a token count differs. tests/bench/test_usage_ccusage.py runs it in `make test`.
"""

import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bench import harness

CCUSAGE = "ccusage@20.0.24"
MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001",
          "claude-mystery-9")  # fmt: skip
CODEX_MODELS = ("gpt-5-codex", "gpt-5", "gpt-mystery-2")
T0 = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
KEYS = ("input", "output", "cache_write", "cache_read", "total")
CC_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens")


def _line(handle, record: dict) -> None:
    handle.write(json.dumps(record, separators=(",", ":")) + "\n")


def transcript_write(path: Path, rng: random.Random, session: str, start: dt.datetime,
                     tag: str) -> None:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    when = start
    with open(path, "w", encoding="utf-8") as handle:
        for turn in range(rng.randint(3, 12)):
            when += dt.timedelta(minutes=rng.randint(1, 240))
            stamp = when.isoformat().replace("+00:00", "Z")
            _line(handle, {"type": "user", "uuid": f"{tag}-u{turn}", "sessionId": session,
                           "timestamp": stamp, "cwd": "/bench", "message": {"role": "user",
                           "content": f"turn {turn}"}})  # fmt: skip
            model, msg = rng.choice(MODELS), f"msg_{tag}_{turn}"
            inp, write, read = rng.randint(1, 50), rng.randint(0, 5000), rng.randint(0, 90000)
            out = 0
            for part in range(rng.randint(1, 4)):  # streamed: usage grows, the last is it
                out += rng.randint(1, 400)
                usage = {
                    "input_tokens": inp, "output_tokens": out,
                    "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
                }  # fmt: skip
                _line(handle, {"type": "assistant", "uuid": f"{tag}-a{turn}-{part}",
                               "sessionId": session, "timestamp": stamp, "requestId": f"req_{msg}",
                               "cwd": "/bench", "message": {"id": msg, "role": "assistant",
                               "model": model, "content": [{"type": "text", "text": f"p{part}"}],
                               "usage": usage}})  # fmt: skip


def home_write(root: Path, sessions: int) -> Path:
    rng = random.Random(19)
    for n in range(sessions):
        session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        main = root / "projects" / "-bench" / f"{session}.jsonl"
        start = T0 + dt.timedelta(hours=rng.randint(0, 96))
        transcript_write(main, rng, session, start, session)
        if n % 3 == 0:
            sub = main.parent / session / "subagents" / f"agent-{n}.jsonl"
            transcript_write(sub, rng, session, start, f"{session}-agent-{n}")
        if n % 5 == 4:  # a resumed session: a new file that repeats the start of this one
            lines = main.read_text().splitlines(keepends=True)
            turns = [i for i, line in enumerate(lines) if '"type":"user"' in line]
            repeated = lines[: turns[2] if len(turns) > 2 else len(lines)]  # two whole turns
            resumed = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            (main.parent / f"{resumed}.jsonl").write_text("".join(repeated))
    return root


def _stamp(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _say(role: str, text: str) -> dict:
    kind = "input_text" if role == "user" else "output_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}


def codex_rollout_write(root: Path, rng: random.Random, start: dt.datetime) -> str:
    """One rollout as Codex writes it: running totals with each turn's own usage, the same
    count repeated now and then, a count with no usage (rate limits only), turns that
    cross midnight, the model switched mid-session. Returns its thread id."""
    thread = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    path = root / "sessions" / start.strftime("%Y/%m/%d") / (
        f"rollout-{start.strftime('%Y-%m-%dT%H-%M-%S')}-{thread}.jsonl"
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    totals = dict.fromkeys(("input_tokens", "cached_input_tokens", "output_tokens",
                            "reasoning_output_tokens", "total_tokens"), 0)  # fmt: skip
    when = start
    with open(path, "w", encoding="utf-8") as handle:

        def line(kind: str, payload: dict) -> None:
            _line(handle, {"timestamp": _stamp(when), "type": kind, "payload": payload})

        line("session_meta", {"id": thread, "timestamp": _stamp(when), "cwd": "/bench",
                              "originator": "codex_cli_rs", "cli_version": "0.46.0"})  # fmt: skip
        model = rng.choice(CODEX_MODELS)
        for turn in range(rng.randint(2, 9)):
            when += dt.timedelta(minutes=rng.randint(1, 300))
            if rng.random() < 0.2:
                model = rng.choice(CODEX_MODELS)
            line("turn_context", {"cwd": "/bench", "model": model})
            line("response_item", _say("user", f"turn {turn}"))
            if rng.random() < 0.3:
                call = {"type": "function_call", "name": "shell", "call_id": f"c{turn}",
                        "arguments": '{"command":["ls"]}'}  # fmt: skip
                line("response_item", call)
                line("response_item", {"type": "function_call_output", "call_id": f"c{turn}",
                                       "output": "ok"})  # fmt: skip
            if rng.random() < 0.85:  # else the turn was cut short: counted all the same
                line("response_item", _say("assistant", f"done {turn}"))
            gross = rng.randint(1_000, 60_000)
            last = {"input_tokens": gross, "cached_input_tokens": rng.randint(0, gross),
                    "output_tokens": rng.randint(1, 3_000),
                    "reasoning_output_tokens": rng.randint(0, 500)}  # fmt: skip
            last["total_tokens"] = last["input_tokens"] + last["output_tokens"]
            totals = {k: totals[k] + last[k] for k in totals}
            info = {"total_token_usage": dict(totals), "last_token_usage": last,
                    "model_context_window": 272_000}  # fmt: skip
            for _ in range(2 if rng.random() < 0.3 else 1):  # Codex repeats a count
                line("event_msg", {"type": "token_count", "info": info})
            if rng.random() < 0.2:
                line("event_msg", {"type": "token_count", "info": None, "rate_limits": {}})
    return thread


def codex_home_write(root: Path, sessions: int) -> Path:
    rng = random.Random(20)
    for _ in range(sessions):
        codex_rollout_write(root, rng, T0 + dt.timedelta(hours=rng.randint(0, 96)))
    return root


def ccusage_command(given: str | None, scratch: Path) -> list[str]:
    if given:
        return [given]
    subprocess.run(["npm", "install", "--silent", "--prefix", str(scratch), CCUSAGE], check=True)
    return [str(scratch / "node_modules" / ".bin" / "ccusage")]


def ccusage_run(command: list[str], home: Path, report: str, *, agent="claude"):
    """ccusage's `agent report` as JSON, and the seconds it took."""
    variable = {"claude": "CLAUDE_CONFIG_DIR", "codex": "CODEX_HOME"}[agent]
    env = {**os.environ, variable: str(home)}
    done, seconds = harness.timed(
        subprocess.run, [*command, agent, report, "--json", "--offline", "--timezone", "UTC"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout), seconds


def compare(label: str, ours: dict, theirs: dict) -> int:
    differences = 0
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key), theirs.get(key)
        a_tokens = tuple(a[k] for k in KEYS) if a else None
        b_tokens = tuple(b[k] for k in CC_KEYS) if b else None
        if a_tokens != b_tokens:
            differences += 1
            print(f"  DIFFERENT {label} {key}: ours {a_tokens}, ccusage {b_tokens}")
    print(f"{label}: {len(ours)} ours, {len(theirs)} ccusage, {differences} with different tokens")
    return differences


def main() -> int:
    parser = harness.arguments(__doc__, rounds=1, sessions=40)
    parser.add_argument("--ccusage", help="a ccusage executable (default: npm install)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="usage-ccusage-", ignore_cleanup_errors=True) as tmp:
        return compare_in(Path(tmp), args)


def compare_in(scratch: Path, args) -> int:
    claude = home_write(scratch / "claude", args.sessions)
    codex = codex_home_write(scratch / "codex", args.sessions)
    command = ccusage_command(args.ccusage, scratch / "npm")
    with harness.scratch_database(args.database_url):
        from sessions_app.models import Session, UsageRecord

        harness.header(f"usage totals against {CCUSAGE}: {args.sessions} sessions of each agent")
        imported = harness.timed(harness.transcripts_import, str(claude), str(codex))[1]
        agent = dict(Session.objects.values_list("pk", "agent_session_id"))
        ours = {
            origin: _ours(UsageRecord.objects.filter(origin=origin), agent)
            for origin in (UsageRecord.Origin.CLAUDE_CODE, UsageRecord.Origin.CODEX)
        }
    differences, seconds = 0, {}
    for label, origin, home in (("claude", "claude-code", claude), ("codex", "codex", codex)):
        ours_sessions, ours_days, cost, unpriced = ours[origin]
        sessions, seconds[f"{label} session"] = ccusage_run(command, home, "session", agent=label)
        daily, seconds[f"{label} daily"] = ccusage_run(command, home, "daily", agent=label)
        theirs_sessions = {s["sessionId"][-36:]: s for s in sessions["sessions"]}  # codex: path
        differences += compare(f"{label} per session", ours_sessions, theirs_sessions)
        differences += compare(
            f"{label} per day", ours_days, {d["date"]: d for d in daily["daily"]}
        )
        totals = sessions["totals"]
        cc_cost = totals.get("totalCost", totals.get("costUSD", 0))
        print(f"{label} tokens: ours {sum(r['total'] for r in ours_days.values()):,}, "
              f"ccusage {totals['totalTokens']:,}")  # fmt: skip
        print(f"{label} estimated cost: ours {cost:,} µ$ (rounded per message; {unpriced:,} "
              f"tokens with no price), ccusage {cc_cost * 1_000_000:,.2f} µ$")  # fmt: skip
    timings = ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items())
    print(f"time: our import {imported:.2f} s; ccusage {timings}")
    return 1 if differences else 0


def _ours(records, agent: dict) -> tuple[dict, dict, int, int]:
    """Our totals per session (by the agent's own session id) and per day, cost, unpriced."""
    from sessions_app.usage_rollups import usage_rollup

    sessions = {
        agent[r["session"]]: r for r in usage_rollup(records=records, group_by=("session",))
    }
    days = {r["day"]: r for r in usage_rollup(records=records, group_by=("day",))}
    cost = sum(r["cost_micro_usd"] or 0 for r in days.values())
    return sessions, days, cost, sum(r["unpriced_tokens"] for r in days.values())


if __name__ == "__main__":
    sys.exit(main())
