"""Layer tars for tests, written with the stdlib's tarfile (an independent writer), and a
comparable picture of a directory tree."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile

import zstandard

MTIME = 1_700_000_000


def _info(name: str, type_: bytes, mode: int, uid: int, gid: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime = type_, mode, uid, gid, mtime
    return info


Member = tuple[tarfile.TarInfo, bytes | None]


def file(
    name: str,
    data: bytes = b"",
    *,
    mode: int = 0o644,
    uid: int = 0,
    gid: int = 0,
    mtime: int = MTIME,
    xattrs: dict[str, bytes] | None = None,
) -> Member:
    info = _info(name, tarfile.REGTYPE, mode, uid, gid, mtime)
    info.size = len(data)
    if xattrs:
        info.pax_headers = {
            f"SCHILY.xattr.{k}": v.decode("utf-8", "surrogateescape") for k, v in xattrs.items()
        }
    return info, data


def directory(
    name: str, *, mode: int = 0o755, uid: int = 0, gid: int = 0, mtime: int = MTIME
) -> Member:
    return _info(name, tarfile.DIRTYPE, mode, uid, gid, mtime), None


def symlink(name: str, target: str, *, mtime: int = MTIME) -> Member:
    info = _info(name, tarfile.SYMTYPE, 0o777, 0, 0, mtime)
    info.linkname = target
    return info, None


def hardlink(name: str, target: str) -> Member:
    info = _info(name, tarfile.LNKTYPE, 0o644, 0, 0, MTIME)
    info.linkname = target
    return info, None


def device(name: str, major: int, minor: int, *, block: bool = False) -> Member:
    info = _info(name, tarfile.BLKTYPE if block else tarfile.CHRTYPE, 0o666, 0, 0, MTIME)
    info.devmajor, info.devminor = major, minor
    return info, None


def fifo(name: str) -> Member:
    return _info(name, tarfile.FIFOTYPE, 0o640, 0, 0, MTIME), None


def whiteout(path: str) -> Member:
    parent, _, base = path.rpartition("/")
    return file(f"{parent}/.wh.{base}".lstrip("/"))


def opaque(directory_path: str) -> Member:
    return file(f"{directory_path.rstrip('/')}/.wh..wh..opq")


def layer(
    members: list[Member], *, compression: str = "none", fmt: int = tarfile.PAX_FORMAT
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    if compression == "gzip":
        return gzip.compress(raw, compresslevel=1)
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=1).compress(raw)
    assert compression == "none", compression
    return raw


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tree(root: str, *, times: bool = True, owners: bool = True) -> dict[str, tuple[object, ...]]:
    """path -> (kind, mode, [uid, gid], content digest | link target | rdev, [mtime], xattrs),
    never following symlinks; for comparing trees."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            mode = st.st_mode
            if stat.S_ISREG(mode):
                with open(path, "rb") as f:
                    what: object = hashlib.sha256(f.read()).hexdigest()
            elif stat.S_ISLNK(mode):
                what = os.readlink(path)
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                what = (os.major(st.st_rdev), os.minor(st.st_rdev))
            else:
                what = None
            try:
                names = os.listxattr(path, follow_symlinks=False)
                xattrs = {k: os.getxattr(path, k, follow_symlinks=False) for k in sorted(names)}
            except OSError:
                xattrs = {}
            row: tuple[object, ...] = (stat.S_IFMT(mode), stat.S_IMODE(mode))
            if owners:
                row += (st.st_uid, st.st_gid)
            row += (what,)
            if times and not stat.S_ISLNK(mode):
                row += (st.st_mtime_ns // 1_000_000_000,)
            out[rel] = (*row, tuple(sorted(xattrs.items())))
    return out
