"""Directories back to layer tars: write_tar and write_diff, read back with apply_layer."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

from dockyard.snapshots.diff import write_diff, write_tar
from dockyard.snapshots.unpack import apply_layer
from tests.unit.snapshots import tars
from tests.unit.snapshots.tars import directory, file, hardlink, symlink

LAYER = [
    directory("etc/", mode=0o755),
    file("etc/hostname", b"box\n"),
    file("etc/shadow", b"root:*:\n", mode=0o640),
    directory("usr/bin/", mode=0o711, mtime=1_650_000_000),
    file("usr/bin/busybox", b"\x7fELF" + os.urandom(5000), mode=0o4755),
    hardlink("usr/bin/sh", "usr/bin/busybox"),
    symlink("usr/bin/ls", "busybox"),
    symlink("lib", "/usr/lib"),
    file("a" * 150 + "/long", b"long name"),
    file("caf\udce9", b"latin-1 name"),
    file("tagged", b"x", xattrs={"user.note": b"\x00\xffbinary"}),
    tars.fifo("run/ctl"),
    directory("empty/", mode=0o1777),
]


def _unpacked(tmp_path: Path, name: str, blob: bytes) -> Path:
    dest = tmp_path / name
    dest.mkdir()
    apply_layer(str(dest), io.BytesIO(blob))
    return dest


def test_write_tar_round_trips_through_apply_layer(tmp_path: Path) -> None:
    first = _unpacked(tmp_path, "first", tars.layer(LAYER))
    out = io.BytesIO()
    written = write_tar(str(first), out)
    second = _unpacked(tmp_path, "second", out.getvalue())
    assert tars.tree(str(second)) == tars.tree(str(first))
    assert os.stat(second / "usr/bin/sh").st_ino == os.stat(second / "usr/bin/busybox").st_ino
    assert written.diff_id == "sha256:" + hashlib.sha256(out.getvalue()).hexdigest()
    content = sum(len(d) for i, d in LAYER if d is not None and i.type == tarfile.REGTYPE)
    assert written.size == content, "hardlinked content counted once"


def test_write_tar_is_deterministic_and_ordered(tmp_path: Path) -> None:
    tree = _unpacked(tmp_path, "t", tars.layer(LAYER))
    a, b = io.BytesIO(), io.BytesIO()
    assert write_tar(str(tree), a) == write_tar(str(tree), b)
    assert a.getvalue() == b.getvalue()
    with tarfile.open(fileobj=io.BytesIO(a.getvalue())) as tar:
        names = tar.getnames()
        kinds = {m.name: m.type for m in tar.getmembers()}
    assert names.index("usr") < names.index("usr/bin") < names.index("usr/bin/busybox")
    assert names == sorted(names, key=lambda n: n.split("/")), "lexical, parents first"
    assert kinds["usr/bin/sh"] == tarfile.LNKTYPE
    assert "." not in names and "" not in names


def test_write_diff_of_a_plain_upper_is_its_files(tmp_path: Path) -> None:
    upper = _unpacked(tmp_path, "upper", tars.layer([file("etc/new", b"n"), file("x", b"x")]))
    out = io.BytesIO()
    write_diff([str(tmp_path / "no-lower")], str(upper), out)
    again = _unpacked(tmp_path, "again", out.getvalue())
    assert tars.tree(str(again)) == tars.tree(str(upper))


def test_sockets_are_skipped(tmp_path: Path) -> None:
    import socket

    root = tmp_path / "root"
    root.mkdir()
    (root / "f").write_bytes(b"1")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(root / "sock"))
        out = io.BytesIO()
        write_tar(str(root), out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert tar.getnames() == ["f"]
