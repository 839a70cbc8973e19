"""The OCI runtime spec (config.json) of a container, as dockerd builds it for runc.

Follows moby daemon/oci_linux.go createSpec: Docker's DefaultLinuxSpec, then common options
(args, env, cwd, hostname, init), cgroups path, resources, sysctls, user, devices, rlimits,
namespaces, capabilities, seccomp, mounts (withMounts: user mounts override defaults, /dev/shm
sized by ShmSize, read-only rootfs and privileged adjustments), OOM score, masked and read-only
paths. AppArmor is left out: the hosts we run on do not have it, so Docker would leave it out
as well. `exec_process` is the process of `docker exec` (daemon/exec.go + exec_linux.go).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.containers import mounts, seccomp_default, security, users
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults

OCI_VERSION = "1.0.2-dev"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INIT_PATH = "/sbin/docker-init"
_NO_RO_ON_READONLY_ROOTFS = ("/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev")
_CGROUP_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")


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


def replace_or_append_env(defaults: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """moby ReplaceOrAppendEnvValues: "K=v" replaces or appends K, a bare "K" removes it."""
    env = list(defaults)
    for override in overrides:
        key, eq, _ = override.partition("=")
        index = next((i for i, e in enumerate(env) if e.partition("=")[0] == key), None)
        if not eq:
            if index is not None:
                del env[index]
        elif index is None:
            env.append(override)
        else:
            env[index] = override
    return env


def container_env(config: Mapping[str, Any], *, tty: bool) -> list[str]:
    """CreateDaemonEnvironment: PATH, HOSTNAME, TERM with a TTY, then Config.Env over them."""
    base = [f"PATH={DEFAULT_PATH}", f"HOSTNAME={config.get('Hostname', '')}"]
    if tty:
        base.append("TERM=xterm")
    return replace_or_append_env(base, config.get("Env") or [])


def _rlimits(hc: Mapping[str, Any], defaults: Defaults) -> list[dict[str, Any]]:
    """withRlimits: HostConfig.Ulimits, then the daemon's default-ulimits not named there."""
    ulimits = [dict(u) for u in hc.get("Ulimits") or []]
    named = {u.get("Name") for u in ulimits}
    for name, limit in defaults.default_ulimits.items():
        if name not in named:
            ulimits.append({"Name": name, **limit})
    return [
        {"type": "RLIMIT_" + str(u["Name"]).upper(), "soft": int(u["Soft"]), "hard": int(u["Hard"])}
        for u in ulimits
    ]


def _process(
    container: Container, *, rootfs: str, defaults: Defaults, caps: list[str], user: str
) -> dict[str, Any]:
    """The parts a container's process and its execs share."""
    hc = container.host_config
    sec = security.parse_security_opt(hc.get("SecurityOpt") or [])
    return {
        "user": users.oci_user(rootfs, user, group_add=hc.get("GroupAdd") or []),
        "capabilities": security.process_capabilities(caps),
        "rlimits": _rlimits(hc, defaults),
        "noNewPrivileges": sec.no_new_privileges,
        "oomScoreAdj": int(hc.get("OomScoreAdj") or 0),
    }


def _caps(hc: Mapping[str, Any]) -> list[str]:
    return security.capabilities(
        cap_add=hc.get("CapAdd") or [],
        cap_drop=hc.get("CapDrop") or [],
        privileged=bool(hc.get("Privileged")),
    )


def generate_spec(
    container: Container,
    *,
    rootfs: str,
    defaults: Defaults,
    netns_path: str | None,
    init: bool,
) -> dict[str, Any]:
    """config.json for a container whose rw snapshot is mounted at `rootfs`. With
    `netns_path` the container joins that network namespace; `init` runs docker-init as
    PID 1 (only in a private PID namespace, as Docker)."""
    config, hc = container.config, container.host_config
    caps = _caps(hc)
    args = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if not args:
        raise errdefs.InvalidArgument("no command specified")
    private_pid = hc.get("PidMode", "") != "host"
    process: dict[str, Any] = {
        "terminal": bool(config.get("Tty")),
        "args": [INIT_PATH, "--", *args] if init and private_pid else args,
        "env": container_env(config, tty=bool(config.get("Tty"))),
        "cwd": config.get("WorkingDir") or "/",
        **_process(
            container, rootfs=rootfs, defaults=defaults, caps=caps, user=config.get("User", "")
        ),
    }
    size = hc.get("ConsoleSize") or [0, 0]
    if config.get("Tty") and (size[0] or size[1]):
        process["consoleSize"] = {"height": size[0], "width": size[1]}
    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {"path": rootfs, "readonly": bool(hc.get("ReadonlyRootfs"))},
        "hostname": "" if hc.get("UTSMode") == "host" else config.get("Hostname", ""),
        "mounts": _mounts(container, defaults=defaults, init=init and private_pid),
        "linux": _linux(container, defaults=defaults, netns_path=netns_path, caps=caps),
    }
    if config.get("Domainname") and hc.get("UTSMode") != "host":
        spec["domainname"] = config["Domainname"]
    if hc.get("Annotations"):
        spec["annotations"] = dict(hc["Annotations"])
    return spec


# -- mounts -------------------------------------------------------------------------------------


def _user_mounts(container: Container) -> list[dict[str, Any]]:
    """Binds, Mounts, Tmpfs, the IPC mounts and the /etc network files, parents first."""
    hc = container.host_config
    writable = not hc.get("ReadonlyRootfs")
    out: list[dict[str, Any]] = []
    for mp in mounts.mount_points(hc):
        if mp.type == "tmpfs":
            out.append(mounts.oci_tmpfs(mp.destination, mp.tmpfs_data))
            continue
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


def _mounts(container: Container, *, defaults: Defaults, init: bool) -> list[dict[str, Any]]:
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


# -- linux --------------------------------------------------------------------------------------


def _namespaces(hc: Mapping[str, Any], netns_path: str | None) -> list[dict[str, Any]]:
    """DefaultLinuxSpec's namespaces, changed as WithNamespaces does."""
    namespaces: list[dict[str, Any]] = [
        {"type": t} for t in ("mount", "network", "uts", "pid", "ipc")
    ]

    def remove(kind: str) -> None:
        namespaces[:] = [n for n in namespaces if n["type"] != kind]

    def set_ns(ns: dict[str, Any]) -> None:
        for i, n in enumerate(namespaces):
            if n["type"] == ns["type"]:
                namespaces[i] = ns
                return
        namespaces.append(ns)

    if hc.get("NetworkMode") == "host":
        remove("network")
    elif netns_path:
        set_ns({"type": "network", "path": netns_path})
    if hc.get("IpcMode") == "host":
        remove("ipc")
    if hc.get("PidMode") == "host":
        remove("pid")
    if hc.get("UTSMode") == "host":
        remove("uts")
    if hc.get("CgroupnsMode") == "private":
        set_ns({"type": "cgroup"})
    return namespaces


def _device(
    path: str, container_path: str, permissions: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        return None
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    device = {
        "path": container_path, "type": kind, "major": major, "minor": minor,
        "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
    }  # fmt: skip
    rule = {"allow": True, "type": kind, "major": major, "minor": minor, "access": permissions}
    return device, rule


def host_devices() -> list[dict[str, Any]]:
    """containerd's HostDevices: every device node under /dev but pts, shm, mqueue, console."""
    skip_dirs = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}
    found: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk("/dev"):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name == "console" or os.path.islink(path):
                continue
            made = _device(path, path, "rwm")
            if made is not None:
                found.append(made[0])
    return found


def _devices(hc: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """WithDevices: (linux.devices, linux.resources.devices)."""
    devices: list[dict[str, Any]] = []
    if hc.get("Privileged"):
        devices = host_devices()
        rules: list[dict[str, Any]] = [{"allow": True, "access": "rwm"}]
    else:
        rules = security.default_device_rules()
    for mapping in hc.get("Devices") or []:
        host = mapping.get("PathOnHost", "")
        inside = mapping.get("PathInContainer") or host
        if hc.get("Privileged") and inside == host:
            continue
        resolved = os.path.realpath(host)
        made = _device(resolved, inside, mapping.get("CgroupPermissions") or "rwm")
        if made is None:
            raise errdefs.InvalidArgument(
                f'error gathering device information while adding custom device "{host}": '
                "not a device node"
            )
        devices.append(made[0])
        if not hc.get("Privileged"):
            rules.append(made[1])
    if not hc.get("Privileged"):
        for text in hc.get("DeviceCgroupRules") or []:
            match = _CGROUP_RULE.match(text)
            if match is None:
                raise errdefs.InvalidArgument(f"invalid device cgroup rule format: '{text}'")
            kind, major, minor, access = match.groups()
            rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
            rule["major"] = -1 if major == "*" else int(major)
            rule["minor"] = -1 if minor == "*" else int(minor)
            rules.append(rule)
    return devices, rules


def _throttle(entries: Sequence[Mapping[str, Any]] | None, key: str) -> list[dict[str, Any]]:
    out = []
    for entry in entries or []:
        try:
            st = os.stat(entry["Path"])
        except OSError as err:
            raise errdefs.InvalidArgument(f"stat {entry['Path']}: {err.strerror}") from None
        out.append(
            {
                "major": os.major(st.st_rdev),
                "minor": os.minor(st.st_rdev),
                key: int(entry[key.title()]),
            }
        )
    return out


def _resources(hc: Mapping[str, Any]) -> dict[str, Any]:
    """WithResources (daemon_unix.go getMemoryResources, getCPUResources, getPidsLimit)."""
    memory: dict[str, Any] = {}
    for key, name in (("Memory", "limit"), ("MemoryReservation", "reservation"),
                      ("MemorySwap", "swap")):  # fmt: skip
        if (hc.get(key) or 0) > 0:
            memory[name] = hc[key]
    if hc.get("MemorySwappiness") is not None:
        memory["swappiness"] = hc["MemorySwappiness"]
    if hc.get("OomKillDisable") is not None:
        memory["disableOOMKiller"] = hc["OomKillDisable"]
    cpu: dict[str, Any] = {}
    if hc.get("CpuShares"):
        cpu["shares"] = hc["CpuShares"]
    if hc.get("CpusetCpus"):
        cpu["cpus"] = hc["CpusetCpus"]
    if hc.get("CpusetMems"):
        cpu["mems"] = hc["CpusetMems"]
    if (hc.get("NanoCpus") or 0) > 0:
        cpu["period"] = 100_000  # 100ms in µs, sched-bwc.txt
        cpu["quota"] = hc["NanoCpus"] * 100_000 // 1_000_000_000
    for key, name in (("CpuPeriod", "period"), ("CpuQuota", "quota"),
                      ("CpuRealtimePeriod", "realtimePeriod"),
                      ("CpuRealtimeRuntime", "realtimeRuntime")):  # fmt: skip
        if hc.get(key):
            cpu[name] = hc[key]
    block_io: dict[str, Any] = {}
    if hc.get("BlkioWeight"):
        block_io["weight"] = hc["BlkioWeight"]
    for key, name, field in (
        ("BlkioWeightDevice", "weightDevice", "weight"),
        ("BlkioDeviceReadBps", "throttleReadBpsDevice", "rate"),
        ("BlkioDeviceWriteBps", "throttleWriteBpsDevice", "rate"),
        ("BlkioDeviceReadIOps", "throttleReadIOPSDevice", "rate"),
        ("BlkioDeviceWriteIOps", "throttleWriteIOPSDevice", "rate"),
    ):
        if hc.get(key):
            block_io[name] = _throttle(hc[key], field)
    out: dict[str, Any] = {"blockIO": block_io}
    if memory:
        out["memory"] = memory
    if cpu:
        out["cpu"] = cpu
    if hc.get("PidsLimit") is not None:
        out["pids"] = {"limit": hc["PidsLimit"] if hc["PidsLimit"] > 0 else -1}
    return out


def _sysctl_exists(name: str) -> bool:
    return os.path.exists(posixpath.join("/proc/sys", name.replace(".", "/")))


def _sysctls(hc: Mapping[str, Any]) -> dict[str, str]:
    """Docker's safe defaults for a new network namespace, then HostConfig.Sysctls."""
    sysctls: dict[str, str] = {}
    mode = hc.get("NetworkMode", "")
    if mode != "host" and not mode.startswith("container:"):
        if _sysctl_exists("net.ipv4.ping_group_range"):
            sysctls["net.ipv4.ping_group_range"] = "0 2147483647"
        if _sysctl_exists("net.ipv4.ip_unprivileged_port_start"):
            sysctls["net.ipv4.ip_unprivileged_port_start"] = "0"
    sysctls.update(hc.get("Sysctls") or {})
    return sysctls


def _seccomp(hc: Mapping[str, Any], caps: list[str]) -> dict[str, Any] | None:
    """WithSeccomp: unconfined, the default profile, or the JSON profile in SecurityOpt."""
    profile = security.parse_security_opt(hc.get("SecurityOpt") or []).seccomp_profile
    if profile == "unconfined":
        return None
    if profile in ("", "builtin"):
        if hc.get("Privileged") and profile == "":
            return None
        return seccomp_default.to_oci(seccomp_default.default_profile(), bounding_caps=caps)
    return seccomp_default.load_profile(profile, bounding_caps=caps)


def _linux(
    container: Container, *, defaults: Defaults, netns_path: str | None, caps: list[str]
) -> dict[str, Any]:
    hc = container.host_config
    devices, rules = _devices(hc)
    resources = _resources(hc)
    resources["devices"] = rules
    parent = hc.get("CgroupParent") or defaults.cgroup_parent
    linux: dict[str, Any] = {
        "resources": resources,
        "cgroupsPath": posixpath.join(parent, container.id),
        "namespaces": _namespaces(hc, netns_path),
        "devices": devices,
        "sysctl": _sysctls(hc),
    }
    if hc.get("MaskedPaths") is not None:
        linux["maskedPaths"] = list(hc["MaskedPaths"])
    elif not hc.get("Privileged"):
        linux["maskedPaths"] = security.masked_paths()
    if hc.get("ReadonlyPaths") is not None:
        linux["readonlyPaths"] = list(hc["ReadonlyPaths"])
    elif not hc.get("Privileged"):
        linux["readonlyPaths"] = list(security.READONLY_PATHS)
    propagation = _rootfs_propagation(hc)
    if propagation:
        linux["rootfsPropagation"] = propagation
    seccomp = _seccomp(hc, caps)
    if seccomp is not None:
        linux["seccomp"] = seccomp
    return linux


def _rootfs_propagation(hc: Mapping[str, Any]) -> str:
    """withMounts: a shared bind needs a shared rootfs, a slave one at least rslave."""
    props = {mp.propagation for mp in mounts.mount_points(hc) if mp.type == "bind"}
    if props & {"shared", "rshared"}:
        return "shared"
    if props & {"slave", "rslave"}:
        return "rslave"
    return ""


# -- exec ---------------------------------------------------------------------------------------


def exec_process(
    container: Container,
    *,
    cmd: list[str],
    env: list[str],
    user: str,
    working_dir: str,
    tty: bool,
    privileged: bool,
    rootfs: str,
    console_size: tuple[int, int] | None,
    defaults: Defaults | None = None,
) -> dict[str, Any]:
    """The OCI process of `docker exec`: the container's process with the exec's args, env
    (container env, then the exec's), cwd, terminal and user; all capabilities when
    privileged."""
    if not cmd:
        raise errdefs.InvalidArgument("No exec command specified")
    config = container.config
    caps = security.all_caps() if privileged else _caps(container.host_config)
    process: dict[str, Any] = {
        "terminal": tty,
        "args": list(cmd),
        "env": replace_or_append_env(container_env(config, tty=tty), env),
        "cwd": working_dir or config.get("WorkingDir") or "/",
        **_process(
            container,
            rootfs=rootfs,
            defaults=defaults or Defaults(),
            caps=caps,
            user=user or config.get("User", ""),
        ),
    }
    if tty and console_size is not None:
        process["consoleSize"] = {"height": console_size[0], "width": console_size[1]}
    return process
