"""Parse the next batches of session files (or, with `function`, the next windows of
transcripts) in a second process, one `spawn` worker that runs only pure readers, while
this one writes; docs/legacy-import.md, "Parse ahead". Without it, the same interface
parses in this process when the result is asked for.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from types import SimpleNamespace
from typing import Any

from migration_app.legacy.reading import session_files_prepare
from migration_app.legacy.walk import SessionFile


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))  # what this process may run on (containers)


def _exit_with_parent(parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class ParseAhead:
    """`submit(files)` now, `.result()` later: one ParsedSession or LegacyParseError per file
    (or `submit(**arguments)`: what `function` returns)."""

    def __init__(self, *, enabled: bool, function=session_files_prepare, **options: Any):
        """`options`: those of `function` that every call shares."""
        self.enabled = enabled
        self._parse = partial(function, **options)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParseAhead:
        return self

    def start(self) -> None:
        """Start the worker (once; never when disabled): a fresh interpreter takes ~0.1 s,
        so a caller that knows it will parse starts it early; else the first batch does."""
        if self.enabled and self.pool is None:
            self.pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent, initargs=(os.getpid(),),
            )  # fmt: skip
            self.pool.submit(int)  # the worker process starts now, not on the first batch

    def submit(self, files: Sequence[SessionFile] = (), **arguments) -> Future | SimpleNamespace:
        arguments = arguments or {"files": list(files)}
        if not self.enabled or arguments == {"files": []}:  # parsed here, when asked for
            return SimpleNamespace(result=partial(self._parse, **arguments))
        self.start()
        return self.pool.submit(self._parse, **arguments)

    def __exit__(self, *exc_info) -> bool:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False
