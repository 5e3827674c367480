"""kill -9 import_transcripts at random moments, then re-run: the rows and the archive
copies equal those of one uninterrupted run."""

import os
import random
import shutil

import pytest

from migration_app.models import MigrationRun, TranscriptFile
from projects_app.models import Conversation, Message
from sessions_app.models import Session
from tests.migration_app.legacy_helpers import dump_tables, list_files
from tests.migration_app.test_migrate_legacy_command import (
    command,
    command_env,
    run_command,
)
from tests.migration_app.transcript_helpers import (
    claude_assistant,
    claude_path,
    claude_user,
    homes,
    lines_write,
    tool_result,
    usage,
)
from tests.processes import ENDED_FIRST, MID_RUN, command_kill

KIND = MigrationRun.Kind.IMPORT_TRANSCRIPTS
IGNORE = {"projects_app.Conversation": {"updated_at"}}


def many_transcripts(claude, files: int, turns: int) -> None:
    # API message ids are unique across files, as Claude's are: usage counts a message
    # repeated in two files (a resumed session) once, whichever file came first.
    for f in range(files):
        uuid = f"0000{f:04d}-aaaa-4bbb-8ccc-{f:012d}"
        records = []
        for t in range(turns):
            records += [
                claude_user(f"u{t}", f"step {t}", session=uuid),
                claude_assistant(f"a{t}", f"msg_{f}_{t}", {"type": "text", "text": f"ok {t}"},
                                 usage=usage(5, 1), request=f"r{t}"),
                claude_assistant(f"b{t}", f"msg_{f}_{t}", {"type": "tool_use", "id": f"t{t}",
                                 "name": "Bash", "input": {"command": "ls"}},
                                 usage=usage(5, 9), request=f"r{t}"),
                tool_result(f"v{t}", f"t{t}", "a.py"),
            ]  # fmt: skip
        lines_write(claude_path(claude, uuid, cwd=f"/work/p{f % 3}"), records)


def clear_import(data_dir) -> None:
    Message.objects.all().delete()
    Session.objects.all().delete()
    Conversation.objects.all().delete()
    TranscriptFile.objects.all().delete()
    shutil.rmtree(data_dir / "transcripts", ignore_errors=True)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_at_random_moments_then_rerun_equals_an_uninterrupted_run(tmp_path, data_dir):
    claude, codex = homes(tmp_path)
    many_transcripts(claude, files=30, turns=60)
    env = command_env(data_dir)
    args = ["--claude-home", str(claude), "--codex-home", str(codex), "--json"]

    reference = run_command(args, env, name="import_transcripts")
    assert reference.returncode == 0, reference.stderr
    run = MigrationRun.objects.get()
    seconds = (run.finished_at - run.started_at).total_seconds()
    expected, archive = dump_tables(ignore=IGNORE), list_files(data_dir / "transcripts")
    assert Message.objects.count() == 30 * 60 * 3
    clear_import(data_dir)

    rng = random.Random(os.getpid())
    kills = attempts = 0
    while kills < 3 and attempts < 20:
        attempts += 1
        argv = command(*args, name="import_transcripts")
        met = command_kill(argv, env=env, kind=KIND, delay=rng.uniform(0.0, 1.0) * seconds)
        if met == MID_RUN:
            kills += 1
        elif met == ENDED_FIRST:
            clear_import(data_dir)
    assert kills == 3, f"{kills} kills in {attempts} attempts"
    final = run_command(args, env, name="import_transcripts")
    assert final.returncode == 0, final.stderr
    assert dump_tables(ignore=IGNORE) == expected
    assert list_files(data_dir / "transcripts") == archive
