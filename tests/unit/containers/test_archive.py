"""docker cp and export on a plain directory standing in for a mounted rootfs (no root)."""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers import archive

UID, GID = os.getuid(), os.getgid()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A small container filesystem: /etc, /bin/sh -> busybox, /lnk -> /etc, /tmp/a/b/f."""
    r = tmp_path / "rootfs"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1002::/:/bin/sh\n")
    (r / "etc" / "group").write_text("root:x:0:\nstaff:x:50:\n")
    (r / "bin").mkdir()
    (r / "bin" / "busybox").write_bytes(b"\x7fELF" + b"x" * 70000)
    os.symlink("busybox", r / "bin" / "sh")
    os.symlink("/etc", r / "lnk")
    (r / "tmp" / "a" / "b").mkdir(parents=True)
    (r / "tmp" / "a" / "b" / "f").write_text("hi\n")
    os.link(r / "tmp" / "a" / "b" / "f", r / "tmp" / "a" / "g")
    os.chmod(r / "etc", 0o755)
    return r


def entries(chunks: object) -> list[tarfile.TarInfo]:
    data = b"".join(chunks)  # type: ignore[call-overload]  # an iterator of bytes
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmembers()


def tar_bytes(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.uid, info.gid = UID, GID
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def member(
    name: str, kind: bytes = tarfile.REGTYPE, link: str = "", mode: int = 0o644
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = kind, link, mode, 1_700_000_000
    return info


# -- stat -------------------------------------------------------------------------------------


def test_go_file_mode_matches_what_go_prints() -> None:
    assert archive.go_file_mode(stat.S_IFDIR | 0o755) == 2147484141
    assert archive.go_file_mode(stat.S_IFLNK | 0o777) == 134218239
    assert archive.go_file_mode(stat.S_IFREG | 0o644) == 420
    assert archive.go_file_mode(stat.S_IFREG | stat.S_ISUID | 0o755) == (1 << 23) | 0o755
    assert (
        archive.go_file_mode(stat.S_IFDIR | stat.S_ISVTX | 0o777) == (1 << 31) | (1 << 20) | 0o777
    )
    assert archive.go_file_mode(stat.S_IFCHR | 0o666) == (1 << 26) | (1 << 21) | 0o666


def test_stat_lstats_the_last_component_and_resolves_link_targets_in_the_root(root: Path) -> None:
    doc = archive.stat(str(root), "/bin/sh", container_name="web")
    assert doc["name"] == "sh"
    assert doc["mode"] == 134218239
    assert doc["size"] == len("busybox")
    assert doc["linkTarget"] == "/bin/busybox"
    assert archive.stat(str(root), "/lnk")["linkTarget"] == "/etc"


def test_stat_follows_a_final_symlink_before_a_trailing_slash(root: Path) -> None:
    doc = archive.stat(str(root), "/lnk/")
    assert doc == {**doc, "name": "lnk", "mode": 2147484141, "linkTarget": ""}
    assert archive.stat(str(root), "/etc/.")["name"] == "."
    assert archive.stat(str(root), "/")["name"] == "/"


def test_stat_keeps_absolute_symlinks_and_dotdot_inside_the_root(root: Path) -> None:
    passwd = archive.stat(str(root), "/lnk/passwd")
    assert passwd["size"] == (root / "etc" / "passwd").stat().st_size
    assert archive.stat(str(root), "/../../../etc/passwd")["size"] == passwd["size"]
    os.symlink("../../../../..", root / "up")
    assert archive.stat(str(root), "/up/etc/group")["size"] == (root / "etc/group").stat().st_size


def test_stat_of_a_missing_path_is_docker_not_found(root: Path) -> None:
    with pytest.raises(errdefs.NotFound, match=r"^Could not find the file /nope in container web$"):
        archive.stat(str(root), "/nope", container_name="web")
    with pytest.raises(errdefs.Unknown, match="not a directory"):
        archive.stat(str(root), "/etc/passwd/")


def test_stat_mtime_is_rfc3339_nano(root: Path) -> None:
    os.utime(root / "tmp/a/b/f", ns=(0, 1_700_000_000_500_000_000))
    mtime = archive.stat(str(root), "/tmp/a/b/f")["mtime"]
    assert mtime.startswith("2023-11-1") and ".5" in mtime


# -- get and export ---------------------------------------------------------------------------


def test_get_directory_has_its_name_on_top(root: Path) -> None:
    doc, chunks = archive.get(str(root), "/tmp/a")
    assert doc["name"] == "a"
    names = [(m.name, m.type) for m in entries(chunks)]
    assert names == [
        ("a", tarfile.DIRTYPE),
        ("a/b", tarfile.DIRTYPE),
        ("a/b/f", tarfile.REGTYPE),
        ("a/g", tarfile.LNKTYPE),
    ]


def test_get_directory_contents_with_trailing_dot(root: Path) -> None:
    _, chunks = archive.get(str(root), "/tmp/a/.")
    assert [m.name for m in entries(chunks)][:2] == [".", "./b"]


def test_get_symlink_is_the_link_itself_unless_followed_by_a_slash(root: Path) -> None:
    _, chunks = archive.get(str(root), "/lnk")
    (only,) = entries(chunks)
    assert (only.name, only.type, only.linkname) == ("lnk", tarfile.SYMTYPE, "/etc")
    _, chunks = archive.get(str(root), "/lnk/")
    assert [m.name for m in entries(chunks)] == ["lnk", "lnk/group", "lnk/passwd"]


def test_get_writes_go_style_headers_and_end(root: Path) -> None:
    _, chunks = archive.get(str(root), "/tmp/a/b/f")
    data = b"".join(chunks)
    assert len(data) == 512 + 512 + 1024  # header, content block, two end blocks: no padding
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        info = tar.getmembers()[0]
    assert (info.name, info.uname, info.gname, info.mode) == ("f", "", "", 0o644)


def test_get_streams_in_chunks(root: Path) -> None:
    _, chunks = archive.get(str(root), "/bin")
    sizes = [len(c) for c in chunks]
    assert len(sizes) > 1
    files = {m.name: m for m in entries(archive.get(str(root), "/bin")[1])}
    assert files["bin/busybox"].size == 70004


def test_export_has_every_file_without_a_root_entry(root: Path) -> None:
    names = [m.name for m in entries(archive.export(str(root)))]
    assert names[0] == "bin"
    assert {"etc/passwd", "lnk", "tmp/a/b/f", "bin/sh"} <= set(names)
    assert "." not in names and "" not in names


# -- put --------------------------------------------------------------------------------------


def test_put_extracts_into_the_directory_from_chunks_or_a_file(root: Path) -> None:
    tar = tar_bytes((member("new", tarfile.DIRTYPE, mode=0o750), None), (member("new/x"), b"x!"))
    archive.put(str(root), "/tmp", [tar[:700], tar[700:]])
    assert (root / "tmp/new/x").read_bytes() == b"x!"
    assert stat.S_IMODE((root / "tmp/new").stat().st_mode) == 0o750
    assert (root / "tmp/new").stat().st_mtime == 1_700_000_000
    archive.put(str(root), "/lnk", io.BytesIO(tar_bytes((member("y"), b"y"))))
    assert (root / "etc/y").read_bytes() == b"y"


def test_put_destination_must_exist_and_be_a_directory(root: Path) -> None:
    tar = tar_bytes((member("x"), b"x"))
    with pytest.raises(errdefs.NotFound, match="Could not find the file /nope in container c"):
        archive.put(str(root), "/nope", [tar], container_name="c")
    with pytest.raises(errdefs.InvalidArgument, match="extraction point is not a directory"):
        archive.put(str(root), "/etc/passwd", [tar])
    with pytest.raises(errdefs.InvalidArgument, match="container rootfs is marked read-only"):
        archive.put(str(root), "/tmp", [tar], read_only=True)


def test_put_refuses_entries_that_climb_out(root: Path, tmp_path: Path) -> None:
    with pytest.raises(
        errdefs.InvalidArgument, match=re.escape('"../../evil" is outside of "/tmp"')
    ):
        archive.put(str(root), "/tmp", [tar_bytes((member("../../evil"), b"x"))])
    assert not (tmp_path / "evil").exists() and not (root / "evil").exists()


def test_put_refuses_hardlinks_out_of_the_destination(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("host")
    bad = tar_bytes((member("h", tarfile.LNKTYPE, "../../../secret"), None))
    with pytest.raises(errdefs.InvalidArgument, match="invalid hardlink"):
        archive.put(str(root), "/tmp", [bad])
    assert secret.stat().st_nlink == 1
    # An absolute target means the destination directory, never the host.
    archive.put(str(root), "/tmp", [tar_bytes((member("h2", tarfile.LNKTYPE, "/a/b/f"), None))])
    assert (root / "tmp/h2").stat().st_ino == (root / "tmp/a/b/f").stat().st_ino


def test_put_refuses_relative_symlinks_out_of_the_destination(root: Path) -> None:
    bad = tar_bytes((member("s", tarfile.SYMTYPE, "../../../../x"), None))
    with pytest.raises(errdefs.InvalidArgument, match='invalid symlink "/tmp/s"'):
        archive.put(str(root), "/tmp", [bad])


def test_put_through_absolute_symlinks_stays_in_the_root(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    tar = tar_bytes(
        (member("s", tarfile.SYMTYPE, str(outside)), None),
        (member("s/pwned"), b"x"),
        (member("e", tarfile.SYMTYPE, "/etc"), None),
        (member("e/owned"), b"y"),
    )
    archive.put(str(root), "/tmp", [tar])
    assert list(outside.iterdir()) == []
    assert (root / str(outside).lstrip("/") / "pwned").read_bytes() == b"x"
    assert (root / "etc/owned").read_bytes() == b"y"


def test_put_no_overwrite_dir_non_dir(root: Path) -> None:
    tar = tar_bytes((member("a"), b"file over dir"))
    with pytest.raises(errdefs.InvalidArgument, match="cannot overwrite directory"):
        archive.put(str(root), "/tmp", [tar], no_overwrite_dir_non_dir=True)
    archive.put(str(root), "/tmp", [tar])
    assert (root / "tmp/a").read_bytes() == b"file over dir"


def test_put_keeps_header_owners_unless_copy_uid_gid(root: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown to other owners needs root")
    info = member("owned")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info.uid, info.gid, info.size = 123, 456, 1
        tar.addfile(info, io.BytesIO(b"o"))
    archive.put(str(root), "/tmp", [out.getvalue()])
    st = (root / "tmp/owned").stat()
    assert (st.st_uid, st.st_gid) == (123, 456)
    archive.put(str(root), "/tmp", [out.getvalue()], copy_uid_gid=True, user="bob:staff")
    st = (root / "tmp/owned").stat()
    assert (st.st_uid, st.st_gid) == (1001, 50)
    archive.put(str(root), "/tmp", [out.getvalue()], copy_uid_gid=True, user="777")
    st = (root / "tmp/owned").stat()
    assert (st.st_uid, st.st_gid) == (777, 0)


def test_put_copy_uid_gid_unknown_user_is_refused(root: Path) -> None:
    tar = tar_bytes((member("x"), b"x"))
    with pytest.raises(errdefs.InvalidArgument, match='failed to look up user "nobody"'):
        archive.put(str(root), "/tmp", [tar], copy_uid_gid=True, user="nobody")


def test_put_takes_a_gzip_tar(root: Path) -> None:
    tar = tar_bytes((member("zipped"), b"z" * 1000))
    archive.put(str(root), "/tmp", [gzip.compress(tar)])
    assert (root / "tmp/zipped").read_bytes() == b"z" * 1000


def test_put_merges_directories_and_replaces_files(root: Path) -> None:
    tar = tar_bytes(
        (member("a", tarfile.DIRTYPE, mode=0o700), None),
        (member("a/b/f"), b"new"),
        (member("a/g", tarfile.SYMTYPE, "b/f"), None),
    )
    archive.put(str(root), "/tmp", [tar])
    assert (root / "tmp/a/b/f").read_bytes() == b"new"
    assert os.readlink(root / "tmp/a/g") == "b/f"
    assert stat.S_IMODE((root / "tmp/a").stat().st_mode) == 0o700
