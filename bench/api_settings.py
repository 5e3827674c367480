"""Settings of the server `python -m bench.api` starts: the project's, plus the bare view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api"
