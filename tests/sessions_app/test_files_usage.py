import os

from sessions_app import files


def test_usage_counts_regular_files_and_bytes_without_following_links(data_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x" * 1000)
    work = files.workstream_work_dir("blog")
    (work / "s1" / "sub").mkdir(parents=True)
    (work / "s1" / "a.txt").write_bytes(b"12345")
    (work / "s1" / "sub" / "b.txt").write_bytes(b"678")
    os.symlink(outside, work / "s1" / "link-to-dir")
    os.symlink(outside / "big.bin", work / "s1" / "link-to-file")
    assert files.workstream_usage("blog") == (2, 8)
    assert files.workstream_usage("missing") == (0, 0)
