"""apply_layer into plain directories, without privileges: content, metadata and path safety.

Whiteouts as overlay devices, trusted.* xattrs and ownership need root; they are covered in
tests/integration/snapshots.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import resource
import stat
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.snapshots.rootdir import RootDir
from dockyard.snapshots.unpack import Whiteouts, apply_layer, chain_ids
from tests.unit.snapshots import tars
from tests.unit.snapshots.tars import directory, file, hardlink, symlink

ROOT = os.geteuid() == 0


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """tmp/dest (where layers go) beside tmp/outside/canary (what they must not touch)."""
    (tmp_path / "dest").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "canary").write_bytes(b"canary\n")
    return tmp_path


def _outside(sandbox: Path) -> dict[str, tuple[object, ...]]:
    picture = tars.tree(str(sandbox))
    return {k: v for k, v in picture.items() if k != "dest" and not k.startswith("dest/")}


def _apply(dest: Path, members: list[tars.Member], **kwargs: object) -> object:
    return apply_layer(str(dest), io.BytesIO(tars.layer(members)), **kwargs)  # type: ignore[arg-type]


def test_files_dirs_and_symlinks_keep_content_mode_and_times(tmp_path: Path) -> None:
    applied = _apply(
        tmp_path,
        [
            directory("usr/", mode=0o755, mtime=1_600_000_000),
            directory("usr/bin/", mode=0o711, mtime=1_600_000_001),
            file("usr/bin/tool", b"#!/bin/sh\n", mode=0o755, mtime=1_600_000_002),
            file("usr/secret", b"s", mode=0o600),
            file("usr/setuid", b"", mode=0o4755),
            symlink("usr/lib64", "/usr/lib", mtime=1_600_000_003),
        ],
    )
    assert (tmp_path / "usr/bin/tool").read_bytes() == b"#!/bin/sh\n"
    st = os.lstat(tmp_path / "usr/bin/tool")
    assert (stat.S_IMODE(st.st_mode), st.st_mtime) == (0o755, 1_600_000_002)
    assert stat.S_IMODE(os.stat(tmp_path / "usr/secret").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "usr/setuid").st_mode) == 0o4755
    bin_st = os.stat(tmp_path / "usr/bin")
    assert (stat.S_IMODE(bin_st.st_mode), bin_st.st_mtime) == (0o711, 1_600_000_001)
    assert os.stat(tmp_path / "usr").st_mtime == 1_600_000_000, "dir times set after children"
    assert os.readlink(tmp_path / "usr/lib64") == "/usr/lib"
    assert os.lstat(tmp_path / "usr/lib64").st_mtime == 1_600_000_003
    assert applied.size == len(b"#!/bin/sh\n") + 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_diff_id_is_the_sha256_of_the_uncompressed_tar(tmp_path: Path, compression: str) -> None:
    members = [directory("etc/"), file("etc/os-release", b"ID=test\n" * 1000)]
    plain = tars.layer(members)
    blob = tars.layer(members, compression=compression)
    applied = apply_layer(str(tmp_path), io.BytesIO(blob))
    assert applied.diff_id == tars.sha256(plain)
    assert (tmp_path / "etc/os-release").read_bytes() == b"ID=test\n" * 1000


def test_missing_parents_are_made_0755(tmp_path: Path) -> None:
    _apply(tmp_path, [file("a/b/c", b"x")])
    assert stat.S_IMODE(os.stat(tmp_path / "a/b").st_mode) == 0o755 & ~_umask()


def test_absolute_entry_paths_land_inside_dest(sandbox: Path) -> None:
    before = _outside(sandbox)
    _apply(sandbox / "dest", [file("/etc/passwd", b"inside"), file("./b/../c", b"c")])
    assert (sandbox / "dest/etc/passwd").read_bytes() == b"inside"
    assert (sandbox / "dest/c").read_bytes() == b"c"
    assert _outside(sandbox) == before


def test_hardlinks_share_the_inode(tmp_path: Path) -> None:
    _apply(tmp_path, [file("bin/busybox", b"elf"), hardlink("bin/sh", "bin/busybox")])
    assert os.stat(tmp_path / "bin/sh").st_ino == os.stat(tmp_path / "bin/busybox").st_ino


def test_a_hardlink_to_a_symlink_links_the_symlink_not_its_target(sandbox: Path) -> None:
    canary = sandbox / "outside/canary"
    before = _outside(sandbox)
    _apply(sandbox / "dest", [symlink("s", str(canary)), hardlink("h", "s")])
    assert os.readlink(sandbox / "dest/h") == str(canary)
    assert os.stat(canary).st_nlink == 1
    assert _outside(sandbox) == before


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([file("../outside/canary", b"pwned")], "escapes the layer root"),
        ([file("a/../../outside/canary", b"pwned")], "escapes the layer root"),
        ([file("/../outside/evil", b"pwned")], "escapes the layer root"),
        ([directory("../outside/newdir/")], "escapes the layer root"),
        ([symlink("../outside/link", "/etc")], "escapes the layer root"),
        ([tars.whiteout("../outside/canary")], "escapes the layer root"),
        ([hardlink("h", "../outside/canary")], "hardlink target"),
        ([hardlink("h", "/etc/passwd")], "is not in the layer"),
        ([symlink("a", "{outside}"), file("a/canary", b"pwned")], 'parent "a" is a symlink'),
        ([symlink("a", "{outside}"), file("a/new", b"pwned")], 'parent "a" is a symlink'),
        ([symlink("a", "../outside"), directory("a/sub/")], 'parent "a" is a symlink'),
        (
            [directory("d/"), symlink("d/e", "{outside}"), file("d/e/f/g", b"pwned")],
            'parent "d/e" is a symlink',
        ),
        ([symlink("a", "{outside}"), hardlink("h", "a/canary")], 'parent "a" is a symlink'),
        ([file("f", b"x"), file("f/g", b"x")], 'parent "f" is not a directory'),
    ],
    ids=[
        "dotdot",
        "dotdot-inside",
        "rooted-dotdot",
        "dotdot-dir",
        "dotdot-symlink",
        "dotdot-whiteout",
        "hardlink-dotdot",
        "hardlink-absolute",
        "symlinked-parent-overwrite",
        "symlinked-parent-create",
        "relative-symlinked-parent",
        "nested-symlinked-parent",
        "hardlink-through-symlink",
        "file-as-parent",
    ],
)
def test_hostile_entries_are_refused_and_nothing_outside_changes(
    sandbox: Path, members: list[tars.Member], message: str
) -> None:
    for info, _ in members:
        info.linkname = info.linkname.replace("{outside}", str(sandbox / "outside"))
    before = _outside(sandbox)
    with pytest.raises(errdefs.InvalidArgument, match=message):
        _apply(sandbox / "dest", members)
    assert _outside(sandbox) == before
    assert (sandbox / "outside/canary").read_bytes() == b"canary\n"


def test_symlinks_with_escaping_targets_are_made_but_never_followed(sandbox: Path) -> None:
    canary = sandbox / "outside/canary"
    before = _outside(sandbox)
    _apply(
        sandbox / "dest",
        [
            symlink("abs", str(canary)),
            symlink("rel", "../../outside/canary"),
            symlink("passwd", "/etc/passwd"),
            file("abs", b"replaces the link"),  # an existing name is unlinked, not opened
            directory("rel/"),
        ],
    )
    assert (sandbox / "dest/abs").read_bytes() == b"replaces the link"
    assert not os.path.islink(sandbox / "dest/abs")
    assert os.path.isdir(sandbox / "dest/rel") and not os.path.islink(sandbox / "dest/rel")
    assert os.readlink(sandbox / "dest/passwd") == "/etc/passwd"
    assert _outside(sandbox) == before


def test_later_entries_replace_earlier_ones(tmp_path: Path) -> None:
    _apply(
        tmp_path,
        [
            file("x", b"file first"),
            directory("x/"),
            file("x/inner", b"1"),
            directory("y/"),
            file("y/inner", b"2"),
            file("y", b"file replaces dir"),
            file("z", b"old"),
            file("z", b"new"),
        ],
    )
    assert (tmp_path / "x/inner").read_bytes() == b"1"
    assert (tmp_path / "y").read_bytes() == b"file replaces dir"
    assert (tmp_path / "z").read_bytes() == b"new"


def test_devices_are_skipped_unless_allowed_and_fifos_made(tmp_path: Path) -> None:
    _apply(tmp_path, [tars.device("dev/null", 1, 3), tars.fifo("run/ctl")], allow_devices=False)
    assert not os.path.lexists(tmp_path / "dev/null")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "run/ctl").st_mode)
    assert stat.S_IMODE(os.lstat(tmp_path / "run/ctl").st_mode) == 0o640


def test_user_xattrs_are_kept_and_overlay_ones_ignored(tmp_path: Path) -> None:
    info, data = file("f", b"x", xattrs={"user.mime": b"text/plain"})
    d_info, _ = directory("d/")
    d_info.pax_headers = {"SCHILY.xattr.trusted.overlay.opaque": "y"}
    _apply(tmp_path, [(info, data), (d_info, None)])
    assert os.getxattr(tmp_path / "f", "user.mime") == b"text/plain"
    assert "trusted.overlay.opaque" not in os.listxattr(tmp_path / "d")


def test_remove_mode_whiteouts_delete_lower_files(tmp_path: Path) -> None:
    for rel in ("a", "d/x", "d/y", "o/p", "o/sub/q"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"lower")
    _apply(
        tmp_path,
        [
            tars.whiteout("a"),
            tars.whiteout("d/x"),
            tars.whiteout("missing"),
            directory("o/"),
            tars.opaque("o"),
            file("o/new", b"upper"),
            file(".wh..wh.plnk/123.456", b""),  # aufs bookkeeping: skipped
        ],
        whiteouts=Whiteouts.REMOVE,
    )
    assert sorted(tars.tree(str(tmp_path), times=False)) == ["d", "d/y", "o", "o/new"]


def test_opaque_in_remove_mode_keeps_what_the_same_layer_wrote(tmp_path: Path) -> None:
    (tmp_path / "o").mkdir()
    (tmp_path / "o/lower").write_bytes(b"lower")
    _apply(tmp_path, [file("o/early", b"1"), tars.opaque("o")], whiteouts=Whiteouts.REMOVE)
    assert os.listdir(tmp_path / "o") == ["early"]


def test_overlay_whiteouts_are_0_0_char_devices(tmp_path: Path) -> None:
    # unprivileged too: Linux 5.8 allows anyone to mknod the whiteout device
    _apply(tmp_path, [tars.whiteout("etc/gone")])
    st = os.lstat(tmp_path / "etc/gone")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


@pytest.mark.skipif(ROOT, reason="root may set trusted.* xattrs")
def test_overlay_opaque_dirs_need_privilege(tmp_path: Path) -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="trusted"):
        _apply(tmp_path, [directory("d/"), tars.opaque("d")])


@pytest.mark.parametrize("name", [".wh.", "a/.wh..", "a/.wh..."])
def test_malformed_whiteouts_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="whiteout"):
        _apply(tmp_path, [file(name)], whiteouts=Whiteouts.REMOVE)


def test_unknown_entry_types_are_refused(tmp_path: Path) -> None:
    info, _ = file("label")
    info.type = tarfile.GNUTYPE_LONGNAME.replace(b"L", b"V")  # a volume label
    with pytest.raises(errdefs.InvalidArgument, match="unsupported tar type"):
        _apply(tmp_path, [(info, b"")])


def test_progress_counts_compressed_bytes(tmp_path: Path) -> None:
    blob = tars.layer([file("f", os.urandom(3 << 20))], compression="gzip")
    seen: list[int] = []
    apply_layer(str(tmp_path), io.BytesIO(blob), progress=seen.append)
    assert seen[-1] == len(blob)


def test_chain_ids_follow_the_image_spec() -> None:
    d = [f"sha256:{c * 64}" for c in "abc"]
    two = "sha256:" + hashlib.sha256(f"{d[0]} {d[1]}".encode()).hexdigest()
    three = "sha256:" + hashlib.sha256(f"{two} {d[2]}".encode()).hexdigest()
    assert chain_ids(d) == [d[0], two, three]
    assert chain_ids([]) == []


def _umask() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    raise AssertionError("no Umask line")


def test_removing_directories_mid_layer_keeps_working(tmp_path: Path) -> None:
    for rel in ("o/d1/x", "o/d2/y", "o/f", "p/q/r"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"lower")
    _apply(
        tmp_path,
        [
            file("p/q/new", b"1"),  # p/q cached, then removed below
            tars.opaque("o"),  # removes the directories o/d1, o/d2 one after another
            file("o/d1/again", b"2"),
            tars.whiteout("p/q"),
            file("p/q/z", b"3"),
        ],
        whiteouts=Whiteouts.REMOVE,
    )
    assert sorted(tars.tree(str(tmp_path), times=False)) == [
        "o",
        "o/d1",
        "o/d1/again",
        "p",
        "p/q",
        "p/q/z",
    ]


def test_many_directories_and_links_across_them(tmp_path: Path) -> None:
    # More directories than the applier keeps open, linked across, under a low open-files
    # limit: its descriptor cache must stay bounded through entries and the final pass.
    n = 500  # 1000 directories
    members = [directory(f"d{i}/", mode=0o700) for i in range(n)]
    members += [file(f"d{i}/sub/f", str(i).encode()) for i in range(n)]
    members += [hardlink(f"d{i}/sub/link", f"d{(i * 7) % n}/sub/f") for i in range(n)]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The limit leaves room for the cache plus a margin above what this process holds
    # already (earlier tests' sockets awaiting GC): fewer than the 1000 directories need.
    gc.collect()
    in_use = max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + RootDir._MAX_CACHED + 64, hard))
    assert RootDir._MAX_CACHED <= 256  # the limit must stay below what 1000 directories need
    try:
        _apply(tmp_path, members)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    for i in range(0, n, 23):
        assert (tmp_path / f"d{i}/sub/link").read_bytes() == str((i * 7) % n).encode()
        assert stat.S_IMODE(os.stat(tmp_path / f"d{i}").st_mode) == 0o700
