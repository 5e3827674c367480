"""Parsing ahead in a second process: the same results as in-process, and no leftovers."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from migration_app.legacy import ao_ts
from migration_app.legacy.parse_ahead import ParseAhead
from migration_app.legacy.reading import session_files_prepare
from migration_app.legacy.rows import SessionRowFormat
from migration_app.legacy.synthetic import ao_tree_generate
from migration_app.services import migration_undo
from migration_app.services.legacy_import.ao import run as ao_run
from tests.migration_app.legacy_helpers import dump_tables, item_plan, list_files, run_import

# What the worker prepares does not depend on Django.
ROW_FORMAT = SessionRowFormat(
    defaults={"title": ""},
    harnesses=frozenset({"claude-code"}),
    naive_utc_dates=True,
)


def parse_ahead(*, enabled: bool) -> ParseAhead:
    return ParseAhead(source="ao", enabled=enabled, row_format=ROW_FORMAT, claude_home="/c")


@pytest.fixture
def files(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=60)  # with its bad sample files
    found = ao_ts.ao_session_files(tree.root, include_archive=True)
    return [f for f in found if not f.skip_reason]


def comparable(results):
    return [(type(r).__name__, getattr(r, "reason", None) or tuple(r)) for r in results]


def worker_pids(parser: ParseAhead) -> list[int]:
    return list(parser.pool._processes)


def test_the_worker_gives_what_parsing_in_process_gives_in_submission_order(files):
    batches = [files[i : i + 7] for i in range(0, len(files), 7)]
    expected = [
        session_files_prepare(source="ao", files=batch, row_format=ROW_FORMAT, claude_home="/c")
        for batch in batches
    ]

    with parse_ahead(enabled=True) as parser:
        pending = [parser.submit(batch) for batch in batches]  # all in flight at once
        results = [p.result() for p in pending]
        assert len(worker_pids(parser)) == 1 and os.getpid() not in worker_pids(parser)

    assert [comparable(r) for r in results] == [comparable(r) for r in expected]


def test_without_a_worker_parsing_happens_when_the_result_is_asked_for(files):
    with parse_ahead(enabled=False) as parser:
        pending = parser.submit(files[:3])
        os.unlink(files[0].path)
        first, *_ = pending.result()
        assert parser.pool is None
    assert first.reason.startswith("cannot read:")


def test_the_worker_ends_with_the_block(files):
    with parse_ahead(enabled=True) as parser:
        parser.submit(files[:5]).result()
        [pid] = worker_pids(parser)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_worker_that_dies_is_an_error_not_a_hang(files):
    with parse_ahead(enabled=True) as parser:
        parser.submit(files[:5]).result()
        [pid] = worker_pids(parser)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            parser.submit(files[5:10]).result(timeout=60)


def test_no_worker_is_started_while_there_is_nothing_to_parse(files):
    with parse_ahead(enabled=True) as parser:
        assert parser.submit([]).result() == []
        assert parser.pool is None
        parser.submit(files[:1]).result()
        assert parser.pool is not None


def test_a_killed_import_leaves_no_worker_behind(files, tmp_path):
    """kill -9 of the importing process: its worker sees its input close and exits."""
    script = textwrap.dedent(f"""
        import time
        import django
        django.setup()
        from migration_app.legacy.rows import SessionRowFormat
        from migration_app.legacy.parse_ahead import ParseAhead
        from migration_app.legacy import ao_ts
        found = ao_ts.ao_session_files({str(tmp_path / "ao")!r})
        files = [f for f in found if not f.skip_reason][:3]
        fmt = SessionRowFormat(defaults={{}}, harnesses=frozenset(), naive_utc_dates=True)
        parser = ParseAhead(source="ao", enabled=True, row_format=fmt, claude_home="/c")
        parser.submit(files).result()
        print(*parser.pool._processes, flush=True)
        time.sleep(60)
    """)
    importer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    pid = int(importer.stdout.readline())
    importer.kill()
    importer.wait()
    for _ in range(200):  # the worker is not our child: poll until it is gone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} outlived the killed import")


@pytest.mark.django_db
def test_parsing_ahead_in_a_helper_process_changes_nothing_in_the_outcome(ao_tree, claude_home):
    creation_times = {"projects_app.Project": {"created_at", "updated_at"}}
    inline = run_import(ao_tree, claude_home, batch_size=15, parse_ahead=False)
    tables, files, plan = (
        dump_tables(ignore=creation_times),
        list_files(claude_home),
        item_plan(inline),
    )
    migration_undo(run=inline)  # back to the empty database, transcripts copied removed

    ahead = run_import(ao_tree, claude_home, batch_size=15, parse_ahead=True)

    assert item_plan(ahead) == plan
    assert dump_tables(ignore=creation_times) == tables
    assert list_files(claude_home) == files


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cores, batch_size, parse_ahead, started",
    [
        (2, 25, None, True),  # several batches on two cores: a helper
        (2, 500, None, False),  # one batch: nothing to overlap
        (1, 25, None, False),  # one core: nothing to overlap with
        (2, 25, False, False),  # turned off
        (2, 500, True, True),  # asked for
    ],
)
def test_a_parse_helper_runs_when_it_can_overlap_with_the_writes(
    ao_tree, claude_home, monkeypatch, cores, batch_size, parse_ahead, started
):
    from migration_app.legacy import parse_ahead as parse_ahead_module

    monkeypatch.setattr(ao_run, "usable_cores", lambda: cores)
    helpers = []
    real_start = parse_ahead_module.ParseAhead.start

    def start_and_record(parser):
        real_start(parser)
        if parser.pool is not None and parser.pool not in helpers:
            helpers.append(parser.pool)

    monkeypatch.setattr(parse_ahead_module.ParseAhead, "start", start_and_record)

    run = run_import(ao_tree, claude_home, batch_size=batch_size, parse_ahead=parse_ahead)

    assert bool(helpers) == started
    assert all(not pool._processes for pool in helpers)  # and it has ended
    assert run.counts["session_migrated"] > 0
