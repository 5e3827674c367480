"""Settings, read from the environment: README.md, "Configuration", names each variable."""

import os
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# "1", "true", "yes" or "on" (any case) for development.
DEBUG = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

_hosts = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
ALLOWED_HOSTS = [host.strip() for host in _hosts.split(",") if host.strip()]

SESSIONHUB_DATA_DIR = Path(os.environ.get("SESSIONHUB_DATA_DIR") or BASE_DIR / "var").resolve()
SESSIONHUB_DATA_DIR.mkdir(parents=True, exist_ok=True)

CLAUDE_CONFIG_DIR = Path(
    os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude"
).expanduser()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    # ninja's own static files: /api/docs serves Swagger UI from here, not from a CDN.
    "ninja",
    "projects_app",
    "sessions_app",
    "migration_app",
]

MIDDLEWARE = [
    # Outermost: every answer under /api/ is JSON, errors of the layers below included.
    "config.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SESSIONHUB_DATA_DIR / 'sessionhub.sqlite3'}",
        # Reusing the connection saves a connect per request (SQLite: its init PRAGMAs;
        # PostgreSQL: a network round trip and authentication); checked before reuse.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE: a write transaction waits for the lock instead of failing at upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
            # A WAL checkpoint every 20,000 pages instead of 1,000: a batch of an import
            # writes thousands of index pages, and each default checkpoint copies them back.
            # 20,000 ao sessions (profiled 2026-12-04): commits 0.23 s -> 0.07 s of 1.7 s.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA wal_autocheckpoint=20000;"
            ),
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = SESSIONHUB_DATA_DIR / "static"

LOGIN_URL = "admin:login"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# The deprecated session endpoints (RFC 9745 / RFC 8594 headers).
SESSION_API_DEPRECATED_AT = datetime(2026, 11, 1, tzinfo=UTC)
SESSION_API_SUNSET_AT = datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)

# "default": per process (the admin dashboard's totals). "pages": the API's project list
# pages, shared by every process that renews its version (docs/api.md, `GET /projects`).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(SESSIONHUB_DATA_DIR / "cache"),
        "TIMEOUT": 300,
    },
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
NINJA_PAGINATION_CLASS = "projects_app.pagination.BoundedLimitOffsetPagination"

# Request bodies: one limit for the API and Django's own reading of the body. 16 MiB
# admits every body the API's schemas accept (a 1,000,000-character reply is at most
# 12 MB of JSON even with every character escaped as a surrogate pair).
SESSIONHUB_MAX_BODY_BYTES = int(os.environ.get("SESSIONHUB_MAX_BODY_BYTES", 16 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = SESSIONHUB_MAX_BODY_BYTES
# URLs under /api/ longer than this (path and query string, in bytes) answer 414.
SESSIONHUB_MAX_URL_BYTES = int(os.environ.get("SESSIONHUB_MAX_URL_BYTES", 8000))

# Above this many selected sessions an admin action runs as a background task.
SESSIONHUB_SYNC_ACTION_LIMIT = 500

# import_transcripts --background: files per background task (docs/transcripts.md).
SESSIONHUB_TRANSCRIPT_BATCH_FILES = int(os.environ.get("SESSIONHUB_TRANSCRIPT_BATCH_FILES", 50))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
