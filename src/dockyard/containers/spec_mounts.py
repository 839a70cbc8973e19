"""The `mounts` of a container's OCI spec, as moby's withMounts makes them (oci_linux.go).

Docker's DefaultLinuxSpec mounts (/dev/shm sized by ShmSize), docker-init bound read-only at
/sbin/docker-init, then the user's mounts (Binds, Mounts, Tmpfs, the host IPC /dev/shm and the
/etc network files), which override the defaults at the same destination. A read-only rootfs
makes every mount read-only but the kernel filesystems and the user's; privileged and
writable-cgroups make /sys and the cgroup mount writable again.
"""

from __future__ import annotations

import os
from typing import Any

from dockyard.containers import mounts, security
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults

INIT_PATH = "/sbin/docker-init"
_NO_RO_ON_READONLY_ROOTFS = ("/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev")


def default_mounts(*, shm_size: int) -> list[dict[str, Any]]:
    """moby DefaultLinuxSpec mounts, /dev/shm sized as withMounts does."""

    def m(dest: str, kind: str, source: str, *options: str) -> dict[str, Any]:
        return {"destination": dest, "type": kind, "source": source, "options": list(options)}

    return [
        m("/proc", "proc", "proc", "rw", "nosuid", "noexec", "nodev"),
        m("/dev", "tmpfs", "tmpfs", "rw", "nosuid", "strictatime", "mode=755", "size=65536k"),
        m("/dev/pts", "devpts", "devpts", "rw", "nosuid", "noexec", "newinstance",
          "ptmxmode=0666", "mode=0620", "gid=5"),
        m("/sys", "sysfs", "sysfs", "ro", "nosuid", "noexec", "nodev"),
        m("/sys/fs/cgroup", "cgroup", "cgroup", "ro", "nosuid", "noexec", "nodev"),
        m("/dev/mqueue", "mqueue", "mqueue", "rw", "nosuid", "noexec", "nodev"),
        m("/dev/shm", "tmpfs", "shm", "rw", "nosuid", "noexec", "nodev", "mode=1777",
          f"size={shm_size}"),
    ]  # fmt: skip


def _user_mounts(container: Container) -> list[dict[str, Any]]:
    """Binds, Mounts, volumes, Tmpfs, the IPC mounts and the /etc network files, parents
    first. The container's MountPoint documents say what is mounted where (volumes-from and
    image volumes included; a volume's Source is its host path once mounted for the start);
    HostConfig's own Binds and Mounts add what the documents do not carry (tmpfs data,
    non-recursive binds)."""
    hc = container.host_config
    writable = not hc.get("ReadonlyRootfs")
    parsed = {mp.destination: mp for mp in mounts.mount_points(hc)}
    docs = container.mounts or [mounts.inspect_doc(mp) for mp in parsed.values()]
    out: list[dict[str, Any]] = []
    for doc in docs:
        dest = doc["Destination"]
        mp = parsed.get(dest)
        if mp is not None and mp.type == "tmpfs":
            out.append(mounts.oci_tmpfs(mp.destination, mp.tmpfs_data))
            continue
        if mp is not None and mp.type == "bind":
            if mp.from_binds and not os.path.exists(mp.source):
                os.makedirs(mp.source, mode=0o755, exist_ok=True)  # Docker's -v creates it
            out.append(
                mounts.oci_bind(
                    source=mp.source,
                    destination=mp.destination,
                    writable=mp.rw,
                    propagation=mp.propagation,
                    non_recursive=mp.non_recursive,
                )
            )
            continue
        if doc.get("Type") not in ("bind", "volume") or not doc.get("Source"):
            continue  # a volume not mounted for this start: nothing to bind
        out.append(
            mounts.oci_bind(
                source=doc["Source"],
                destination=dest,
                writable=bool(doc.get("RW")),
                propagation=doc.get("Propagation") or "",
            )
        )
    for dest, data in (hc.get("Tmpfs") or {}).items():
        out.append(mounts.oci_tmpfs(dest, data))
    if hc.get("IpcMode") == "host":
        out.append(
            mounts.oci_bind(
                source="/dev/shm", destination="/dev/shm", writable=True, propagation="rprivate"
            )
        )
    taken = {m["destination"] for m in out}
    for dest, source in (
        ("/etc/resolv.conf", container.resolv_conf_path),
        ("/etc/hostname", container.hostname_path),
        ("/etc/hosts", container.hosts_path),
    ):
        if dest not in taken:
            out.append(
                mounts.oci_bind(
                    source=source, destination=dest, writable=writable, propagation="rprivate"
                )
            )
    return sorted(out, key=lambda m: mounts.depth(m["destination"]))


def container_mounts(
    container: Container, *, defaults: Defaults, init: bool
) -> list[dict[str, Any]]:
    """The spec's `mounts`: defaults not overridden, docker-init with `init`, user mounts."""
    hc = container.host_config
    sec = security.parse_security_opt(hc.get("SecurityOpt") or [])
    user = _user_mounts(container)
    taken = {m["destination"] for m in user}
    result: list[dict[str, Any]] = []
    for m in default_mounts(shm_size=int(hc.get("ShmSize") or defaults.shm_size)):
        dest = m["destination"]
        if dest in taken or ("/dev" in taken and dest.startswith("/dev/")):
            continue
        if dest == "/dev/shm" and hc.get("IpcMode") == "none":
            continue
        result.append(m)
    if init:
        result.append(
            {
                "destination": INIT_PATH,
                "type": "bind",
                "source": defaults.init_path,
                "options": ["bind", "ro"],
            }
        )
    result += user
    if hc.get("ReadonlyRootfs"):
        for m in result:
            dest = m["destination"]
            exempt = dest in _NO_RO_ON_READONLY_ROOTFS or dest in taken
            if not exempt and "ro" not in m["options"]:
                m["options"].append("ro")
    privileged = bool(hc.get("Privileged"))
    writable_cgroups = sec.writable_cgroups if sec.writable_cgroups is not None else privileged
    for m in result:
        if (privileged and m["destination"] == "/sys") or (
            writable_cgroups and m["type"] == "cgroup"
        ):
            m["options"] = [o for o in m["options"] if o != "ro"]
    return result
