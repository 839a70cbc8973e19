"""The build context: .dockerignore parsing and matching as moby/patternmatcher, and the tar
docker sends (what is in it, in which order, owned by root)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.cli import buildcontext as bc


def test_ignore_file_drops_comments_and_bom_and_roots() -> None:
    data = b"\xef\xbb\xbf# comment\n  /abs/path  \n\n!keep//me/\nsub/../x\n   #not-comment\n"
    assert bc.read_ignore_file(data) == ["abs/path", "!keep/me", "x", "#not-comment"]


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        (["*.md"], "README.md", True),
        (["*.md"], "docs/README.md", False),  # * does not cross /
        (["**/*.md"], "docs/deep/README.md", True),
        (["**/*.md"], "README.md", True),
        (["docs"], "docs/a/b.txt", True),  # a directory's match covers what is under it
        (["docs/**"], "docs/a/b.txt", True),
        (["docs/**"], "docs", False),
        (["**"], "anything/at/all", True),
        (["a?c"], "abc", True),
        (["a?c"], "a/c", False),
        (["[a-c]x"], "bx", True),
        (["*", "!keep"], "keep", False),
        (["*", "!keep", "keep"], "keep", True),  # the last matching pattern wins
        (["dir", "!dir/keep.txt"], "dir/keep.txt", False),
        (["dir", "!dir/keep.txt"], "dir/other.txt", True),
        (["**/foo"], "foo", True),
        (["**/foo"], "x/y/foo", True),
        (["foo.+()|{}$"], "foo.+()|{}$", True),  # regexp specials are literal
        (["a\\*b"], "a*b", True),
        (["a\\*b"], "axb", False),
    ],
)
def test_pattern_matching_follows_patternmatcher(
    patterns: list[str], path: str, excluded: bool
) -> None:
    assert bc.PatternMatcher(patterns).matches_or_parent_matches(path) is excluded


def test_bad_patterns_are_refused_with_dockers_words() -> None:
    with pytest.raises(errdefs.InvalidArgument, match='illegal exclusion pattern: "!"'):
        bc.PatternMatcher(["!"])
    with pytest.raises(errdefs.InvalidArgument, match="syntax error in pattern"):
        bc.PatternMatcher(["[abc"])


def test_dockerfile_and_dockerignore_always_travel() -> None:
    excludes = bc.trim_build_files(["*"], "Dockerfile", dockerfile_from_stdin=False)
    assert excludes == ["*", "!.dockerignore", "!Dockerfile"]
    assert bc.trim_build_files(["*.md"], "Dockerfile", dockerfile_from_stdin=False) == ["*.md"]
    assert bc.trim_build_files(["*"], "Dockerfile", dockerfile_from_stdin=True) == [
        "*",
        "!.dockerignore",
    ]


def _context(tmp_path: Path) -> Path:
    files = {
        "Dockerfile": "FROM busybox\n",
        ".dockerignore": "skip\n!skip/keep.txt\n*.md\nnode_modules\n",
        "a.txt": "a",
        "README.md": "r",
        "sub/b.txt": "b",
        "sub/c.md": "nested md files are not matched by *.md",
        "skip/keep.txt": "k",
        "skip/drop.txt": "d",
        "node_modules/x/y.js": "y",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _tar_of(pipe: bc.TarPipe) -> bytes:
    data = b""
    while chunk := pipe.read():
        data += chunk
    pipe.close()
    return data


def test_context_tar_has_what_docker_sends_in_walk_order(tmp_path: Path) -> None:
    context = _context(tmp_path)
    excludes = bc.trim_build_files(
        bc.read_dockerignore(str(context)), "Dockerfile", dockerfile_from_stdin=False
    )
    data = _tar_of(bc.directory_tar(str(context), excludes))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        ".dockerignore",
        "Dockerfile",
        "a.txt",
        "skip/keep.txt",  # skip/ itself stays out: only the exception is walked into
        "sub",
        "sub/b.txt",
        "sub/c.md",
    ]
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    # Go's tar writer ends with two zero blocks, without tarfile's 10 kB record padding.
    assert len(data) % 512 == 0 and len(data) < 10240
    assert data.endswith(b"\0" * 1024)


def test_stdin_dockerfile_is_added_under_a_random_name_and_ignored(tmp_path: Path) -> None:
    context = _context(tmp_path)
    name, extra = bc.dockerfile_extras(str(context), b"FROM busybox\nRUN true\n")
    assert name.startswith(".dockerfile.") and len(name) == len(".dockerfile.") + 20
    data = _tar_of(bc.directory_tar(str(context), [], extra=extra))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        ignore = tar.extractfile(".dockerignore")
        dockerfile = tar.extractfile(name)
        assert ignore is not None and dockerfile is not None
        assert ignore.read().endswith(f"\n{name}\n".encode())
        assert dockerfile.read() == b"FROM busybox\nRUN true\n"


def test_dockerfile_location_rules(tmp_path: Path) -> None:
    context = _context(tmp_path)
    assert bc.local_context(str(context), "")[1] == "Dockerfile"
    (context / "Dockerfile").rename(context / "dockerfile")
    assert bc.local_context(str(context), "")[1] == "dockerfile"
    (context / "dockerfile").unlink()
    with pytest.raises(errdefs.InvalidArgument, match="Cannot locate Dockerfile"):
        bc.local_context(str(context), "")
    with pytest.raises(errdefs.InvalidArgument, match="context must be a directory"):
        bc.local_context(str(context / "a.txt"), "")


def test_archive_detection() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = 0
        tar.addfile(info)
    assert bc.is_archive(buffer.getvalue()[:1024])
    assert bc.is_archive(b"\x1f\x8b\x08\x00rest")
    assert not bc.is_archive(b"FROM busybox\n" + b" " * 1024)
