"""Opening an origin's SQLite file: read-only, because an origin's database is never written."""

import os
import sqlite3
from pathlib import Path


def sqlite_readonly_connect(path: str | os.PathLike) -> sqlite3.Connection:
    """`mode=ro` through a `file:` URI. `as_uri()` percent-encodes what SQLite's URI parser
    reads as syntax (`?`, `#`, `%`), so a directory named `a%41b` opens as itself."""
    uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True)
