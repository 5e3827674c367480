"""Parse the next batches of legacy files in a helper process while this one writes.

Reading and parsing (file I/O, JSON/YAML, mapping) and writing (SQL, journal) are of
the same order in an import; on two cores they overlap. The helper is a fresh Python
(`migration_app.legacy.parse_worker`) that runs only the pure readers: it inherits no
database connection, no lock and no thread, and it ends when this process ends (its input
closes), so a kill -9 of the import leaves nothing behind. Without a helper the same
interface parses in this process, when the result is asked for.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from migration_app.legacy.ao_ts import SessionFile
from migration_app.legacy.reading import session_files_prepare
from migration_app.legacy.records import LegacyParseError
from migration_app.legacy.rows import ParsedSession, SessionRowFormat

Parsed = list[ParsedSession | LegacyParseError]
_PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def _widen(pipe) -> None:
    """A 1 MiB pipe (Linux; elsewhere the default stays): a whole batch fits, so neither
    side waits for the other to read in the middle of one."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), set_size, 1 << 20)


class ParseAheadError(RuntimeError):
    """The helper process failed; the import stops (and is journaled as failed)."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may run on (containers)
    except AttributeError:
        return os.cpu_count() or 1


class _InProcess:
    def __init__(self, owner: ParseAhead, files: Sequence[SessionFile]):
        self._owner, self._files = owner, files

    def result(self) -> Parsed:
        owner = self._owner
        return session_files_prepare(
            source=owner.source,
            files=self._files,
            row_format=owner.row_format,
            claude_home=owner.claude_home,
        )


class _Pending:
    def __init__(self, owner: ParseAhead, number: int):
        self._owner, self._number = owner, number

    def result(self) -> Parsed:
        return self._owner._reply(self._number)


class ParseAhead:
    """`submit(files)` now, `.result()` later (in submission order): one ParsedSession or
    LegacyParseError per file."""

    def __init__(
        self, *, source: str, enabled: bool, row_format: SessionRowFormat, claude_home: str
    ):
        self.source = source
        self.enabled = enabled
        self.row_format = row_format
        self.claude_home = claude_home
        self._process: subprocess.Popen | None = None
        self._replies: queue.Queue = queue.Queue()
        self._sent = self._received = 0
        self._first_parsed_here = False

    def __enter__(self) -> ParseAhead:
        return self

    def start(self) -> None:
        """Start the helper (once; never when disabled). It takes ~0.1 s to start, so a
        caller that knows early that it will parse starts it early; otherwise it starts on
        the first batch with files to parse (a re-run that parses nothing starts none)."""
        if not self.enabled or self._process is not None:
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_PROJECT_ROOT), *sys.path])}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "migration_app.legacy.parse_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        for pipe in (self._process.stdin, self._process.stdout):
            _widen(pipe)
        # Replies are drained as they come, so the helper never blocks on a full pipe
        # while this process blocks sending it the next batch.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        stdout = self._process.stdout
        while True:
            try:
                self._replies.put(pickle.load(stdout))
            except EOFError:
                self._replies.put(("error", "the parse helper ended unexpectedly"))
                return
            except Exception as exc:  # a torn reply: report it, never hang the import
                self._replies.put(("error", f"unreadable reply from the parse helper: {exc}"))
                return

    def submit(self, files: Sequence[SessionFile]) -> _Pending | _InProcess:
        if not self.enabled or not files:
            return _InProcess(self, files)
        self.start()
        if not self._first_parsed_here:
            # The helper needs ~0.1 s to start: the first batch is parsed here meanwhile.
            self._first_parsed_here = True
            return _InProcess(self, files)
        try:
            request = (self.source, list(files), self.row_format, self.claude_home)
            pickle.dump(request, self._process.stdin, pickle.HIGHEST_PROTOCOL)
            self._process.stdin.flush()
        except BrokenPipeError:
            raise ParseAheadError("the parse helper ended unexpectedly") from None
        self._sent += 1
        return _Pending(self, self._sent)

    def _reply(self, number: int) -> Parsed:
        if number != self._received + 1:
            raise ParseAheadError("parse results must be collected in submission order")
        status, payload = self._replies.get()
        if status != "ok":
            raise ParseAheadError(f"the parse helper failed:\n{payload}")
        self._received += 1
        return payload

    def __exit__(self, *exc_info) -> bool:
        if self._process is not None:
            # End of input: the helper exits (a broken pipe: it is gone already).
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        return False
