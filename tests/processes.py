"""Running `manage.py` in a subprocess against the database of the running test."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection

from migration_app.models import MigrationRun
from migration_app.services.locks import _advisory_key


def database_url_for_subprocess(*, suffix: str = "") -> str:
    """DATABASE_URL of the test database (a file on SQLite, test_<name> on PostgreSQL);
    `suffix`: another database next to it on the same PostgreSQL server."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    server = f"{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}"
    return f"postgres://{server}/{db['NAME']}{suffix}"


def manage_run(*args: str, data_dir, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SESSIONHUB_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url_for_subprocess(),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def benchmark_run(module: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m <module> args` with its own scratch database (no test database settings)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def bench_run(name: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m bench.<name>` on a scratch database of the test's kind: its own SQLite file,
    or under PostgreSQL `<test database>_bench`, which it creates and drops."""
    if connection.vendor == "postgresql":
        args = (*args, "--database-url", database_url_for_subprocess(suffix="_bench"))
    return benchmark_run(f"bench.{name}", *args)


def manage_command(*args: str, name: str) -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), name, *args]


def command_env(data_dir, url: str | None = None, **extra) -> dict[str, str]:
    """Environment of a manage.py subprocess on this test's database and data directory."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SESSIONHUB_DATA_DIR": str(data_dir),
        "DATABASE_URL": url or database_url_for_subprocess(),
        **extra,
    }


def kind_lock_wait(kind: str, seconds: float = 10.0) -> None:
    """Wait until a killed process's run lock is free: PostgreSQL frees a dead client's
    advisory lock once it notices the disconnect (the kernel drops a flock at once)."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key(kind)])
            if cursor.fetchone()[0]:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_advisory_key(kind)])
                return
            time.sleep(0.05)
    raise AssertionError(f"the killed process still holds the {kind} lock")


MID_RUN, ENDED_FIRST, BEFORE_START = "mid-run", "ended first", "before its start"


def command_kill(argv: list[str], *, env: dict, kind: str, delay: float, started=None) -> str:
    """Run a command and kill -9 it `delay` seconds after its run is recorded (and
    `started()`, if given, holds). Says what the kill met: MID_RUN (its run was under
    way), ENDED_FIRST (it ended first) or BEFORE_START (killed between its plan and its
    start: the next run closes that run as never started)."""
    runs_before = MigrationRun.objects.count()
    process = subprocess.Popen(
        argv, env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if MigrationRun.objects.count() > runs_before and (started is None or started()):
            break
        time.sleep(0.005)
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()
    kind_lock_wait(kind)
    latest = MigrationRun.objects.order_by("-started_at").first()
    if latest is None or MigrationRun.objects.count() == runs_before:
        return BEFORE_START  # killed before it recorded its run
    if latest.status == MigrationRun.Status.PLANNED:
        return BEFORE_START
    return MID_RUN if latest.finished_at is None else ENDED_FIRST
