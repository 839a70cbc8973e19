"""Resolve a container's User ("name|uid[:group|gid]") against its root filesystem.

Semantics and messages of moby/sys/user GetExecUserPath and GetAdditionalGroupsPath, which
Docker uses at start and exec: the passwd and group files are the container's (resolved
inside its rootfs, symlinks never escaping), a numeric uid or gid needs no entry, a name does.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard import errdefs
from dockyard.runtime.rootfs import secure_join
from dockyard.utils.record import record

_MAX_ID = 2**31 - 1
ERR_RANGE = "uids and gids must be in range 0-2147483647"
NO_PASSWD = "no matching entries in passwd file"
NO_GROUP = "no matching entries in group file"


@record(frozen=True)
class ExecUser:
    """Who the process runs as; `sgids` are the supplementary groups from /etc/group."""

    uid: int = 0
    gid: int = 0
    sgids: tuple[int, ...] = ()
    home: str = "/"


@record(frozen=True)
class _Passwd:
    name: str
    uid: int
    gid: int
    home: str


@record(frozen=True)
class _Group:
    name: str
    gid: int
    members: tuple[str, ...]


def _read(rootfs: str, path: str) -> list[list[str]] | None:
    """The colon-split lines of a file inside rootfs; None when it does not exist."""
    try:
        with open(secure_join(rootfs, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return [
        line.split(":") for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _passwd(rows: list[list[str]]) -> list[_Passwd]:
    out = []
    for f in rows:
        f += [""] * (7 - len(f))
        uid, gid = _int(f[2]), _int(f[3])
        if uid is not None and gid is not None:
            out.append(_Passwd(name=f[0], uid=uid, gid=gid, home=f[5]))
    return out


def _groups(rows: list[list[str]]) -> list[_Group]:
    out = []
    for f in rows:
        f += [""] * (4 - len(f))
        gid = _int(f[2])
        if gid is not None:
            members = tuple(m for m in f[3].split(",") if m)
            out.append(_Group(name=f[0], gid=gid, members=members))
    return out


def _in_range(value: int) -> int:
    if value < 0 or value > _MAX_ID:
        raise errdefs.InvalidArgument(ERR_RANGE)
    return value


def resolve_user(rootfs: str, spec: str) -> ExecUser:
    """GetExecUserPath(spec, defaults uid 0 gid 0 home "/", rootfs passwd, rootfs group)."""
    user_arg, _, group_arg = spec.partition(":")
    passwd_rows = _read(rootfs, "/etc/passwd")
    group_rows = _read(rootfs, "/etc/group")
    uid_arg = _int(user_arg)
    uid, gid, home, matched = 0, 0, "/", ""
    users = [
        u
        for u in _passwd(passwd_rows or [])
        if (
            u.uid == 0
            if user_arg == ""
            else u.uid == uid_arg
            if uid_arg is not None
            else u.name == user_arg
        )
    ]
    if users:
        matched, uid, gid, home = users[0].name, users[0].uid, users[0].gid, users[0].home
    elif user_arg:
        if uid_arg is None:
            raise errdefs.InvalidArgument(f"unable to find user {user_arg}: {NO_PASSWD}")
        uid = _in_range(uid_arg)
    sgids: tuple[int, ...] = ()
    if group_arg or matched:
        gid_arg = _int(group_arg)
        groups = _groups(group_rows or [])
        if group_arg:
            found = [
                g
                for g in groups
                if (g.gid == gid_arg if gid_arg is not None else g.name == group_arg)
            ]
            if found:
                gid = found[0].gid
            elif gid_arg is None:
                raise errdefs.InvalidArgument(f"unable to find group {group_arg}: {NO_GROUP}")
            else:
                gid = _in_range(gid_arg)
        else:
            sgids = tuple(g.gid for g in groups if matched in g.members)
    return ExecUser(uid=uid, gid=gid, sgids=sgids, home=home)


def additional_groups(rootfs: str, groups: Sequence[str]) -> list[int]:
    """GetAdditionalGroupsPath: HostConfig.GroupAdd names or gids, resolved in rootfs."""
    if not groups:
        return []
    known = _groups(_read(rootfs, "/etc/group") or [])
    out: list[int] = []
    for name in groups:
        match = next((g.gid for g in known if g.name == name or str(g.gid) == name), None)
        if match is None:
            gid = _int(name)
            if gid is None:
                raise errdefs.InvalidArgument(f"Unable to find group {name}: {NO_GROUP}")
            match = _in_range(gid)
        if match not in out:
            out.append(match)
    return out


def oci_user(rootfs: str, spec: str, *, group_add: Sequence[str] = ()) -> dict[str, object]:
    """OCI process.user as Docker's getUser builds it: additionalGids = [gid] + sgids + GroupAdd."""
    user = resolve_user(rootfs, spec)
    extra = [user.gid, *user.sgids, *additional_groups(rootfs, group_add)]
    return {"uid": user.uid, "gid": user.gid, "additionalGids": extra}
