"""Create-time checks of a decoded Config and HostConfig, with moby's messages.

runconfig decodeContainerConfig's conflicts (network mode, isolation, QoS, CPU shares), moby
validateContainerConfig, validateHostConfig and verifyPlatformContainerSettings (namespace
modes, SHM size, OOM score). The resource limits are checked apart, in `resources`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.containers import mounts, security
from dockyard.containers.etcfiles import split_extra_host
from dockyard.containers.signals import signal_number

MAX_HOSTNAME = 64  # HOST_NAME_MAX
MIN_DURATION_NS = 1_000_000  # containertypes.MinimumDuration, 1ms
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")


def decode_checks(config: dict[str, Any], hc: dict[str, Any]) -> None:
    """runconfig decodeContainerConfig: network-mode conflicts, isolation, QoS, CPU shares."""
    mode = hc["NetworkMode"]
    if mode == "container" or mode.startswith("container:"):
        if mode.partition(":")[2] == "":
            raise errdefs.InvalidArgument(
                "invalid network mode: invalid container format container:<name|id>"
            )
        conflicts = (
            (config["Hostname"], "conflicting options: hostname and the network mode"),
            (hc["Links"], "conflicting options: container type network can't be used with "
             "links. This would result in undefined behavior"),
            (hc["Dns"], "conflicting options: dns and the network mode"),
            (hc["ExtraHosts"], "conflicting options: custom host-to-IP mapping and the network "
             "mode"),
            (config.get("MacAddress"), "conflicting options: mac-address and the network mode"),
            (hc["PortBindings"] or hc["PublishAllPorts"], "conflicting options: port publishing "
             "and the container type network mode"),
            (config.get("ExposedPorts"), "conflicting options: port exposing and the container "
             "type network mode"),
        )  # fmt: skip
        for present, message in conflicts:
            if present:
                raise errdefs.InvalidArgument(message)
    if hc["UTSMode"] == "host" and config["Hostname"]:
        raise errdefs.InvalidArgument("conflicting options: hostname and the UTS mode")
    if mode == "host" and hc["Links"]:
        raise errdefs.InvalidArgument(
            "conflicting options: host type networking can't be used with links. This would "
            "result in undefined behavior"
        )
    if hc["Isolation"] not in ("", "default"):
        raise errdefs.InvalidArgument(
            f"invalid isolation ({hc['Isolation']}): linux only supports 'default'"
        )
    if hc["IOMaximumBandwidth"]:
        raise errdefs.InvalidArgument(
            "invalid option: QoS maximum bandwidth configuration is not supported on linux"
        )
    if hc["IOMaximumIOps"]:
        raise errdefs.InvalidArgument(
            "invalid option: QoS maximum IOPs configuration is not supported on linux"
        )
    if hc["CpuShares"] < 0:
        raise errdefs.InvalidArgument(
            f"invalid CPU shares ({hc['CpuShares']}): value must be a positive integer"
        )


def validate_config(config: dict[str, Any]) -> None:
    """moby validateContainerConfig and the hostname length check."""
    wd = config["WorkingDir"]
    if wd:
        if not wd.startswith("/"):
            raise errdefs.InvalidArgument(
                f"the working directory '{wd}' is invalid, it needs to be an absolute path"
            )
        config["WorkingDir"] = os.path.normpath(wd).replace("//", "/")
    if config.get("StopSignal"):
        signal_number(config["StopSignal"])
    for env in config["Env"] or []:
        if env.partition("=")[0] == "":
            raise errdefs.InvalidArgument(f"invalid environment variable: {env}")
    health = config.get("Healthcheck")
    if health:
        for key in ("Interval", "Timeout", "StartPeriod", "StartInterval"):
            value = health.get(key) or 0
            if value != 0 and value < MIN_DURATION_NS:
                raise errdefs.InvalidArgument(f"{key} in Healthcheck cannot be less than 1ms")
        if (health.get("Retries") or 0) < 0:
            raise errdefs.InvalidArgument("Retries in Healthcheck cannot be negative")
    if len(config["Hostname"].encode()) > MAX_HOSTNAME:
        raise errdefs.InvalidArgument(
            f'hostname "{config["Hostname"]}" is too long (maximum {MAX_HOSTNAME} bytes)'
        )


def validate_host_config(hc: dict[str, Any]) -> None:
    """moby validateHostConfig."""
    if hc["AutoRemove"] and hc["RestartPolicy"].get("Name") not in ("", "no"):
        raise errdefs.InvalidArgument("can't create 'AutoRemove' container with restart policy")
    for m in hc["Mounts"] or []:
        if not isinstance(m, dict):
            raise errdefs.InvalidArgument("invalid JSON: Mounts entries must be objects")
        mounts.parse_mount(m)
    for spec in hc["VolumesFrom"] or []:
        mounts.parse_volumes_from(spec)
    for host in hc["ExtraHosts"] or []:
        split_extra_host(host)
    validate_port_bindings(hc["PortBindings"])
    validate_restart_policy(hc["RestartPolicy"])
    security.validate_caps(hc["CapAdd"] or [], hc["CapDrop"] or [])
    for key in hc.get("Annotations") or {}:
        if key == "":
            raise errdefs.InvalidArgument(
                "invalid Annotations: the empty string is not permitted as an annotation key"
            )


def verify_platform(config: dict[str, Any], hc: dict[str, Any]) -> list[str]:
    """moby verifyPlatformContainerSettings, after the resource checks."""
    warnings: list[str] = []
    for key, what, valid in (
        ("IpcMode", "IPC", ("", "none", "private", "host", "shareable")),
        ("PidMode", "PID", ("", "host")),
        ("UTSMode", "UTS", ("", "host")),
        ("CgroupnsMode", "cgroup namespace", ("", "private", "host")),
    ):
        value = hc[key]
        if value.startswith("container:") and key in ("IpcMode", "PidMode"):
            if value == "container:":
                raise errdefs.InvalidArgument(f"invalid {what} mode: {value}")
            raise errdefs.Unimplemented(f"{key} container:<name|id> is not supported yet")
        if value not in valid:
            raise errdefs.InvalidArgument(f"invalid {what} mode: {value}")
    if hc["UsernsMode"] not in ("", "host"):
        raise errdefs.InvalidArgument(f"invalid USER mode: {hc['UsernsMode']}")
    if hc["ShmSize"] < 0:
        raise errdefs.InvalidArgument("SHM size can not be less than 0")
    if not -1000 <= hc["OomScoreAdj"] <= 1000:
        raise errdefs.InvalidArgument(
            f"Invalid value {hc['OomScoreAdj']}, range for oom score adj is [-1000, 1000]"
        )
    if hc["NetworkMode"] == "host" and hc["PortBindings"]:
        warnings.append("Published ports are discarded when using host network mode")
    for dest in hc.get("Tmpfs") or {}:
        mounts.validate_tmpfs_destination(dest)
    return warnings


def validate_restart_policy(policy: Mapping[str, Any]) -> None:
    """moby container.ValidateRestartPolicy."""
    name, count = policy.get("Name") or "", policy.get("MaximumRetryCount") or 0
    if name in ("always", "unless-stopped", "no"):
        if count != 0:
            msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'"
            raise errdefs.InvalidArgument(msg + (" and cannot be negative" if count < 0 else ""))
    elif name == "on-failure":
        if count < 0:
            raise errdefs.InvalidArgument(
                "invalid restart policy: maximum retry count cannot be negative"
            )
    elif name != "":
        raise errdefs.InvalidArgument(
            f"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'"
        )


def _valid_port(spec: str) -> bool:
    number, _, proto = spec.partition("/")
    if proto not in ("", "tcp", "udp", "sctp"):
        return False
    lo, _, hi = number.partition("-")
    return all(p.isdigit() and 0 < int(p) <= 65535 for p in (lo, hi or lo))


def validate_port_bindings(bindings: Mapping[str, Any] | None) -> None:
    """moby validatePortBindings: keys "80/tcp", HostPort "8080" or "8000-8010"."""
    for port, entries in (bindings or {}).items():
        if not _valid_port(port):
            raise errdefs.InvalidArgument(f'invalid port specification: "{port}"')
        for entry in entries or []:
            host_port = (entry or {}).get("HostPort") or ""
            if host_port and not _valid_port(host_port + "/tcp"):
                raise errdefs.InvalidArgument(f'invalid port specification: "{host_port}"')
