"""Where Claude Code transcripts are, and the realpath cache used to find them."""

import os

from migration_app.legacy.transcripts import (
    CachedRealpath,
    claude_slug,
    transcript_destination,
    transcript_source,
    wants_transcript,
)


def test_the_slug_keeps_ascii_letters_digits_and_dashes_only():
    assert claude_slug("/home/ü/my_app.v2/wt-1") == "-home---my-app-v2-wt-1"


def test_only_claude_code_sessions_with_a_safe_uuid_and_a_worktree_have_one():
    assert wants_transcript("claude-code", "4cdd2055-930d", "/w/app-1")
    assert not wants_transcript("codex", "4cdd2055-930d", "/w/app-1")
    assert not wants_transcript("claude-code", "", "/w/app-1")
    assert not wants_transcript("claude-code", "../../etc/passwd", "/w/app-1")
    assert not wants_transcript("claude-code", "4cdd2055", "")


def test_source_follows_symlinks_and_destination_is_the_literal_path(tmp_path):
    real = tmp_path / "real" / "wt"
    real.mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    home = str(tmp_path / "claude")

    source = transcript_source(claude_home=home, worktree=str(tmp_path / "link" / "wt"), uuid="u")
    dest = transcript_destination(
        claude_home=home, data_dir=str(tmp_path / "link"), project_id="p", session_id="s", uuid="u"
    )

    assert source == os.path.join(home, "projects", claude_slug(str(real)), "u.jsonl")
    literal = claude_slug(str(tmp_path / "link" / "worktrees" / "p" / "s"))
    assert dest == os.path.join(home, "projects", literal, "u.jsonl")


def test_the_cached_realpath_resolves_exactly_as_realpath(tmp_path, monkeypatch):
    real = tmp_path / "real"
    (real / "proj" / "s1").mkdir(parents=True)
    (real / "elsewhere").mkdir()
    (tmp_path / "via-link").symlink_to(real)  # a symlinked parent
    (real / "proj" / "s2").symlink_to(real / "elsewhere")  # a symlinked last component
    monkeypatch.chdir(real)
    paths = [
        tmp_path / "via-link" / "proj" / "s1",
        tmp_path / "via-link" / "proj" / "s2",
        tmp_path / "via-link" / "proj" / "missing" / "deeper",
        tmp_path / "via-link" / "proj" / "..",
        tmp_path / "via-link" / "proj" / "s1" / ".",
        tmp_path / "via-link" / "proj" / "s1" / "",
        "proj/s1",
        "s1",
        "/",
    ]
    resolve = CachedRealpath(keep=2)  # forgets along the way: same answers
    for path in [*paths, *paths]:
        assert resolve(str(path)) == os.path.realpath(path), path
