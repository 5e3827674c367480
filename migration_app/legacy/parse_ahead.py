"""Parse the next batches of session files in a second process while this one writes.

Reading and parsing (file I/O, JSON/YAML, mapping) and writing (SQL, journal) are of the
same order in an import; on two cores they overlap. The second process is a
`ProcessPoolExecutor` with one worker started with `spawn`: a fresh interpreter that runs
only the pure readers and inherits no database connection, lock or thread. Without it,
the same interface parses in this process when the result is asked for.

A pool worker outlives a parent killed with -9 (it holds its own end of the task queue),
so the worker watches its parent and exits when it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial

from migration_app.legacy.reading import DEFAULT_MAX_FILE_BYTES, session_files_prepare
from migration_app.legacy.rows import SessionRowFormat
from migration_app.legacy.walk import SessionFile


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))  # what this process may run on (containers)


def _exit_with_parent(parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class _ParsedHere:
    """A batch parsed in this process, when its result is asked for."""

    def __init__(self, parse):
        self.result = parse


class ParseAhead:
    """`submit(files)` now, `.result()` later: one ParsedSession or LegacyParseError per file."""

    def __init__(
        self,
        *,
        source: str,
        enabled: bool,
        row_format: SessionRowFormat,
        claude_home: str,
        data_dir: str = "",
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ):
        self.enabled = enabled
        self._parse = partial(
            session_files_prepare,
            source=source,
            row_format=row_format,
            claude_home=claude_home,
            data_dir=data_dir,
            max_file_bytes=max_file_bytes,
        )
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParseAhead:
        return self

    def start(self) -> None:
        """Start the worker (once; never when disabled). A fresh interpreter takes ~0.1 s,
        so a caller that knows early that it will parse starts it early; otherwise it
        starts on the first batch with files to parse (a re-run parses none)."""
        if self.enabled and self.pool is None:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
            self.pool.submit(int)  # the worker process starts now, not on the first batch

    def submit(self, files: Sequence[SessionFile]) -> Future | _ParsedHere:
        if not self.enabled or not files:
            return _ParsedHere(partial(self._parse, files=files))
        self.start()
        return self.pool.submit(self._parse, files=list(files))

    def __exit__(self, *exc_info) -> bool:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False
