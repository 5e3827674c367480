"""entry_move is a state machine over the disk: every state an interruption leaves converges."""

import os
import subprocess

import pytest

from migration_app.services.file_moves import (
    MoveClash,
    MoveEnds,
    MoveError,
    entry_move,
    rename_noreplace,
    tree_count,
)


@pytest.fixture(params=["same-filesystem", "cross-filesystem"])
def ends(request, tmp_path):
    """src in tmp_path/a, dst in tmp_path/b (a tmpfs for the cross-filesystem case)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    if request.param == "cross-filesystem":
        done = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(b)], capture_output=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr!r}")
        request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(b)], check=True))
    (a / "work").mkdir()
    (b / "dest").mkdir()
    return MoveEnds(a / "work" / "entry", b / "dest" / "entry", a / "side", b / "side")


def make_entry(path):
    path.mkdir()
    (path / "f.txt").write_bytes(b"content")
    (path / "sub").mkdir()
    (path / "sub" / "g.bin").write_bytes(bytes(range(256)))
    os.symlink("/etc/passwd", path / "link")


def test_a_fresh_move(ends):
    make_entry(ends.src)
    assert entry_move(ends) in ("renamed", "copied")
    assert not os.path.lexists(ends.src)
    assert (ends.dst / "sub" / "g.bin").read_bytes() == bytes(range(256))
    assert os.readlink(ends.dst / "link") == "/etc/passwd"
    assert tree_count(ends.dst).files == 2 and tree_count(ends.dst).symlinks == 1


def test_already_moved_is_a_no_op(ends):
    make_entry(ends.dst)
    assert entry_move(ends) == "already"
    assert (ends.dst / "f.txt").read_bytes() == b"content"


def test_a_verified_copy_whose_source_delete_was_interrupted(ends):
    make_entry(ends.src)
    make_entry(ends.dst)
    assert entry_move(ends) == "copied"
    assert not os.path.lexists(ends.src) and (ends.dst / "f.txt").exists()


def test_a_different_entry_at_the_destination_is_a_clash_and_nothing_changes(ends):
    make_entry(ends.src)
    ends.dst.write_bytes(b"someone else's")
    with pytest.raises(MoveClash):
        entry_move(ends)
    assert (ends.src / "f.txt").read_bytes() == b"content"
    assert ends.dst.read_bytes() == b"someone else's"


def test_an_entry_at_neither_end_is_an_error(ends):
    with pytest.raises(MoveError, match="neither end"):
        entry_move(ends)


def test_a_partial_staging_copy_is_replaced(ends):
    make_entry(ends.src)
    ends.staging.mkdir(parents=True)
    (ends.staging / "f.txt").write_bytes(b"cont")  # a copy cut short
    entry_move(ends)
    assert (ends.dst / "f.txt").read_bytes() == b"content"


def test_rename_noreplace_never_replaces(tmp_path):
    (tmp_path / "x").write_bytes(b"x")
    (tmp_path / "y").write_bytes(b"y")
    with pytest.raises(FileExistsError):
        rename_noreplace(tmp_path / "x", tmp_path / "y")
    assert (tmp_path / "y").read_bytes() == b"y"
