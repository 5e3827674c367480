"""Prepare the next window of transcript in a second process while the import writes this
one: when a window's read is taken, the one after it is sent (the next window of the same
file, else the first of the next file), so the worker parses while this process writes.

The worker reads the original file, not the archive copy (the copy of that window is not
made yet). Its read is used only when the original's bytes [0, end) it hashed are the
copy's (the running sha256 the import keeps); anything else (the file changed meanwhile,
another window was read, the worker failed) is parsed here from the copy, as without the
worker.
"""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

from migration_app.legacy.jsonl import whole_lines_end
from migration_app.legacy.parse_ahead import ParseAhead
from migration_app.legacy.transcript_rows import PreparedRead, window_prepare
from migration_app.models import TranscriptFile
from migration_app.services.transcripts.linking import TranscriptSource

# The worker starts once the run has read this many bytes itself: a small run (a cron run
# over a few appended files, a test) never pays for a second interpreter.
START_AFTER = 8 << 20


class WindowLookahead:
    def __init__(self, *, enabled: bool, window: int):
        self.parser = ParseAhead(enabled=enabled, function=window_prepare)
        self.window = window
        # The run's next files, with their rows (None: not imported before).
        self.upcoming: tuple[tuple[TranscriptSource, TranscriptFile | None], ...] = ()
        self._pending: tuple[tuple, object] | None = None  # (what was sent, its future)
        self._read_here = 0
        self.taken = 0  # reads the worker prepared

    def __enter__(self) -> WindowLookahead:
        return self

    def __exit__(self, *exc_info) -> bool:
        return self.parser.__exit__(*exc_info)

    def read(self, *, file: TranscriptSource, parse: str, tail: int, start: int, end: int,
             digest: str) -> PreparedRead:  # fmt: skip
        """The read of `parse` [tail, end): the worker's when it read the bytes whose
        sha256 is `digest` (those of the copy, [0, end)), else made here. Then the next
        window is sent."""
        sent, self._pending = self._pending, None
        read = None
        if sent is not None and sent[0] == (file.path, tail, start, end):
            try:
                read = sent[1].result()
            except BrokenProcessPool:
                self.parser.enabled = False
            except Exception:  # noqa: BLE001 (parsed here instead, where it fails for real)
                pass
        if read is None or read.digest != digest:
            read = window_prepare(path=parse, source=file.source, relative=file.relative,
                                  offset=tail, end=end)  # fmt: skip
            self._read_here += end - start
        else:
            self.taken += 1
        self._send_next(file, read, end)
        return read

    def _send_next(self, file: TranscriptSource, read: PreparedRead, end: int) -> None:
        if not self.parser.enabled or self._read_here < START_AFTER:
            return
        following = whole_lines_end(file.path, offset=end, limit=self.window)
        tail = read.tail_start if read.messages else end
        if following > end:
            self._send(file, tail, end, following)
            return
        for upcoming, kept in self.upcoming:  # past unchanged files (an append has many)
            if self._send_first(upcoming, kept):
                return

    def _send_first(self, file: TranscriptSource, kept: TranscriptFile | None) -> bool:
        """Send the first window the import will read of `file`, as transcript_import
        decides it when the file's start is unchanged; False when it is unchanged."""
        try:
            st = os.stat(file.path)
        except OSError:
            return False
        if kept and kept.unchanged_since(st):
            return False  # nothing to read
        start, tail = (kept.offset, kept.tail_start) if kept else (0, 0)
        end = whole_lines_end(file.path, offset=start, limit=self.window)
        if end > start:
            self._send(file, tail, start, end)
        return True

    def _send(self, file: TranscriptSource, tail: int, start: int, end: int) -> None:
        # Plain values only: the worker runs no Django (a Source member would import models).
        future = self.parser.submit(path=file.path, source=str(file.source),
                                    relative=file.relative, offset=tail, end=end,
                                    digest_from=start)  # fmt: skip
        self._pending = ((file.path, tail, start, end), future)
