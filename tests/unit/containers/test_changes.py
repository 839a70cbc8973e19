"""docker diff from plain directories laid out as overlay upper and lower dirs (no mount)."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from dockyard.containers.changes import KIND_ADD, KIND_DELETE, KIND_MODIFY, changes

A, C, D = KIND_ADD, KIND_MODIFY, KIND_DELETE
T = 1_700_000_000_000_000_000


def whiteout(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, 0)
    except PermissionError:
        pytest.skip("making an overlay whiteout (0:0 device) needs CAP_MKNOD on this kernel")


def opaque(path: Path) -> None:
    try:
        os.setxattr(path, "user.overlay.opaque", b"y")
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EPERM):
            pytest.skip("user.* xattrs are not supported here")
        raise


def copy_up(lower: Path, upper: Path, rel: str) -> Path:
    """What overlayfs does before a change: the directory chain, with metadata, in upper."""
    parts = Path(rel).parts
    for i in range(1, len(parts) + 1):
        src, dst = lower.joinpath(*parts[:i]), upper.joinpath(*parts[:i])
        if src.is_dir() and not dst.exists():
            dst.mkdir()
            shutil.copystat(src, dst)
        elif not src.is_dir() and not dst.exists():
            shutil.copy2(src, dst)
    return upper / rel


@pytest.fixture
def layers(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(upper, nearest lower, base lower): base has /etc/passwd, /etc/group, /home/u/.rc,
    /bin/sh; the nearer layer adds /etc/hosts."""
    base, mid, upper = tmp_path / "base", tmp_path / "mid", tmp_path / "upper"
    for d in (base / "etc", base / "home" / "u", base / "bin", mid / "etc", upper):
        d.mkdir(parents=True)
    (base / "etc" / "passwd").write_text("root\n")
    (base / "etc" / "group").write_text("root\n")
    (base / "home" / "u" / ".rc").write_text("rc\n")
    (base / "bin" / "sh").write_text("sh\n")
    (mid / "etc" / "hosts").write_text("127.0.0.1\n")
    for p in (base / "etc", mid / "etc"):
        os.utime(p, ns=(T, T))
    return upper, mid, base


def diff(upper: Path, *lowers: Path) -> list[tuple[str, int]]:
    return [
        (c["Path"], c["Kind"])
        for c in changes(upper_dir=str(upper), lower_dirs=[str(p) for p in lowers])
    ]


def test_nothing_changed_is_an_empty_list(layers: tuple[Path, Path, Path]) -> None:
    assert diff(*layers) == []


def test_added_files_and_their_parents(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    copy_up(base, upper, "etc")
    (upper / "etc" / "new").write_text("n")
    (upper / "tmp" / "a" / "b").mkdir(parents=True)
    (upper / "tmp" / "a" / "b" / "f").write_text("f")
    assert diff(upper, mid, base) == [
        ("/etc", C),
        ("/etc/new", A),
        ("/tmp", A),
        ("/tmp/a", A),
        ("/tmp/a/b", A),
        ("/tmp/a/b/f", A),
    ]


def test_modified_content_mode_and_owner(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    passwd = copy_up(base, upper, "etc/passwd")
    passwd.write_text("root\nbob\n")
    hosts = copy_up(mid, upper, "etc/hosts")
    os.chmod(hosts, 0o600)
    assert diff(upper, mid, base) == [("/etc", C), ("/etc/hosts", C), ("/etc/passwd", C)]


def test_copied_up_but_unchanged_is_not_a_change(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    copy_up(base, upper, "etc/group")  # opened for writing, never written: same size and time
    assert diff(upper, mid, base) == []


def test_whole_second_times_match_sub_second_ones(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    os.utime(base / "bin" / "sh", ns=(T, T))
    sh = copy_up(base, upper, "bin/sh")
    os.utime(sh, ns=(T + 123, T + 123))  # a layer tar keeps whole seconds: Docker's sameFsTime
    assert diff(upper, mid, base) == []
    os.utime(sh, ns=(T + 2_000_000_123, T + 2_000_000_123))
    assert diff(upper, mid, base) == [("/bin", C), ("/bin/sh", C)]


def test_directory_mode_change_is_reported_but_not_its_mtime(
    layers: tuple[Path, Path, Path],
) -> None:
    upper, mid, base = layers
    home = copy_up(base, upper, "home")
    os.utime(home, ns=(T + 5 * 10**9, T + 5 * 10**9))
    assert diff(upper, mid, base) == []
    os.chmod(home, 0o700)
    assert diff(upper, mid, base) == [("/home", C)]


def test_whiteouts_delete_and_only_the_top_is_listed(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    copy_up(base, upper, "etc")
    whiteout(upper / "home")
    whiteout(upper / "etc" / "hosts")  # from the nearer layer
    whiteout(upper / "etc" / "never-existed")
    assert diff(upper, mid, base) == [("/etc", C), ("/etc/hosts", D), ("/home", D)]


def test_lower_whiteouts_hide_what_is_below(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    whiteout(mid / "etc" / "group")  # the image deleted it in its second layer
    copy_up(base, upper, "etc")
    (upper / "etc" / "group").write_text("root\n")
    assert diff(upper, mid, base) == [("/etc", C), ("/etc/group", A)]


def test_opaque_directory_deletes_what_it_hides(layers: tuple[Path, Path, Path]) -> None:
    upper, mid, base = layers
    etc = upper / "etc"
    etc.mkdir()
    shutil.copystat(mid / "etc", etc)
    opaque(etc)
    (etc / "passwd").write_text("root\n")  # recreated: compared with the image's
    os.utime(etc / "passwd", ns=((base / "etc/passwd").stat().st_mtime_ns,) * 2)
    assert diff(upper, mid, base) == [("/etc", C), ("/etc/group", D), ("/etc/hosts", D)]


def test_file_replaced_by_directory_lists_its_contents_as_added(
    layers: tuple[Path, Path, Path],
) -> None:
    upper, mid, base = layers
    copy_up(base, upper, "bin")
    (upper / "bin" / "sh").mkdir()
    (upper / "bin" / "sh" / "x").write_text("x")
    assert diff(upper, mid, base) == [("/bin", C), ("/bin/sh", C), ("/bin/sh/x", A)]
