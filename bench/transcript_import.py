"""import_transcripts on synthetic Claude Code and Codex transcripts, against a floor.

What it generates, measures and checks: docs/transcripts.md (Performance). Each import runs
in a forked child, so each peak RSS is that import's own. Targets (issue 18): first ≤ 2x
the floor, re-run ≤ 0.05x the first, append ≤ 0.1x the first, peak RSS < 300 MB and flat
(the full tree's within 1.25x the quarter's).

--size: bytes of transcripts (1G, 200M, 2M…); --append-size: bytes appended to each of
--append-files; --hub-sessions: sessions already in the hub (the linking lookup's).
"""

from __future__ import annotations

import json
import os
import pstats
import sys
import time
from functools import partial

from bench import harness
from bench.storage_floor import storage_floor_time
from bench.transcript_tree import transcript_tree_generate, transcripts_append

FLOOR_BATCH = 5_000
HUB_PREFIX = "hub-"  # the ids of the sessions in the hub before the imports


def size_parse(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def floor_import(files: list[str]) -> int:
    """Every line json.loads-ed (and dumped, as the hub stores records as JSON) and inserted
    with executemany into a bare table of the bench database, in one transaction."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection  # the driver's own connection: no Django per statement
    mark = "?" if connection.vendor == "sqlite" else "%s"
    cursor = raw.cursor()
    cursor.execute("DROP TABLE IF EXISTS bench_floor")
    cursor.execute("CREATE TABLE bench_floor (path TEXT, start BIGINT, kind TEXT, data TEXT)")
    raw.commit()
    sql = f"INSERT INTO bench_floor VALUES ({mark}, {mark}, {mark}, {mark})"
    rows, lines = [], 0
    for path in files:
        with open(path, "rb") as handle:
            start = 0
            for line in handle:
                record = json.loads(line)
                rows.append((path, start, record.get("type"), json.dumps(record)))
                start += len(line)
                if len(rows) == FLOOR_BATCH:
                    cursor.executemany(sql, rows)
                    lines, rows = lines + len(rows), []
    cursor.executemany(sql, rows)
    raw.commit()
    lines += len(rows)
    cursor.execute("DROP TABLE bench_floor")
    raw.commit()
    return lines


def lookup_figures(agent_ids: list[str]) -> tuple[float, float]:
    """The linking lookup (linking._session_find) of each id, timed with the index on
    Session.agent_session_id, then with it dropped."""
    from django.db import connection

    from migration_app.services.transcripts.linking import _session_find
    from sessions_app.models import Session

    def lookups() -> float:
        started = time.perf_counter()
        for agent_id in agent_ids:
            _session_find(agent_id)
        return time.perf_counter() - started

    indexed = lookups()
    [index] = [i for i in Session._meta.indexes if i.fields == ["agent_session_id"]]
    with connection.schema_editor() as editor:
        editor.remove_index(Session, index)
    scanned = lookups()
    with connection.schema_editor() as editor:
        editor.add_index(Session, index)
    return indexed, scanned


def import_run(claude_home: str, codex_home: str) -> dict:
    run = harness.transcripts_import(claude_home, codex_home)
    return {"status": run.status, "counts": run.counts}


def main(argv=None) -> int:
    parser = harness.arguments(
        __doc__, rounds=1, size="1G", append_files=100, append_size="1M", hub_sessions=100_000
    )
    parser.add_argument("--files", type=int, help="transcript files (default: one per 2 MiB)")
    parser.add_argument("--profile", help="write the first import's cProfile stats here")
    args = parser.parse_args(argv)
    total = size_parse(args.size)
    files = args.files or max(args.append_files + 20, total // (2 << 20))

    with harness.scratch_database(args.database_url) as tmp:
        from migration_app.models import TranscriptFile
        from projects_app.models import Conversation, Message
        from sessions_app.models import Session, UsageRecord

        harness.sessions_load(
            {"id": f"{HUB_PREFIX}{n:08d}", "agent_session_id": f"agent-{n:08d}", "num": n}
            for n in range(args.hub_sessions)
        )
        homes = str(tmp / "claude"), str(tmp / "codex")
        tree, generated = harness.timed(
            transcript_tree_generate, *homes, total_bytes=total, files=files
        )
        harness.header(
            f"import_transcripts: {tree.bytes / 2**20:.1f} MiB, {tree.lines} lines, "
            f"{len(tree.files)} files (generated in {generated:.1f} s); {args.hub_sessions} "
            "sessions in the hub"
        )
        figures = harness.Figures(reference="floor (json.loads + executemany)")

        def measure(label, work, items, profile=None):
            result = harness.forked(work, profile)
            figures.record(label, result["seconds"], items=items, queries=result["queries"])
            return result

        floor = measure(figures.reference, lambda: {"lines": floor_import(tree.files)}, tree.lines)
        first_label = "first import (archive copy included)"
        first = measure(first_label, partial(import_run, *homes), tree.lines, args.profile)
        rerun = measure("re-run, unchanged tree", partial(import_run, *homes), tree.lines)
        appended_to = sorted(tree.files)[:: max(1, len(tree.files) // args.append_files)]
        appended_to = appended_to[: args.append_files]
        extra = transcripts_append(appended_to, per_file=size_parse(args.append_size))
        append_label = f"re-run, {extra.bytes / 2**20:.0f} MiB appended to {len(appended_to)}"
        after = measure(append_label, partial(import_run, *homes), extra.lines)
        small_homes = str(tmp / "small" / "claude"), str(tmp / "small" / "codex")
        small = transcript_tree_generate(*small_homes, total_bytes=total // 4,
                                         files=max(files // 4, 1), seed=4)  # fmt: skip
        quarter = measure("first import, a quarter the size", partial(import_run, *small_homes),
                          small.lines)  # fmt: skip
        # Every import's rows, deleted and written back: what storing them costs (last: the
        # full-text index they leave behind is not the one the imports built).
        written = [
            Session.objects.exclude(pk__startswith=HUB_PREFIX), Conversation.objects.all(),
            Message.objects.all(), UsageRecord.objects.all(), TranscriptFile.objects.all(),
        ]  # fmt: skip
        lines = tree.lines + extra.lines + small.lines
        storage_floor_time(figures, written, items=lines)
        figures.print()
        harness.storage_floor_print(figures, first=first_label)
        cpu = {"floor": floor, "first": first, "re-run": rerun, "append": after}
        print("CPU seconds of this process (SQLite's work included; not PostgreSQL's server): "
              + ", ".join(f"{k} {v['cpu']:.2f}" for k, v in cpu.items())
              + f"; first / floor {first['cpu'] / floor['cpu']:.2f}x")  # fmt: skip

        archived = sum(
            os.path.getsize(os.path.join(folder, name))
            for folder, _, names in os.walk(tmp / "transcripts")
            for name in names
        )
        messages = Message.objects.count()
        print(f"lines generated: {tree.lines}; floor rows: {floor['lines']}")
        print(f"first import: {first['status']}, messages expected {tree.messages}, "
              f"imported {first['counts']['messages_imported']}, "
              f"bytes archived {first['counts']['bytes_archived']} of {tree.bytes}")  # fmt: skip
        print(f"re-run: {rerun['status']}, messages imported "
              f"{rerun['counts']['messages_imported']}, files unchanged "
              f"{rerun['counts']['files_unchanged']} of {len(tree.files)}")  # fmt: skip
        print(f"append: {after['status']}, messages expected {extra.messages}, imported "
              f"{after['counts']['messages_imported']}, updated "
              f"{after['counts']['messages_updated']}")  # fmt: skip
        print(f"quarter: {quarter['status']}, messages expected {small.messages}, imported "
              f"{quarter['counts']['messages_imported']}")  # fmt: skip
        print(f"messages in the database: {messages} (expected "
              f"{tree.messages + extra.messages + small.messages}); archive copies: {archived} "
              f"bytes (expected {tree.bytes + extra.bytes + small.bytes})")  # fmt: skip
        print(f"peak RSS: first import {first['rss_mb']:.0f} MB ({tree.bytes / 2**20:.0f} MiB), "
              f"quarter {quarter['rss_mb']:.0f} MB ({small.bytes / 2**20:.0f} MiB), re-run "
              f"{rerun['rss_mb']:.0f} MB, append {after['rss_mb']:.0f} MB")  # fmt: skip
        wanted = [f"agent-{n:08d}" for n in range(0, max(args.hub_sessions, 1), 997)][:200]
        wanted += [f"absent-{n}" for n in range(200 - len(wanted))]  # as a new transcript's
        indexed, scanned = lookup_figures(wanted)
        print(f"linking lookup, {len(wanted)} ids among {args.hub_sessions} sessions: "
              f"{indexed * 1000:.1f} ms with the index on agent_session_id, "
              f"{scanned * 1000:.1f} ms without it")  # fmt: skip
        if args.profile:
            pstats.Stats(args.profile, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        for text, label, other, most in [
            ("first import ≤ 2x the floor ({:.2f}x)", first_label, figures.reference, 2),
            ("re-run ≤ 0.05x the first import ({:.3f}x)", "re-run, unchanged tree", first_label,
             0.05),
            ("append re-run ≤ 0.1x the first import ({:.3f}x)", append_label, first_label, 0.1),
        ]:  # fmt: skip
            figures.ratio_target(text, label, other, at_most=most)
        peak, flat = max(first["rss_mb"], quarter["rss_mb"]), first["rss_mb"] / quarter["rss_mb"]
        harness.target(f"peak RSS < 300 MB and flat ({peak:.0f} MB; full / quarter {flat:.2f})",
                       met=peak < 300 and flat <= 1.25)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
