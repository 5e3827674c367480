"""Our token totals against ccusage's on the same Claude Code transcripts (issue 19).

What the transcripts hold and what is compared: docs/usage.md (Checked against ccusage).
Without --ccusage it installs ccusage@20.0.24 with npm in a temporary directory. Exit 1
when a token count differs.
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


def ccusage_command(given: str | None, scratch: Path) -> list[str]:
    if given:
        return [given]
    subprocess.run(["npm", "install", "--silent", "--prefix", str(scratch), CCUSAGE], check=True)
    return [str(scratch / "node_modules" / ".bin" / "ccusage")]


def ccusage_run(command: list[str], home: Path, report: str) -> tuple[dict, float]:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(home)}
    done, seconds = harness.timed(
        subprocess.run, [*command, "claude", report, "--json", "--offline", "--timezone", "UTC"],
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
    home = home_write(scratch / "claude", args.sessions)
    (scratch / "codex").mkdir()
    command = ccusage_command(args.ccusage, scratch / "npm")
    with harness.scratch_database(args.database_url):
        from sessions_app.models import Session, UsageRecord
        from sessions_app.usage_rollups import usage_rollup

        harness.header(f"usage totals against {CCUSAGE}: {args.sessions} sessions")
        imported = harness.timed(harness.transcripts_import, str(home), str(scratch / "codex"))[1]
        agent = dict(Session.objects.values_list("pk", "agent_session_id"))
        records = UsageRecord.objects.all()
        ours_sessions = {agent[r["session"]]: r for r in
                         usage_rollup(records=records, group_by=("session",))}  # fmt: skip
        ours_days = {r["day"]: r for r in usage_rollup(records=records, group_by=("day",))}
        cost = sum(r["cost_micro_usd"] or 0 for r in ours_days.values())
        unpriced = sum(r["unpriced_tokens"] for r in ours_days.values())

    sessions, t_sessions = ccusage_run(command, home, "session")
    daily, t_daily = ccusage_run(command, home, "daily")
    differences = compare("per session", ours_sessions,
                          {s["sessionId"]: s for s in sessions["sessions"]})  # fmt: skip
    differences += compare("per day", ours_days, {d["date"]: d for d in daily["daily"]})
    cc_cost = sessions["totals"]["totalCost"]
    print(f"tokens: ours {sum(r['total'] for r in ours_days.values()):,}, "
          f"ccusage {sessions['totals']['totalTokens']:,}")  # fmt: skip
    print(f"estimated cost: ours {cost:,} µ$ (rounded per message; {unpriced:,} tokens with no "
          f"price), ccusage {cc_cost * 1_000_000:,.2f} µ$ "
          f"(unpriced: {', '.join(sessions['totals'].get('unpricedModels', []))})")  # fmt: skip
    print(f"time: our import {imported:.2f} s; ccusage session {t_sessions:.2f} s, "
          f"daily {t_daily:.2f} s")  # fmt: skip
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
