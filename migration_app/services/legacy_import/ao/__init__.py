"""The ao and ao-rs stores as legacy sources of migrate_legacy (issue 3)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.services.legacy_import import LegacySource, legacy_source_register
from migration_app.services.legacy_import.ao.run import ao_store_execute, ao_store_plan
from migration_app.services.legacy_import.ao.undo import ao_store_undo


def ao_store_source(
    name: str, default_location: str, sample_write, recognises: Callable[[str], bool]
) -> LegacySource:
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
            "max_file_bytes",
        ),  # fmt: skip
        location_help=f"the {name} store directory (default {default_location})",
        sample_write=sample_write,
        recognises=recognises,
    )


ao_sample = partial(ao_tree_generate, sessions=40)
legacy_source_register(ao_store_source("ao", "~/.agent-orchestrator", ao_sample, ao_ts.is_ao_store))
ao_rs_sample = partial(ao_rs_tree_generate, sessions=30)
legacy_source_register(
    ao_store_source("ao-rs", "~/.ao-rs/sessions", ao_rs_sample, ao_rs.is_ao_rs_store)
)
