"""Where the cgroup hierarchies are, and where a container's cgroup goes in each.

The layout is read, never assumed: /proc/self/mountinfo says which hierarchies are mounted where
(and which part of each, for a runtime that itself runs in a container), /proc/self/cgroup says
which cgroup this process is in. Tests build a `Hierarchies` from text instead of /proc.

Path rules are runc 1.1's (libcontainer/cgroups/fs/paths.go, fs2/defaultpath.go and
specconv.CreateCgroupConfig): the cgroupsPath is cleaned so it cannot climb out with "..";
an empty one becomes the container id; an absolute path is relative to the root of each
hierarchy as mounted here; a relative one is relative to this process's own cgroup in that
hierarchy (on a pure v2 host: to its parent, see `Hierarchy.container_dir`).
"""

from __future__ import annotations

import posixpath

from dockyard import errdefs
from dockyard.utils.record import record

MOUNTINFO = "/proc/self/mountinfo"
PROC_CGROUP = "/proc/self/cgroup"

UNIFIED = "unified"
"""Key of the cgroup v2 hierarchy in `Manager.paths()` (runc uses "" there)."""


@record(frozen=True)
class Hierarchy:
    """One mounted cgroup hierarchy as this process sees it.

    `mountpoint` is where it is mounted (/sys/fs/cgroup/cpu,cpuacct); `root` is mountinfo's
    root field, the hierarchy's directory shown there ("/" on a host); `controllers` are the v1
    controllers and "name=" options bound to it (("cpu", "cpuacct"), ("name=systemd",)), empty
    for cgroup2; `own` is this process's cgroup in it per /proc/self/cgroup ("" if not listed).
    """

    mountpoint: str
    root: str
    controllers: tuple[str, ...]
    own: str
    version: int

    @property
    def name(self) -> str:
        """The directory name under the cgroup root ("cpu,cpuacct", "systemd", "unified")."""
        return posixpath.basename(self.mountpoint)

    @property
    def named(self) -> bool:
        """True for a v1 hierarchy without resource controllers (name=systemd)."""
        return self.version == 1 and all(c.startswith("name=") for c in self.controllers)

    def own_dir(self) -> str:
        """The absolute directory of this process's own cgroup in this hierarchy."""
        if not self.own:
            raise errdefs.FailedPrecondition(
                f"cannot find this process's cgroup for the hierarchy at {self.mountpoint} "
                f"in {PROC_CGROUP}"
            )
        rel = posixpath.relpath(self.own, self.root)
        if rel == ".." or rel.startswith("../"):
            # The mount shows only a subtree (a bind from an outer runtime) and we sit outside it.
            raise errdefs.FailedPrecondition(
                f"this process's cgroup {self.own} is outside the part ({self.root}) of the "
                f"hierarchy mounted at {self.mountpoint}"
            )
        return posixpath.normpath(posixpath.join(self.mountpoint, rel))

    def container_dir(self, inner: str, *, beside_own: bool = False) -> str:
        """The absolute directory of the cgroup `inner` (a cleaned cgroupsPath) in here.

        A relative `inner` goes under this process's own cgroup, or with `beside_own` under its
        parent: runc's fs2 (defaultDirPath) does that on a pure v2 host, where a cgroup holding
        processes cannot hand domain controllers down to children (the no-internal-process
        rule), so the container becomes the runtime's sibling.
        """
        top = posixpath.normpath(self.mountpoint)
        if inner.startswith("/"):
            path = posixpath.join(top, inner.lstrip("/"))
        else:
            base = self.own_dir()
            if beside_own and base != top:  # like Go's filepath.Dir("/") == "/"
                base = posixpath.dirname(base)
            path = posixpath.join(base, inner)
        path = posixpath.normpath(path)
        if path == top:
            # destroy() removes a container's cgroup and its children: never the whole tree.
            raise errdefs.InvalidArgument(
                f"invalid cgroupsPath {inner}: it names the root of the cgroup hierarchy "
                f"at {self.mountpoint}"
            )
        return path


@record(frozen=True)
class Hierarchies:
    """Every cgroup hierarchy mounted for this process: v1 ones and the cgroup2 one."""

    v1: tuple[Hierarchy, ...]
    unified: Hierarchy | None

    @property
    def unified_mode(self) -> bool:
        """True on a pure cgroup v2 host: cgroup2 is mounted and no v1 controller is."""
        return self.unified is not None and all(h.named for h in self.v1)

    def find(self, controller: str) -> Hierarchy | None:
        """The v1 hierarchy `controller` ("memory", "name=systemd") is bound to, if mounted."""
        for h in self.v1:
            if controller in h.controllers:
                return h
        return None

    @classmethod
    def discover(cls) -> Hierarchies:
        """Read this process's hierarchies from /proc."""
        try:
            with open(MOUNTINFO, encoding="utf-8") as f:
                mountinfo = f.read()
            with open(PROC_CGROUP, encoding="utf-8") as f:
                cgroup = f.read()
        except OSError as err:
            raise errdefs.FailedPrecondition(
                f"failed to read {err.filename}: {err.strerror}"
            ) from err
        return cls.parse(mountinfo=mountinfo, cgroup=cgroup)

    @classmethod
    def parse(cls, *, mountinfo: str, cgroup: str) -> Hierarchies:
        """Build the record from the text of /proc/self/mountinfo and /proc/self/cgroup."""
        v1_own, v2_own = _parse_proc_cgroup(cgroup)
        v1: list[Hierarchy] = []
        unified: Hierarchy | None = None
        seen: set[str] = set()
        for devno, root, mountpoint, fstype, superopts in _cgroup_mounts(mountinfo):
            # The same hierarchy can be mounted (or bound) several times; the first one counts,
            # as in runc's FindCgroupMountpointAndRoot.
            if devno in seen:
                continue
            if fstype == "cgroup2":
                if unified is None:
                    seen.add(devno)
                    unified = Hierarchy(mountpoint, root, (), v2_own, 2)
                continue
            # Super options mix controllers with flags (rw, xattr, release_agent=...); only the
            # names /proc/self/cgroup lists are controllers (runc's getCgroupMountsHelper).
            controllers = tuple(o for o in superopts.split(",") if o in v1_own)
            if not controllers or any(c in h.controllers for h in v1 for c in controllers):
                continue
            seen.add(devno)
            v1.append(Hierarchy(mountpoint, root, controllers, v1_own[controllers[0]], 1))
        return cls(v1=tuple(v1), unified=unified)


def _parse_proc_cgroup(text: str) -> tuple[dict[str, str], str]:
    """Map each v1 controller (and "name=x") to our cgroup path; return the v2 path too."""
    v1: dict[str, str] = {}
    v2 = ""
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hid, controllers, path = parts
        if hid == "0" and controllers == "":
            v2 = path
            continue
        for c in controllers.split(","):
            if c:
                v1[c] = path
    return v1, v2


def _cgroup_mounts(text: str) -> list[tuple[str, str, str, str, str]]:
    """(devno, root, mountpoint, fstype, super options) of each cgroup mount in mountinfo."""
    found = []
    for line in text.splitlines():
        # 36 35 98:0 /root /mnt rw,noatime master:1 - cgroup cgroup rw,memory
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        found.append((fields[2], _unescape(fields[3]), _unescape(fields[4]), tail[0], tail[2]))
    return found


def _unescape(field: str) -> str:
    """Undo mountinfo's octal escapes (\\040 for a space, \\134 for a backslash...)."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit() and i + 4 <= len(field):
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def clean_path(path: str) -> str:
    """runc's utils.CleanPath: normalise, and keep a relative path from climbing with "..".

    "/a/../../b" -> "/b", "../../x" -> "x", "" -> "".
    """
    if not path:
        return ""
    if path.startswith("/"):
        # normpath keeps a leading "//" (POSIX allows it); Go's Clean does not.
        return "/" + posixpath.normpath(path).lstrip("/")
    return posixpath.relpath(posixpath.normpath("/" + path), "/")


def inner_path(*, cgroups_path: str, container_id: str) -> str:
    """The container's cgroup path before resolution: the cleaned cgroupsPath or the id."""
    inner = clean_path(cgroups_path) or clean_path(container_id)
    if not inner or inner == ".":
        raise errdefs.InvalidArgument(
            f"invalid cgroupsPath {cgroups_path!r} for container {container_id!r}: "
            "it names no cgroup"
        )
    return inner
