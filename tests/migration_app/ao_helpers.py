"""Shared by the ao reader tests: parse one session from bytes or a dict, a lifecycle,
files in a tree, the origin's example configs."""

import datetime as dt
import json
from pathlib import Path

from migration_app.legacy.ao_ts import parse_ao_session

# The origin's example configs, in shared/ beside the checkout (CI) or the workplace's copy.
_FIXTURE_PATH = Path("fixtures/origin/ao/examples")
FIXTURES = next(
    (
        root / _FIXTURE_PATH
        for root in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared"))
        if (root / _FIXTURE_PATH).is_dir()
    ),
    Path("/work/shared") / _FIXTURE_PATH,
)
MTIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z
UTC = dt.UTC


def parse(data, session_id="app-7", project_id="app", json_only=True, **options):
    if isinstance(data, dict):
        data = json.dumps(data).encode()
    return parse_ao_session(
        data,
        path=f"/x/{session_id}.json",
        session_id=session_id,
        project_id=project_id,
        mtime=MTIME,
        json_only=json_only,
        **options,
    )


def lifecycle(state="working", reason="task_in_progress", pr=("none", "not_created"), **session):
    return {
        "version": 2,
        "session": {"kind": "worker", "state": state, "reason": reason, **session},
        "pr": {"state": pr[0], "reason": pr[1]},
        "runtime": {"state": "alive", "reason": "process_running", "lastObservedAt": None},
    }


def touch(path: Path, data: bytes = b"{}") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
