"""The container's filesystem: mounts in spec order, devices, pivot_root, masked paths.

Runs inside the init, in the container's fresh mount namespace. Every destination is resolved
with secure_join() so a symlink inside the image can never point a mount at the host
(CVE-2021-30465, runc's "symlink-exchange" class of bugs). The sequence mirrors runc's
prepareRootfs/finalizeRootfs; each step says why it sits where it does.
"""

from __future__ import annotations

import os
import stat

from dockyard import errdefs
from dockyard.runtime import syscalls as sc
from dockyard.runtime.config import Mount, Spec
from dockyard.utils.record import record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Callable


# mount(8) option -> (flags to set, flags to clear)
FLAGS: dict[str, tuple[int, int]] = {
    "ro": (sc.MS_RDONLY, 0), "rw": (0, sc.MS_RDONLY),
    "nosuid": (sc.MS_NOSUID, 0), "suid": (0, sc.MS_NOSUID),
    "nodev": (sc.MS_NODEV, 0), "dev": (0, sc.MS_NODEV),
    "noexec": (sc.MS_NOEXEC, 0), "exec": (0, sc.MS_NOEXEC),
    "sync": (sc.MS_SYNCHRONOUS, 0), "async": (0, sc.MS_SYNCHRONOUS),
    "dirsync": (sc.MS_DIRSYNC, 0), "remount": (sc.MS_REMOUNT, 0),
    "mand": (sc.MS_MANDLOCK, 0), "nomand": (0, sc.MS_MANDLOCK),
    "noatime": (sc.MS_NOATIME, 0), "atime": (0, sc.MS_NOATIME),
    "nodiratime": (sc.MS_NODIRATIME, 0), "diratime": (0, sc.MS_NODIRATIME),
    "bind": (sc.MS_BIND, 0), "rbind": (sc.MS_BIND | sc.MS_REC, 0),
    "relatime": (sc.MS_RELATIME, 0), "norelatime": (0, sc.MS_RELATIME),
    "strictatime": (sc.MS_STRICTATIME, 0), "nostrictatime": (0, sc.MS_STRICTATIME),
    "lazytime": (sc.MS_LAZYTIME, 0), "nolazytime": (0, sc.MS_LAZYTIME),
    "silent": (sc.MS_SILENT, 0), "loud": (0, sc.MS_SILENT),
    "nosymfollow": (sc.MS_NOSYMFOLLOW, 0), "symfollow": (0, sc.MS_NOSYMFOLLOW),
}  # fmt: skip
PROPAGATION: dict[str, int] = {
    "private": sc.MS_PRIVATE, "rprivate": sc.MS_PRIVATE | sc.MS_REC,
    "shared": sc.MS_SHARED, "rshared": sc.MS_SHARED | sc.MS_REC,
    "slave": sc.MS_SLAVE, "rslave": sc.MS_SLAVE | sc.MS_REC,
    "unbindable": sc.MS_UNBINDABLE, "runbindable": sc.MS_UNBINDABLE | sc.MS_REC,
}  # fmt: skip
# Flags the kernel locks on a mount: a bind remount must repeat them or fail with EPERM.
_ST_LOCKED = {1: sc.MS_RDONLY, 2: sc.MS_NOSUID, 4: sc.MS_NODEV, 8: sc.MS_NOEXEC}

DEFAULT_DEVICES = (
    ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
    ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
)  # fmt: skip
DEV_SYMLINKS = (
    ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
    ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"),
)  # fmt: skip


@record(frozen=True)
class MountOptions:
    flags: int
    propagation: tuple[int, ...]
    data: str


def parse_options(options: tuple[str, ...]) -> MountOptions:
    flags, propagation, data = 0, [], []
    for opt in options:
        if opt in FLAGS:
            set_bits, clear_bits = FLAGS[opt]
            flags = (flags | set_bits) & ~clear_bits
        elif opt in PROPAGATION:
            propagation.append(PROPAGATION[opt])
        elif opt in ("tmpcopyup", "idmap", "ridmap"):
            if opt != "tmpcopyup":
                raise errdefs.Unimplemented(f"mount option {opt!r} is not supported")
        else:
            data.append(opt)
    return MountOptions(flags, tuple(propagation), ",".join(data))


def secure_join(root: str, unsafe: str) -> str:
    """Resolve `unsafe` inside `root` as if `root` were `/`: `..` and symlinks never escape."""
    parts = [p for p in unsafe.split("/") if p]
    resolved = ""
    links = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = resolved.rsplit("/", 1)[0]
            continue
        candidate = f"{resolved}/{part}"
        try:
            st = os.lstat(root + candidate)
        except FileNotFoundError:
            resolved = candidate
            continue
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > 255:
                raise errdefs.InvalidArgument(f"too many symlinks resolving {unsafe}")
            target = os.readlink(root + candidate)
            if target.startswith("/"):
                resolved = ""
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved = candidate
    return root + resolved if resolved else root


def _locked_flags(path: str) -> int:
    st = os.statvfs(path)
    return sum(flag for bit, flag in _ST_LOCKED.items() if st.f_flag & bit)


def _mkdirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def _bind(m: Mount, dest: str, opts: MountOptions) -> None:
    try:
        src_is_dir = os.path.isdir(m.source)
        if not os.path.exists(m.source):
            raise FileNotFoundError
    except FileNotFoundError:
        raise errdefs.NotFound(f"bind mount source {m.source} does not exist") from None
    if src_is_dir:
        _mkdirs(dest)
    elif not os.path.exists(dest):
        _mkdirs(os.path.dirname(dest))
        os.close(os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o755))
    bind_flags = opts.flags & (sc.MS_BIND | sc.MS_REC)
    sc.mount(m.source, dest, "bind", bind_flags | sc.MS_BIND, None)
    # A bind mount ignores every other flag: apply them with a remount, keeping the flags
    # the source mount has locked (nosuid/nodev/noexec from a less privileged mount).
    extra = opts.flags & ~(sc.MS_BIND | sc.MS_REC | sc.MS_REMOUNT)
    if extra:
        flags = sc.MS_BIND | sc.MS_REMOUNT | extra | _locked_flags(dest)
        sc.mount(None, dest, None, flags, None)


def mount_one(rootfs: str, m: Mount, mount_cgroup: Callable[[str, int], None]) -> None:
    """Make one spec mount under `rootfs`; the `cgroup` type is handed to the cgroup manager."""
    dest = secure_join(rootfs, m.destination)
    opts = parse_options(m.options)
    if dest == rootfs:
        raise errdefs.InvalidArgument(f"mount destination {m.destination} resolves to the root")
    if m.type == "bind" or opts.flags & sc.MS_BIND:
        _bind(m, dest, opts)
    elif m.type == "cgroup":
        _mkdirs(dest)
        mount_cgroup(dest, opts.flags)
    else:
        if m.type in ("proc", "sysfs") and os.path.islink(dest):
            raise errdefs.InvalidArgument(f"{m.type} cannot be mounted on symlink {dest}")
        _mkdirs(dest)
        try:
            sc.mount(m.source, dest, m.type, opts.flags, opts.data or None)
        except OSError as err:
            raise errdefs.InvalidArgument(
                f"failed to mount {m.type} on {m.destination}: {err.strerror}"
            ) from None
    for flag in opts.propagation:
        sc.mount(None, dest, None, flag, None)


def _mknod(path: str, kind: str, major: int, minor: int, mode: int, uid: int, gid: int) -> None:
    type_bits = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}
    if kind not in type_bits:
        raise errdefs.InvalidArgument(f"device {path}: unknown type {kind!r}")
    _mkdirs(os.path.dirname(path))
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.mknod(path, type_bits[kind] | (mode & 0o7777), os.makedev(major, minor))
    os.chmod(path, mode & 0o7777)
    os.chown(path, uid, gid)


def _bind_device(rootfs: str, host_path: str, path: str) -> None:
    """In a user namespace mknod is refused: bind the host's node instead, as runc does."""
    _mkdirs(os.path.dirname(path))
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o755))
    sc.mount(host_path, path, "bind", sc.MS_BIND, None)


def create_devices(rootfs: str, spec: Spec, *, userns: bool) -> None:
    """Default devices (runtime-spec "Default Devices"), linux.devices, /dev symlinks, ptmx."""
    dev_is_bind = any(
        m.destination == "/dev"
        and (m.type == "bind" or "bind" in m.options or "rbind" in m.options)
        for m in spec.mounts
    )
    if not dev_is_bind:
        wanted = [(p, "c", ma, mi, 0o666, 0, 0) for p, ma, mi in DEFAULT_DEVICES]
        for d in spec.devices:
            mode = d.get("fileMode")
            wanted.append(
                (
                    str(d.get("path", "")),
                    str(d.get("type", "")),
                    int(d.get("major", 0)),
                    int(d.get("minor", 0)),
                    0o666 if mode is None else int(mode),
                    int(d.get("uid", 0)),
                    int(d.get("gid", 0)),
                )
            )
        for path, kind, major, minor, mode, uid, gid in wanted:
            if not path.startswith("/dev/"):
                raise errdefs.InvalidArgument(f"device path {path!r} must be under /dev")
            target = secure_join(rootfs, path)
            if userns:
                _bind_device(rootfs, path, target)
            else:
                _mknod(target, kind, major, minor, mode, uid, gid)
    for src, link in DEV_SYMLINKS:
        target = secure_join(rootfs, link)
        if not os.path.lexists(target):
            os.symlink(src, target)
    if os.path.exists("/proc/kcore"):
        core = secure_join(rootfs, "/dev/core")
        if not os.path.lexists(core):
            os.symlink("/proc/kcore", core)
    # /dev/ptmx must be the container's devpts instance's ptmx, not a host node.
    ptmx = secure_join(rootfs, "/dev/ptmx")
    if os.path.isdir(secure_join(rootfs, "/dev/pts")):
        if os.path.lexists(ptmx):
            os.unlink(ptmx)
        os.symlink("pts/ptmx", ptmx)


def prepare(spec: Spec, mount_cgroup: Callable[[str, int], None], *, userns: bool) -> None:
    """Everything before pivot_root: propagation, the rootfs bind, spec mounts, devices."""
    rootfs = spec.root_path
    # Stop mounts we make from propagating to the host (runc's default rslave for "/").
    prop = PROPAGATION.get(spec.rootfs_propagation, sc.MS_SLAVE | sc.MS_REC)
    sc.mount(None, "/", None, prop, None)
    # pivot_root needs new_root to be a mount point whose parent is not shared.
    parent = _mount_point_of(os.path.dirname(rootfs))
    sc.mount(None, parent, None, sc.MS_PRIVATE, None)
    sc.mount(rootfs, rootfs, "bind", sc.MS_BIND | sc.MS_REC, None)
    for m in spec.mounts:
        mount_one(rootfs, m, mount_cgroup)
    create_devices(rootfs, spec, userns=userns)


def _mount_point_of(path: str) -> str:
    """The mount point that contains `path` (longest matching mountinfo entry)."""
    best = "/"
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > len(
                best
            ):
                best = point
    return best


def pivot(rootfs: str, *, no_pivot: bool) -> None:
    """Make `rootfs` the root. pivot_root(".", ".") stacks the old root on top of the new one
    so it can be detached without a temporary directory in the image (runc's approach)."""
    os.chdir(rootfs)
    if no_pivot:
        sc.mount(rootfs, "/", None, sc.MS_MOVE, None)
        os.chroot(".")
        os.chdir("/")
        return
    old = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        sc.pivot_root(".", ".")
        os.fchdir(old)
        # Make the old root a slave so its unmount does not propagate to the host.
        sc.mount(None, ".", None, sc.MS_SLAVE | sc.MS_REC, None)
        sc.umount2(".", sc.MNT_DETACH)
    finally:
        os.close(old)
    os.chdir("/")


def finalize(spec: Spec) -> None:
    """After pivot_root: readonly paths, masked paths, a read-only root."""
    for path in spec.readonly_paths:
        try:
            sc.mount(path, path, None, sc.MS_BIND | sc.MS_REC, None)
        except FileNotFoundError:
            continue
        flags = sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC | _locked_flags(path)
        sc.mount(None, path, None, flags, None)
    for path in spec.masked_paths:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path):
            sc.mount("tmpfs", path, "tmpfs", sc.MS_RDONLY, None)
        else:
            sc.mount("/dev/null", path, None, sc.MS_BIND, None)
    if spec.root_readonly:
        flags = sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | _locked_flags("/")
        sc.mount(None, "/", None, flags, None)
