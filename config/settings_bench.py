"""Settings for `python -m config.bench_api`: the real settings plus one bare baseline view."""

import os

from .settings import *  # noqa: F403
from .settings import DATABASES

ROOT_URLCONF = "config.bench_api"

# --conn-max-age: keep database connections across requests (0 = the project default).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("BENCH_CONN_MAX_AGE", "0"))
