"""The API benchmark runs end to end and prints its figures (none is asserted: no timing)."""

import contextlib
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def database_url_args():
    """SQLite: none (the benchmark's own scratch file). PostgreSQL: a scratch database next
    to the test database, dropped afterwards."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        yield []
        return
    import psycopg

    host, port, user = db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["USER"]
    login = quote(user, safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    name = f"{db['TEST'].get('NAME') or 'test_' + db['NAME']}_bench"
    server = {"host": host, "port": port, "user": user, "password": db["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ["--database-url", f"postgres://{login}@{host}:{port}/{name}"]
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_the_benchmark_prints_every_target_and_a_verdict(tmp_path):
    with database_url_args() as extra:
        result = subprocess.run(
            [sys.executable, "-m", "bench.api", "--seconds", "0.5", "--rounds", "1",
             "--workers", "1", "--concurrency", "2", *extra],
            cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
            env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)},
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("gunicorn 1 sync workers on 127.0.0.1")
    assert ("PostgreSQL" if extra else "SQLite") in lines[0]
    assert lines[1].split()[:8] == [
        "target", "requests", "errors", "req/s", "p50", "ms", "p95", "ms",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == {"bare", "session", "projects"}
    for name, columns in rows.items():
        assert int(columns[1]) > 0, name  # some requests answered 200
        assert columns[2] == "0", name  # and none failed
        assert all(float(value) > 0 for value in columns[3:8]), name
        assert float(columns[8]) >= 0, name  # workers' CPU per request
    assert rows["bare"][9:] == []  # no verdict for the baseline
    assert rows["session"][9] in {"PASS", "MISS"}
    assert rows["projects"][9] in {"PASS", "MISS"}
