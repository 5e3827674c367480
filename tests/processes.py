"""Running `manage.py` in a subprocess against the database of the running test."""

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection


def database_url_for_subprocess() -> str:
    """DATABASE_URL of the test database (a file on SQLite, test_<name> on PostgreSQL)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


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
