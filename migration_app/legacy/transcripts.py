"""Where Claude Code keeps a session's transcript (legacy-formats §2.6): pure path rules.

Claude Code files a transcript under `<claude home>/projects/<slug of the worktree's real
path>/<uuid>.jsonl`. The importer copies it to the bucket of the session's new worktree.
"""

from __future__ import annotations

import os
import re

_SLUG_RE = re.compile(r"[^A-Za-z0-9-]")
# A transcript file name is built from the uuid: no separators, no dots.
_UUID_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,200}")


def claude_slug(path: str) -> str:
    """Claude Code's project bucket name: every char outside [a-zA-Z0-9-] becomes '-'."""
    return _SLUG_RE.sub("-", path)


def wants_transcript(agent: str, uuid: str, worktree: str) -> bool:
    """Claude Code sessions with a uuid and a worktree have a transcript to relocate."""
    return agent == "claude-code" and bool(worktree) and _UUID_NAME_RE.fullmatch(uuid) is not None


def transcript_source(*, claude_home: str, worktree: str, uuid: str, realpath=os.path.realpath):
    """Where the session's transcript is now."""
    bucket = claude_slug(realpath(worktree))
    return os.path.join(claude_home, "projects", bucket, f"{uuid}.jsonl")


def transcript_destination(
    *, claude_home: str, data_dir: str, project_id: str, session_id: str, uuid: str
) -> str:
    """Where it goes: the bucket of the session's new worktree, the literal path
    `<data dir>/worktrees/<project>/<session>` (no realpath)."""
    new_worktree = os.path.join(data_dir, "worktrees", project_id, session_id)
    return os.path.join(claude_home, "projects", claude_slug(new_worktree), f"{uuid}.jsonl")


class CachedRealpath:
    """os.path.realpath that resolves each parent directory once: a project's worktrees
    share theirs, and resolving walks every component with lstat. Only the last
    component is looked at per call. Meant for one run (a symlink changed meanwhile is
    not seen); it forgets everything past `keep` directories, so memory stays bounded."""

    def __init__(self, keep: int = 10_000):
        self.keep = keep
        self._dirs: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        parent, name = os.path.split(path)
        if not parent or name in ("", ".", ".."):
            return os.path.realpath(path)
        real_parent = self._dirs.get(parent)
        if real_parent is None:
            if len(self._dirs) >= self.keep:
                self._dirs.clear()
            real_parent = self._dirs[parent] = os.path.realpath(parent)
        candidate = os.path.join(real_parent, name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate
