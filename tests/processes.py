"""Running `manage.py` in a subprocess against the database of the running test."""

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection


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
