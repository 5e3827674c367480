"""The ao and ao-rs stores as legacy sources of migrate_legacy (issue 3)."""

from __future__ import annotations

import os
from functools import partial

from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.services.legacy_import import LegacySource, legacy_source_register
from migration_app.services.legacy_import.ao.run import ao_store_execute, ao_store_plan
from migration_app.services.legacy_import.ao.undo import ao_store_undo


def ao_sample(path: str) -> None:
    ao_tree_generate(path, sessions=40)


def ao_rs_sample(path: str) -> None:
    ao_rs_tree_generate(path, sessions=30)


def ao_store_source(name: str, default_location: str, sample_write) -> LegacySource:
    return LegacySource(
        name=name,
        default_location=lambda: os.path.expanduser(default_location),
        plan=partial(ao_store_plan, source=name),
        execute=ao_store_execute,
        undo=ao_store_undo,
        options=(
            "workspace_slug",
            "claude_home",
            "include_terminated",
            "batch_size",
            "parse_ahead",
        ),  # fmt: skip
        location_help=f"the {name} store directory (default {default_location})",
        sample_write=sample_write,
    )


legacy_source_register(ao_store_source("ao", "~/.agent-orchestrator", ao_sample))
legacy_source_register(ao_store_source("ao-rs", "~/.ao-rs/sessions", ao_rs_sample))
