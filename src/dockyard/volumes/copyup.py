"""Copy-up: an empty volume filled from the image's content at its mount point, the first
time a container is created with it (moby populateVolume -> copyExistingContents, which
uses continuity's fs.CopyDir: modes, ownership, times, links and special files kept).
"""

from __future__ import annotations

import os
import shutil
import stat


def populate(source: str, volume: str) -> bool:
    """Copy the tree at `source` into the directory `volume` when `volume` is empty; the root
    directory's mode and owner too. False (nothing done) when `volume` has entries already
    or `source` is not a directory."""
    if not os.path.isdir(source) or os.path.islink(source):
        return False
    if os.listdir(volume):
        return False
    _copy_dir(source, volume, {})
    return True


def _copy_dir(src: str, dst: str, inodes: dict[tuple[int, int], str]) -> None:
    with os.scandir(src) as entries:
        for entry in entries:
            s = os.path.join(src, entry.name)
            d = os.path.join(dst, entry.name)
            st = entry.stat(follow_symlinks=False)
            key = (st.st_dev, st.st_ino)
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1 and key in inodes:
                os.link(inodes[key], d)  # a hard link in the image stays one
                continue
            if stat.S_ISDIR(st.st_mode):
                os.mkdir(d)
                _copy_dir(s, d, inodes)
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(s), d)
            elif stat.S_ISREG(st.st_mode):
                shutil.copyfile(s, d, follow_symlinks=False)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISFIFO(st.st_mode):
                os.mknod(d, st.st_mode, st.st_rdev)
            else:
                continue  # sockets are not copied (continuity skips them too)
            if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                inodes[key] = d
            _copy_meta(st, d)
    _copy_meta(os.stat(src), dst)


def _copy_meta(st: os.stat_result, path: str) -> None:
    os.chown(path, st.st_uid, st.st_gid, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(path, stat.S_IMODE(st.st_mode))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
