"""The OCI runtime spec (config.json) of a container, as dockerd builds it for runc.

Follows moby daemon/oci_linux.go createSpec: Docker's DefaultLinuxSpec, then common options
(args, env, cwd, hostname, init), cgroups path, resources, sysctls, user, devices, rlimits,
namespaces, capabilities, seccomp, mounts (withMounts: user mounts override defaults, /dev/shm
sized by ShmSize, read-only rootfs and privileged adjustments), OOM score, masked and read-only
paths. AppArmor is left out: the hosts we run on do not have it, so Docker would leave it out
as well. `exec_process` is the process of `docker exec` (daemon/exec.go + exec_linux.go).

This module builds the process and the top of the spec; the `mounts` come from spec_mounts.py
and the `linux` section from spec_linux.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.containers import security, users
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.containers.spec_linux import host_devices as host_devices
from dockyard.containers.spec_linux import linux_spec
from dockyard.containers.spec_mounts import INIT_PATH as INIT_PATH
from dockyard.containers.spec_mounts import container_mounts
from dockyard.containers.spec_mounts import default_mounts as default_mounts

OCI_VERSION = "1.0.2-dev"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
        "mounts": container_mounts(container, defaults=defaults, init=init and private_pid),
        "linux": linux_spec(container, defaults=defaults, netns_path=netns_path, caps=caps),
    }
    if config.get("Domainname") and hc.get("UTSMode") != "host":
        spec["domainname"] = config["Domainname"]
    if hc.get("Annotations"):
        spec["annotations"] = dict(hc["Annotations"])
    return spec


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
