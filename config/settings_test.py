"""Settings for the test suite: the real settings, with test-only defaults."""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SESSIONHUB_DATA_DIR", tempfile.mkdtemp(prefix="sessionhub-test-"))

from .settings import *  # noqa: E402,F403
from .settings import CACHES, DATABASES, SESSIONHUB_DATA_DIR  # noqa: E402

DEBUG = False

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No page cache: tests roll the database back under it. The tests of the cached pages
# (tests/projects_app/test_list_cache.py) set a real one.
CACHES = {**CACHES, "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

# A file, not :memory:, so that subprocesses and threads in tests see the same database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(SESSIONHUB_DATA_DIR / "test.sqlite3")}
