"""The owner `docker cp -a` (copyUIDGID) gives extracted files: the container's Config.User as ids.

moby's tarCopyOptions and getUIDGID: the user and group names are looked up in the
container's own /etc/passwd and /etc/group, resolved inside its root (see fsview); numeric ids
need no entry.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from dockyard import errdefs
from dockyard.containers.fsview import FSView

__all__ = ["container_owner"]


def container_owner(tree: FSView, user: str) -> tuple[int, int]:
    """moby's getUIDGID: Config.User ("name", "uid", "name:group", "uid:gid"...) as ids,
    names looked up in the container's /etc/passwd and /etc/group."""
    name, _, group = user.partition(":")
    uid = gid = 0
    if name:
        if _is_id(name):
            uid = int(name)
            entry = _find(tree, "/etc/passwd", lambda f: len(f) > 3 and f[2] == name)
            gid = int(entry[3]) if entry is not None and entry[3].isdigit() else 0
        else:
            entry = _find(tree, "/etc/passwd", lambda f: len(f) > 3 and f[0] == name)
            if entry is None or not (entry[2].isdigit() and entry[3].isdigit()):
                raise errdefs.InvalidArgument(
                    f'failed to look up user "{name}" in container: '
                    "no matching entries in passwd file"
                )
            uid, gid = int(entry[2]), int(entry[3])
    if group:
        if _is_id(group):
            gid = int(group)
        else:
            entry = _find(tree, "/etc/group", lambda f: len(f) > 2 and f[0] == group)
            if entry is None or not entry[2].isdigit():
                raise errdefs.InvalidArgument(
                    f'failed to look up group "{group}" in container: '
                    "no matching entries in group file"
                )
            gid = int(entry[2])
    return uid, gid


def _is_id(text: str) -> bool:
    return text.isdigit() and int(text) <= 0x7FFFFFFF


def _find(tree: FSView, path: str, match: Callable[[list[str]], bool]) -> list[str] | None:
    """The first line of a passwd/group file inside the root whose fields `match`."""
    try:
        parts = tree.resolve(path, follow_last=True)
        pfd = tree.open_dir(parts[:-1])
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
        finally:
            os.close(pfd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        for raw in f:
            fields = raw.decode("utf-8", "replace").rstrip("\n").split(":")
            if match(fields):
                return fields
    return None
