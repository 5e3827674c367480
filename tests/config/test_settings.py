"""Settings come from the environment; the SQLite connection options are really in force."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

PROJECT_DIR = Path(settings.BASE_DIR)

SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "DATA_DIR": str(settings.SESSIONHUB_DATA_DIR),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CLAUDE_CONFIG_DIR": str(settings.CLAUDE_CONFIG_DIR),
    "ENGINE": db["ENGINE"], "NAME": str(db["NAME"]), "HOST": db.get("HOST"),
    "PORT": db.get("PORT"), "USER": db.get("USER"), "OPTIONS": db.get("OPTIONS", {}),
    "CONN_MAX_AGE": db["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": db["CONN_HEALTH_CHECKS"],
}))
"""


def settings_in_subprocess(env: dict, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    """Import config.settings in a fresh interpreter with only the given variables set."""
    clean = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONPATH": str(PROJECT_DIR),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def shown(env: dict, cwd: Path = PROJECT_DIR) -> dict:
    result = settings_in_subprocess(env, cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = settings_in_subprocess({"SESSIONHUB_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_debug_gives_a_development_secret_key(tmp_path):
    values = shown({"DEBUG": "1", "SESSIONHUB_DATA_DIR": str(tmp_path)})
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("django-insecure-")
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_secret_key_and_hosts_from_the_environment(tmp_path):
    values = shown(
        {
            "SECRET_KEY": "s3cret-from-env",
            "ALLOWED_HOSTS": "hub.example.com, api.example.com",
            "SESSIONHUB_DATA_DIR": str(tmp_path),
            "CLAUDE_CONFIG_DIR": str(tmp_path / "claude"),
        }
    )
    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == "s3cret-from-env"
    assert values["ALLOWED_HOSTS"] == ["hub.example.com", "api.example.com"]
    assert values["CLAUDE_CONFIG_DIR"] == str(tmp_path / "claude")


@pytest.mark.parametrize(
    "env, expected",
    [({}, 60), ({"CONN_MAX_AGE": "0"}, 0), ({"CONN_MAX_AGE": "300"}, 300)],
)
def test_connections_are_kept_a_minute_by_default_and_checked_before_reuse(tmp_path, env, expected):
    for url in ({}, {"DATABASE_URL": "postgres://u@db.example:5432/hub"}):
        values = shown({"DEBUG": "1", "SESSIONHUB_DATA_DIR": str(tmp_path), **env, **url})
        assert values["CONN_MAX_AGE"] == expected
        assert values["CONN_HEALTH_CHECKS"] is True


def test_data_dir_defaults_to_var_in_the_project_whatever_the_cwd(tmp_path):
    # Run from elsewhere: the default is relative to the project, not to the cwd.
    values = shown({"DEBUG": "1"}, cwd=tmp_path)
    assert values["DATA_DIR"] == str(PROJECT_DIR / "var")
    assert (PROJECT_DIR / "var").is_dir()
    assert not (tmp_path / "var").exists()
    # And the default database is a SQLite file inside it.
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(PROJECT_DIR / "var" / "sessionhub.sqlite3")


def test_data_dir_from_the_environment_is_created(tmp_path):
    data_dir = tmp_path / "nested" / "data"
    values = shown({"DEBUG": "1", "SESSIONHUB_DATA_DIR": str(data_dir)})
    assert values["DATA_DIR"] == str(data_dir)
    assert data_dir.is_dir()
    assert values["NAME"] == str(data_dir / "sessionhub.sqlite3")
    assert values["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert values["OPTIONS"]["timeout"] == 20.0
    assert "journal_mode=WAL" in values["OPTIONS"]["init_command"]


@pytest.mark.django_db
def test_a_sqlite_connection_checkpoints_its_wal_every_20000_pages():
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 20_000


def test_database_url_selects_postgresql(tmp_path):
    values = shown(
        {
            "DEBUG": "1",
            "SESSIONHUB_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://hub@db.internal:6543/sessionhub_prod",
        }
    )
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert (values["NAME"], values["HOST"], values["PORT"], values["USER"]) == (
        "sessionhub_prod",
        "db.internal",
        6543,
        "hub",
    )
    # The SQLite-only options are not passed to PostgreSQL.
    assert "transaction_mode" not in values["OPTIONS"]


def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite connection options")


@pytest.mark.django_db
def test_sqlite_pragmas_on_a_fresh_connection():
    sqlite_only()
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 1  # NORMAL
    finally:
        fresh.close()


@pytest.mark.django_db(transaction=True)
def test_sqlite_transactions_take_the_write_lock_at_begin():
    """IMMEDIATE: an atomic block holds the write lock from its start, even before a write,
    so a second writer waits (or, with no timeout, fails) instead of deadlocking later."""
    sqlite_only()
    other = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # a read only
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        # Released at commit.
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
