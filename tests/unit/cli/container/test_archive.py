"""docker cp's local half (cli/archive.py): go-archive's path rules and the two tar streams,
round-tripped on the local filesystem (no daemon)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.cli import archive
from dockyard.cli.archive import CopyInfo


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/a/b", ("/a", "b")), ("/a/b/", ("/a", "b")), ("/a/b/.", ("/a/b", ".")), ("a", (".", "a"))],
)
def test_split_path_dir_entry(path: str, expected: tuple[str, str]) -> None:
    assert archive.split_path_dir_entry(path) == expected


def test_preserve_trailing_dot_or_separator() -> None:
    assert archive.preserve_trailing_dot_or_separator("/a/b", "a/b/.") == "/a/b/."
    assert archive.preserve_trailing_dot_or_separator("/a/b", "a/b/") == "/a/b/"
    assert archive.preserve_trailing_dot_or_separator("/a/b", "a/b") == "/a/b"


def test_go_clean() -> None:
    assert archive.go_clean("/a//b/../c/.") == "/a/c"
    assert archive.go_clean("") == "."
    assert archive.go_clean("../x") == "../x"


def test_prepare_archive_copy_rules() -> None:
    src_file = CopyInfo(path="/h/f", exists=True)
    src_dir = CopyInfo(path="/h/d", exists=True, is_dir=True)
    assert archive.prepare_archive_copy(
        src_file, CopyInfo(path="/c/dir", exists=True, is_dir=True)
    ) == ("/c/dir", "", "")
    assert archive.prepare_archive_copy(src_file, CopyInfo(path="/c/new")) == ("/c", "f", "new")
    assert archive.prepare_archive_copy(src_dir, CopyInfo(path="/c/new")) == ("/c", "d", "new")
    with pytest.raises(errdefs.InvalidArgument, match="cannot copy directory"):
        archive.prepare_archive_copy(src_dir, CopyInfo(path="/c/file", exists=True))
    with pytest.raises(errdefs.NotFound, match="no such directory"):
        archive.prepare_archive_copy(src_file, CopyInfo(path="/c/missing/"))


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath, f)
            out[str(p.relative_to(root))] = p.read_text()
    return out


def test_tar_source_names_and_go_length(tmp_path: Path) -> None:
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "a").write_text("a")
    (tmp_path / "src" / "sub" / "b").write_text("b")
    buf = io.BytesIO()
    info = archive.copy_info_source_path(str(tmp_path / "src"), follow_link=False)
    size = archive.tar_source(info, buf)
    # three 512-byte headers + two data blocks + two zero blocks, not padded to 10 kB
    assert size == 4 * 512 + 2 * 512 + 1024
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        names = tar.getnames()
        assert names == ["src", "src/sub", "src/a", "src/sub/b"]
        assert all(m.mtime == int(m.mtime) and m.uname == "" for m in tar.getmembers())
    dot = io.BytesIO()
    archive.tar_source(
        archive.copy_info_source_path(str(tmp_path / "src") + "/.", follow_link=False), dot
    )
    with tarfile.open(fileobj=io.BytesIO(dot.getvalue())) as tar:
        assert tar.getnames()[:2] == [".", "./sub"]


def test_copy_to_extracts_rebased_into_a_new_name(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("hello")
    buf = io.BytesIO()
    archive.tar_source(archive.copy_info_source_path(str(tmp_path / "src"), follow_link=False), buf)
    buf.seek(0)
    dest = tmp_path / "out"
    dest.mkdir()
    archive.copy_to(buf, CopyInfo(path="/src", exists=True, is_dir=True), str(dest / "renamed"))
    assert _tree(dest) == {"renamed/a": "hello"}
    buf.seek(0)
    archive.copy_to(buf, CopyInfo(path="/src", exists=True, is_dir=True), str(dest))
    assert _tree(dest) == {"renamed/a": "hello", "src/a": "hello"}


def test_copy_to_refuses_a_file_over_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    buf = io.BytesIO()
    archive.tar_source(archive.copy_info_source_path(str(tmp_path / "f"), follow_link=False), buf)
    buf.seek(0)
    dest = tmp_path / "out"
    (dest / "f").mkdir(parents=True)
    with pytest.raises(errdefs.Conflict):
        archive.copy_to(buf, CopyInfo(path="/f", exists=True), str(dest))


def test_copy_to_needs_the_parent_directory(tmp_path: Path) -> None:
    with pytest.raises(errdefs.NotFound):
        archive.copy_to(io.BytesIO(), CopyInfo(path="/f", exists=True), str(tmp_path / "no" / "x"))


def test_missing_source_has_gos_lstat_text(tmp_path: Path) -> None:
    with pytest.raises(errdefs.NotFound, match=f"lstat {tmp_path}/nope: no such file or directory"):
        archive.copy_info_source_path(str(tmp_path / "nope"), follow_link=False)


def test_follow_link_rebases_to_the_links_name(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("t")
    (tmp_path / "link").symlink_to("target")
    info = archive.copy_info_source_path(str(tmp_path / "link"), follow_link=True)
    assert info == CopyInfo(path=str(tmp_path / "target"), exists=True, rebase_name="link")
    plain = archive.copy_info_source_path(str(tmp_path / "link"), follow_link=False)
    assert plain.path == str(tmp_path / "link") and plain.rebase_name == ""
