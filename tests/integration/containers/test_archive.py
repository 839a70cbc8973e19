"""docker cp and docker export on a real overlay rw snapshot of an imported busybox (root)."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.containers.test_commit import World

from dockyard import errdefs
from dockyard.containers import archive

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def world(tmp_path: Path, busybox_tar: bytes) -> Iterator[World]:
    w = World(tmp_path, busybox_tar)
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A host directory a hostile tar tries to reach; it must stay empty."""
    path = tmp_path / "outside"
    path.mkdir()
    return path


def tar_of(*members: tuple[str, bytes, str, bytes | None]) -> bytes:
    """(name, type, linkname, data) entries, root-owned."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link, data in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode, info.mtime = kind, link, 0o644, 1_700_000_000
            info.uid = info.gid = 0
            info.size = len(data) if data is not None else 0
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def names(chunks: Iterator[bytes]) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        return tar.getnames()


def test_stat_modes_are_what_go_prints(world: World) -> None:
    c = world.container()
    root = c.rootfs
    assert archive.stat(root, "/etc", container_name="web")["mode"] == 2147484141  # dir 0755
    assert archive.stat(root, "/tmp")["mode"] == 2147484159 + (1 << 20)  # dir 01777: sticky
    sh = archive.stat(root, "/bin/sh")
    assert (sh["mode"], sh["linkTarget"]) == (134218239, "/bin/busybox")
    assert archive.stat(root, "/etc/passwd")["mode"] == 420


def test_stat_of_a_path_through_an_absolute_symlink_is_the_containers(world: World) -> None:
    c = world.container()
    os.symlink("/etc", f"{c.rootfs}/lnk")
    doc = archive.stat(c.rootfs, "/lnk/passwd")
    assert doc["size"] == os.path.getsize(f"{c.rootfs}/etc/passwd")
    assert doc["size"] != os.path.getsize("/etc/passwd")
    with pytest.raises(errdefs.NotFound, match="Could not find the file /nope in container web"):
        archive.stat(c.rootfs, "/nope", container_name="web")


def test_get_reads_through_the_overlay(world: World) -> None:
    c = world.container()
    Path(f"{c.rootfs}/etc/new").write_text("n")
    doc, chunks = archive.get(c.rootfs, "/etc")
    assert doc["name"] == "etc"
    assert names(chunks) == ["etc", "etc/group", "etc/hostname", "etc/new", "etc/passwd"]


def test_put_lands_in_the_rw_layer(world: World) -> None:
    c = world.container()
    archive.put(c.rootfs, "/tmp", [tar_of(("d/x", tarfile.REGTYPE, "", b"x"))])
    assert Path(world.snapshotter.upper_dir(c.id), "tmp/d/x").read_bytes() == b"x"
    assert world.diff(c) == [("/tmp", 0), ("/tmp/d", 1), ("/tmp/d/x", 1)]
    assert (Path(c.rootfs) / "tmp" / "d").stat().st_mode & 0o777 == 0o755  # implied directory


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("../../../outside/evil", tarfile.REGTYPE, "", b"x")], "is outside of"),
        ([("h", tarfile.LNKTYPE, "../../../../outside/secret", None)], "invalid hardlink"),
        ([("s", tarfile.SYMTYPE, "../../../../../outside", None)], "invalid symlink"),
    ],
)
def test_put_refuses_hostile_entries(
    world: World,
    outside: Path,
    members: list[tuple[str, bytes, str, bytes | None]],
    message: str,
) -> None:
    (outside / "secret").write_text("host")
    c = world.container()
    with pytest.raises(errdefs.InvalidArgument, match=message):
        archive.put(c.rootfs, "/tmp", [tar_of(*members)])
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").stat().st_nlink == 1


def test_put_through_an_absolute_symlink_stays_in_the_container(
    world: World, outside: Path
) -> None:
    c = world.container()
    tar = tar_of(
        ("s", tarfile.SYMTYPE, str(outside), None),
        ("s/evil", tarfile.REGTYPE, "", b"x"),
        ("h", tarfile.LNKTYPE, "/s/evil", None),
    )
    archive.put(c.rootfs, "/tmp", [tar])
    assert list(outside.iterdir()) == []
    inside = Path(c.rootfs) / str(outside).lstrip("/") / "evil"
    assert inside.read_bytes() == b"x"
    assert (Path(c.rootfs) / "tmp" / "h").stat().st_ino == inside.stat().st_ino


def test_put_copy_uid_gid_uses_the_containers_user(world: World) -> None:
    c = world.container()
    tar = tar_of(("f", tarfile.REGTYPE, "", b"f"))
    archive.put(c.rootfs, "/tmp", [tar], copy_uid_gid=True, user="tester")
    st = os.stat(f"{c.rootfs}/tmp/f")
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    archive.put(c.rootfs, "/tmp", [tar], copy_uid_gid=True, user="nobody:tty")
    st = os.stat(f"{c.rootfs}/tmp/f")
    assert (st.st_uid, st.st_gid) == (65534, 5)
    archive.put(c.rootfs, "/tmp", [tar])
    st = os.stat(f"{c.rootfs}/tmp/f")
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_export_is_the_whole_filesystem(world: World) -> None:
    c = world.container()
    os.unlink(f"{c.rootfs}/etc/group")
    listed = names(archive.export(c.rootfs))
    assert "bin/busybox" in listed and "etc/passwd" in listed
    assert "etc/group" not in listed
    assert not [n for n in listed if n.startswith(("/", "./"))]
