"""The importer's helper process: parses batches of session files sent on stdin.

    python -m migration_app.legacy.parse_worker

One request per batch, `(source, files, row_format, claude_home)` pickled on stdin; one reply per
request, in order, pickled on stdout: `("ok", results)` with one ParsedSession (decision
fields and database row) or LegacyParseError per file, or
`("error", traceback)` when the reader itself broke. Ends at end of input, so it also ends
when its parent dies. Pickle is safe here: the only peer is the parent that started it.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback

from migration_app.legacy.reading import session_files_prepare


def main() -> int:
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to stderr instead of corrupting the replies
    while True:
        try:
            source, files, row_format, claude_home = pickle.load(requests)
        except EOFError:
            return 0
        try:
            results = session_files_prepare(
                source=source, files=files, row_format=row_format, claude_home=claude_home
            )
            reply = ("ok", results)
        except Exception:
            reply = ("error", traceback.format_exc())
        try:
            pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
            replies.flush()
        except BrokenPipeError:
            return 0  # the parent is gone


if __name__ == "__main__":
    sys.exit(main())
