"""What the store walks do with entries that cannot be a session file: a dangling link, a
FIFO, a socket or a directory where a session file is expected is skipped with its reason
(never opened, never silently dropped); a link to a regular file is read."""

import os
import socket
from types import SimpleNamespace

import pytest

from migration_app.legacy.ao_rs import ao_rs_session_files
from migration_app.legacy.ao_ts import ao_session_files
from migration_app.legacy.walk import read_bounded
from tests.migration_app.ao_helpers import touch


def special_entries(directory, suffix: str) -> None:
    """One of each kind where a session file `<name><suffix>` is expected."""
    directory.mkdir(parents=True, exist_ok=True)
    touch(directory / f"real{suffix}", b'{"status": "working"}')
    os.symlink(directory / f"real{suffix}", directory / f"linked{suffix}")
    os.symlink(directory / "nowhere", directory / f"dangling{suffix}")
    os.mkfifo(directory / f"pipe{suffix}")
    (directory / f"folder{suffix}").mkdir()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(directory / f"sock{suffix}"))
    server.close()


EXPECTED = {
    "real": "",
    "linked": "",
    "dangling": "dangling symbolic link",
    "pipe": "a FIFO (named pipe), not a session file",
    "folder": "a directory, not a session file",
    "sock": "a socket, not a session file",
}


@pytest.mark.parametrize("stat", [True, False], ids=["stat", "names only"])
def test_the_ao_walk_skips_what_cannot_be_a_session_file_with_its_reason(tmp_path, stat):
    special_entries(tmp_path / "projects/app/sessions", ".json")
    found = {f.session_id: f.skip_reason for f in ao_session_files(str(tmp_path), stat=stat)}
    assert found == EXPECTED


def test_the_v1_walk_does_the_same(tmp_path):
    special_entries(tmp_path / "0123456789ab-app/sessions", "")
    found = {f.session_id: f.skip_reason for f in ao_session_files(str(tmp_path))}
    assert found == EXPECTED


def test_the_ao_rs_walk_does_the_same(tmp_path):
    special_entries(tmp_path / "proj", ".yaml")
    found = {
        f.session_id: f.skip_reason
        for f in ao_rs_session_files(str(tmp_path), include_archive=False)
    }
    assert found == EXPECTED


class TestReadBounded:
    """Reads what the stat promised, notices growth, never more than the limit + 1."""

    def test_reads_the_whole_file_asking_only_for_its_size(self, tmp_path):
        path = tmp_path / "s.json"
        path.write_bytes(b"x" * 100)
        asked = []
        with open(path, "rb") as handle:
            real_read = handle.read
            data = read_bounded(
                SimpleNamespace(read=lambda n: asked.append(n) or real_read(n)),
                size=100,
                max_bytes=64 * 1024 * 1024,
            )
        assert data == b"x" * 100
        assert asked == [101]  # not the 64 MiB limit: read(n) allocates n first

    def test_a_file_that_grew_since_the_stat_is_read_to_its_end(self, tmp_path):
        path = tmp_path / "s.json"
        path.write_bytes(b"y" * 300)
        with open(path, "rb") as handle:
            assert read_bounded(handle, size=100, max_bytes=1000) == b"y" * 300

    def test_growth_past_the_limit_gives_one_byte_more_than_allowed(self, tmp_path):
        path = tmp_path / "s.json"
        path.write_bytes(b"z" * 5000)
        with open(path, "rb") as handle:
            assert len(read_bounded(handle, size=100, max_bytes=1000)) == 1001

    def test_a_file_already_over_the_limit_gives_limit_plus_one(self, tmp_path):
        path = tmp_path / "s.json"
        path.write_bytes(b"z" * 5000)
        with open(path, "rb") as handle:
            assert len(read_bounded(handle, size=5000, max_bytes=1000)) == 1001
