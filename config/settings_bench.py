"""Settings for `python -m config.bench_api`: the real settings plus one bare baseline view."""

import os

from .settings import *  # noqa: F403
from .settings import DATABASES

ROOT_URLCONF = "config.bench_api"

# --conn-max-age: override the project's CONN_MAX_AGE (unset: what production gets).
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
