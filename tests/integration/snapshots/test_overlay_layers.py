"""Layers on real overlayfs, as root: whiteouts, opaque dirs, diffs back, xattrs and owners."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.snapshots import testsuite
from dockyard.snapshots.diff import write_diff, write_tar
from dockyard.snapshots.layers import unpack_chain
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.snapshots.snapshotter import Mount
from dockyard.snapshots.unpack import Whiteouts, apply_layer
from tests.integration.snapshots.conftest import Mounter
from tests.unit.snapshots import tars
from tests.unit.snapshots.tars import directory, file, symlink

pytestmark = [pytest.mark.root, pytest.mark.integration]

# cap_net_raw+ep as setcap writes it: VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, then
# permitted/inheritable low and high words (linux/capability.h struct vfs_cap_data).
CAP_NET_RAW_EP = (
    (0x02000001).to_bytes(4, "little") + (1 << 13).to_bytes(4, "little") + bytes(4) + bytes(8)
)

LAYERS: list[list[tars.Member]] = [
    [
        directory("etc/"),
        file("etc/passwd", b"root:x:0:0\n"),
        file("etc/group", b"root:x:0:\n"),
        directory("var/cache/", mode=0o755),
        file("var/cache/a", b"a"),
        directory("var/cache/sub/"),
        file("var/cache/sub/b", b"b"),
        file("bin/busybox", b"v1", mode=0o755),
        symlink("bin/sh", "busybox"),
        file("usr/lib/x", b"x"),
    ],
    [
        tars.whiteout("etc/group"),
        file("etc/hostname", b"box\n"),
        directory("var/cache/", mode=0o700),
        tars.opaque("var/cache"),
        file("var/cache/c", b"c"),
    ],
    [
        tars.whiteout("usr/lib/x"),
        file("bin/busybox", b"v2", mode=0o755),
        file("etc/group", b"root:x:0:\nstaff:x:50:\n"),
    ],
]

MERGED = {
    "etc/passwd": b"root:x:0:0\n",
    "etc/hostname": b"box\n",
    "etc/group": b"root:x:0:\nstaff:x:50:\n",
    "var/cache/c": b"c",
    "bin/busybox": b"v2",
}


def _blobs(tmp_path: Path, layers: list[list[tars.Member]], compression: str) -> list[str]:
    paths = []
    for i, members in enumerate(layers):
        path = tmp_path / f"blob{i}"
        path.write_bytes(tars.layer(members, compression=compression))
        paths.append(str(path))
    return paths


def _files(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                out[str(path.relative_to(root))] = path.read_bytes()
    return out


@pytest.mark.parametrize("check", testsuite.mount_checks(), ids=testsuite.name)
def test_conformance_with_mounts(
    check: testsuite.Check, tmp_path: Path, no_leftover_mounts: None
) -> None:
    opened: list[OverlaySnapshotter] = []

    def make(root: str) -> OverlaySnapshotter:
        opened.append(OverlaySnapshotter(root))
        return opened[-1]

    try:
        check(make, str(tmp_path))
    finally:
        for sn in opened:
            sn.close()


def test_three_layer_chain_merges_with_whiteouts_and_opaque_dirs(
    sn: OverlaySnapshotter, tmp_path: Path, mounted: Mounter
) -> None:
    chain = unpack_chain(sn, _blobs(tmp_path, LAYERS, "gzip"))
    l2 = Path(sn.upper_dir(chain[1]))
    wh = os.lstat(l2 / "etc/group")
    assert stat.S_ISCHR(wh.st_mode) and wh.st_rdev == 0, "a whiteout is a 0:0 char device"
    assert os.getxattr(l2 / "var/cache", "trusted.overlay.opaque") == b"y"

    view = mounted(sn.view("view", parent=chain[-1]), tmp_path / "view")
    assert _files(view) == MERGED
    assert sorted(os.listdir(view / "var/cache")) == ["c"], "opaque hides the lower's sub/"
    assert os.listdir(view / "usr/lib") == []
    assert stat.S_IMODE(os.stat(view / "var/cache").st_mode) == 0o700
    assert os.readlink(view / "bin/sh") == "busybox"


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_every_compression_unpacks_the_same_snapshots(
    tmp_path: Path, compression: str, mounted: Mounter
) -> None:
    with OverlaySnapshotter(str(tmp_path / f"sn-{compression}")) as sn:
        chain = unpack_chain(sn, _blobs(tmp_path, LAYERS, compression))
        expected = tars.sha256(tars.layer(LAYERS[0]))
        assert chain[0] == expected, "the chain is keyed by the uncompressed diff_ids"
        view = mounted(sn.view("v", parent=chain[-1]), tmp_path / f"view-{compression}")
        assert _files(view) == MERGED


def test_container_changes_diff_back_into_a_layer(
    sn: OverlaySnapshotter, tmp_path: Path, mounted: Mounter
) -> None:
    chain = unpack_chain(sn, _blobs(tmp_path, LAYERS, "gzip"))
    rw = mounted(sn.prepare("container", parent=chain[-1]), tmp_path / "rw")
    os.unlink(rw / "etc/passwd")  # whiteout
    (rw / "etc/hostname").write_bytes(b"renamed\n")  # copy-up
    os.rename(rw / "var/cache/c", rw / "var/cache/d")  # whiteout + new file
    os.mkdir(rw / "srv")
    (rw / "srv/new").write_bytes(b"new")
    os.chown(rw / "srv/new", 1000, 1000)
    os.setxattr(rw / "srv/new", "security.capability", CAP_NET_RAW_EP)
    for name in os.listdir(rw / "usr"):  # rm -rf usr; then a new usr/: opaque
        os.rmdir(rw / "usr" / name)
    os.rmdir(rw / "usr")
    os.mkdir(rw / "usr")
    (rw / "usr/only").write_bytes(b"o")
    expected = tars.tree(str(rw), times=False)

    out = io.BytesIO()
    written = write_diff(sn.lower_dirs("container"), sn.upper_dir("container"), out)
    names = _tar_names(out.getvalue())
    assert {"etc/.wh.passwd", "var/cache/.wh.c", "usr/.wh..wh..opq"} <= set(names), names
    assert not any(n.startswith("work") for n in names)

    blob = tmp_path / "diff.tar"
    blob.write_bytes(out.getvalue())
    # The diff as a fourth layer (the first three are found by chain id, not unpacked again)
    # reproduces the container's filesystem.
    diff_ids = [tars.sha256(tars.layer(members)) for members in LAYERS] + [written.diff_id]
    full = unpack_chain(sn, [*_blobs(tmp_path, LAYERS, "gzip"), str(blob)], diff_ids)
    assert full[:3] == chain
    view = mounted(sn.view("v", parent=full[-1]), tmp_path / "view")
    assert tars.tree(str(view), times=False) == expected
    assert os.getxattr(view / "srv/new", "security.capability") == CAP_NET_RAW_EP

    # And flattened (whiteouts applied by deleting) onto a plain directory: the same tree.
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in [*_blobs(tmp_path, LAYERS, "gzip"), str(blob)]:
        with open(path, "rb") as f:
            apply_layer(str(flat), f, whiteouts=Whiteouts.REMOVE)
    assert tars.tree(str(flat), times=False) == expected


def test_file_capabilities_owners_and_devices_survive(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    ping = src / "bin/ping"
    ping.write_bytes(b"\x7fELF")
    os.chown(ping, 0, 1000)
    os.chmod(ping, 0o4755)
    os.setxattr(ping, "security.capability", CAP_NET_RAW_EP)  # setcap cap_net_raw+ep
    os.setxattr(ping, "trusted.dockyard-test", b"t")
    os.mkdir(src / "home")
    os.chown(src / "home", 1000, 1001)
    os.mknod(src / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    out = io.BytesIO()
    write_tar(str(src), out)

    dest = tmp_path / "dest"
    dest.mkdir()
    apply_layer(str(dest), io.BytesIO(out.getvalue()))
    assert tars.tree(str(dest)) == tars.tree(str(src))
    assert os.getxattr(dest / "bin/ping", "security.capability") == CAP_NET_RAW_EP
    st = os.stat(dest / "bin/ping")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 1000, 0o4755)
    assert os.stat(dest / "null").st_rdev == os.makedev(1, 3)

    rootless = tmp_path / "rootless"
    rootless.mkdir()
    apply_layer(str(rootless), io.BytesIO(out.getvalue()), allow_devices=False)
    assert not os.path.lexists(rootless / "null")


def _tar_names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getnames()


def _overlay(tmp_path: Path, mounted: Mounter, extra: str) -> tuple[Path, Path, Path]:
    lower, upper, work = (tmp_path / n for n in ("lower", "upper", "work"))
    for d in (lower, upper, work):
        d.mkdir()
    (lower / "f").write_bytes(b"lower data\n")
    (lower / "dir").mkdir()
    (lower / "dir/inner").write_bytes(b"inner")
    options = (f"lowerdir={lower}", f"upperdir={upper}", f"workdir={work}", "index=off", extra)
    merged = mounted([Mount("overlay", "overlay", options)], tmp_path / "merged")
    return lower, upper, merged


def test_diff_of_a_metacopy_upper_reads_the_data_from_the_lower(
    tmp_path: Path, mounted: Mounter
) -> None:
    lower, upper, merged = _overlay(tmp_path, mounted, "metacopy=on,redirect_dir=on")
    os.chmod(merged / "f", 0o600)  # a metadata-only copy-up: the data stays in the lower
    assert "trusted.overlay.metacopy" in os.listxattr(upper / "f")
    out = io.BytesIO()
    write_diff([str(lower)], str(upper), out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        member = tar.getmember("f")
        assert member.mode == 0o600
        extracted = tar.extractfile(member)
        assert extracted is not None and extracted.read() == b"lower data\n"


def test_diff_refuses_a_redirected_directory(tmp_path: Path, mounted: Mounter) -> None:
    lower, upper, merged = _overlay(tmp_path, mounted, "redirect_dir=on")
    os.rename(merged / "dir", merged / "moved")
    with pytest.raises(errdefs.FailedPrecondition, match="redirect_dir"):
        write_diff([str(lower)], str(upper), io.BytesIO())
