"""POST /containers/create: validate a body and normalise it to what `docker inspect` shows.

The body is Docker's container Config with `HostConfig` and `NetworkingConfig` beside it.
`parse_create` checks types (Go's JSON decoding, in `configdecode`), applies the API version
adjustments of moby's postContainersCreate, merges the image config (moby daemon/commit.go
merge), validates with moby's messages (daemon/container.go verifyContainerSettings, in
`verify`; daemon_unix.go verifyPlatformContainerResources, in `resources`) and fills Docker's
defaults (adaptContainerSettings, newContainer), so Config and HostConfig are stored in the
full shape inspect prints. `validate_update` is the same for POST /containers/{id}/update.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.containers import mounts, netmode, security
from dockyard.containers.configdecode import CONFIG_FIELDS, HOST_CONFIG_FIELDS, decode
from dockyard.containers.deps import Defaults
from dockyard.containers.resources import (
    LINUX_MIN_MEMORY,
    UPDATABLE,
    cgroup_v2,
    verify_resources,
)
from dockyard.containers.signals import signal_number
from dockyard.containers.verify import (
    MAX_HOSTNAME,
    MIN_DURATION_NS,
    RESTART_POLICIES,
    decode_checks,
    validate_config,
    validate_host_config,
    validate_port_bindings,
    validate_restart_policy,
    verify_platform,
)
from dockyard.images.image import Image
from dockyard.utils.record import field, record

# The names other modules and tests have imported from here since before the split.
__all__ = [
    "CONFIG_FIELDS",
    "DOCKER_LOG_DRIVERS",
    "HOST_CONFIG_FIELDS",
    "LINUX_MIN_MEMORY",
    "LOG_DRIVERS",
    "MAX_HOSTNAME",
    "MIN_DURATION_NS",
    "RESTART_POLICIES",
    "UPDATABLE",
    "CreateRequest",
    "cgroup_v2",
    "decode",
    "merge_image",
    "parse_create",
    "signal_number",
    "validate_port_bindings",
    "validate_restart_policy",
    "validate_update",
    "verify_resources",
    "version_less",
]

LOG_DRIVERS = {
    "json-file": ("max-file", "max-size", "compress", "labels", "labels-regex", "env",
                  "env-regex", "tag"),
    "local": ("max-file", "max-size", "compress"),
    "none": (),
}  # fmt: skip
DOCKER_LOG_DRIVERS = ("syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "etwlogs",
                      "gcplogs", "logentries")  # fmt: skip


@record
class CreateRequest:
    """A validated, normalised create request. `mounts` are the MountPoint documents inspect
    shows (Container.mounts)."""

    config: dict[str, Any]
    host_config: dict[str, Any]
    networking_config: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)


def parse_create(
    body: Mapping[str, Any],
    *,
    image: Image | None,
    api_version: str,
    container_id: str,
    defaults: Defaults | None = None,
    default_runtime: str = "",
) -> CreateRequest:
    """Validate and normalise a create body; InvalidArgument with Docker's messages."""
    defaults = defaults or Defaults()
    if not isinstance(body, Mapping):
        raise errdefs.InvalidArgument("invalid JSON: body must be a JSON object")
    top = {k: v for k, v in body.items() if k.lower() not in ("hostconfig", "networkingconfig")}
    raw_hc = next((v for k, v in body.items() if k.lower() == "hostconfig"), None)
    raw_nc = next((v for k, v in body.items() if k.lower() == "networkingconfig"), None)
    config = decode(top, CONFIG_FIELDS, "Config")
    hc = decode(raw_hc or {}, HOST_CONFIG_FIELDS, "HostConfig")
    networking = _networking(raw_nc)
    warnings: list[str] = []

    decode_checks(config, hc)
    if hc["NetworkMode"] in ("", "default"):
        hc["NetworkMode"] = "bridge"
        endpoints = networking["EndpointsConfig"]
        if "default" in endpoints:
            endpoints["bridge"] = endpoints.pop("default")
    _version_adjustments(config, hc, networking, api_version)
    if hc.get("PidsLimit") is not None and hc["PidsLimit"] <= 0:
        hc["PidsLimit"] = None
    if not hc["RestartPolicy"].get("Name"):
        hc["RestartPolicy"]["Name"] = "no"

    validate_config(config)
    validate_host_config(hc)
    netmode.validate(hc, networking)
    warnings += verify_resources(hc, update=False)
    warnings += verify_platform(config, hc)
    _adapt(hc, defaults, default_runtime)
    if image is not None:
        merge_image(config, image)
    if len(config["Entrypoint"] or []) == 1 and config["Entrypoint"][0] == "":
        config["Entrypoint"] = None
    if not config["Entrypoint"] and not config["Cmd"]:
        raise errdefs.InvalidArgument("no command specified")
    hc["LogConfig"] = _log_config(hc["LogConfig"], defaults)
    if not config["Hostname"]:
        config["Hostname"] = (
            socket.gethostname() if hc["NetworkMode"] == "host" else container_id[:12]
        )
    security.parse_security_opt(hc["SecurityOpt"] or [])
    mount_docs = mounts.inspect_mounts(hc)
    if hc["MaskedPaths"] is None and not hc["Privileged"]:
        hc["MaskedPaths"] = security.masked_paths()
    if hc["ReadonlyPaths"] is None and not hc["Privileged"]:
        hc["ReadonlyPaths"] = list(security.READONLY_PATHS)
    _drop_omitempty(config, hc)
    return CreateRequest(
        config=config,
        host_config=hc,
        networking_config=networking,
        warnings=warnings,
        mounts=mount_docs,
    )


def _networking(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {"EndpointsConfig": {}}
    if not isinstance(raw, dict):
        raise errdefs.InvalidArgument(
            "invalid JSON: json: cannot unmarshal into Go struct field "
            "CreateRequest.NetworkingConfig of type network.NetworkingConfig"
        )
    endpoints = next((v for k, v in raw.items() if k.lower() == "endpointsconfig"), None) or {}
    if not isinstance(endpoints, dict):
        raise errdefs.InvalidArgument(
            "invalid JSON: json: cannot unmarshal into Go struct field "
            "NetworkingConfig.EndpointsConfig of type map[string]*network.EndpointSettings"
        )
    return {"EndpointsConfig": copy.deepcopy(endpoints)}


def _version_adjustments(
    config: dict[str, Any], hc: dict[str, Any], networking: dict[str, Any], version: str
) -> None:
    """moby postContainersCreate's per-API-version changes."""
    if version_less(version, "1.25"):
        hc["AutoRemove"] = False
    if version_less(version, "1.40"):
        hc["KernelMemoryTCP"] = 0
        if not hc["IpcMode"]:
            hc["IpcMode"] = "shareable"
    for m in hc["Mounts"] or []:
        kind = m.get("Type")
        if version_less(version, "1.42"):
            if kind != "volume":
                m.pop("VolumeOptions", None)
            if kind != "tmpfs":
                m.pop("TmpfsOptions", None)
            if m.get("BindOptions"):
                m["BindOptions"].pop("CreateMountpoint", None)
        else:
            for opt, want in (("VolumeOptions", "volume"), ("BindOptions", "bind"),
                              ("TmpfsOptions", "tmpfs")):  # fmt: skip
                if m.get(opt) is not None and kind != want:
                    raise errdefs.InvalidArgument(
                        f'{opt} must not be specified on mount type "{kind}"'
                    )
        force_recursive = (m.get("BindOptions") or {}).get("ReadOnlyForceRecursive")
        if version_less(version, "1.44") and kind == "bind" and force_recursive:
            raise errdefs.InvalidArgument(
                "BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer"
            )
    if version_less(version, "1.42"):
        hc["ConsoleSize"] = [0, 0]
    else:
        hc["KernelMemory"] = 0
    if version_less(version, "1.43"):
        hc["Annotations"] = None
    if version_less(version, "1.44"):
        if config.get("Healthcheck"):
            config["Healthcheck"]["StartInterval"] = 0
        endpoints = networking["EndpointsConfig"]
        if len(endpoints) > 1:
            raise errdefs.InvalidArgument(
                "Container cannot be created with multiple network endpoints: "
                + ", ".join(endpoints)
            )


def _adapt(hc: dict[str, Any], defaults: Defaults, default_runtime: str) -> None:
    """moby adaptContainerSettings, plus the daemon's default runtime when the caller names it."""
    if hc["Memory"] > 0 and hc["MemorySwap"] == 0:
        hc["MemorySwap"] = hc["Memory"] * 2
    if hc["ShmSize"] == 0:
        hc["ShmSize"] = defaults.shm_size
    if not hc["IpcMode"]:
        hc["IpcMode"] = "private"
    if not hc["CgroupnsMode"]:
        hc["CgroupnsMode"] = "private" if cgroup_v2() else "host"
    if hc["OomKillDisable"] is None:
        hc["OomKillDisable"] = False
    if not hc["Runtime"] and default_runtime:
        hc["Runtime"] = default_runtime


def _log_config(raw: Any, defaults: Defaults) -> dict[str, Any]:
    """mergeAndVerifyLogConfig: the daemon's driver and options fill what the request lacks."""
    raw = raw or {}
    driver = raw.get("Type") or defaults.log_driver
    opts = dict(raw.get("Config") or {})
    if driver == defaults.log_driver:
        for key, value in defaults.log_opts.items():
            opts.setdefault(key, value)
    if driver in DOCKER_LOG_DRIVERS:
        raise errdefs.Unimplemented(f"logging driver {driver!r} is not supported yet")
    if driver not in LOG_DRIVERS:
        raise errdefs.InvalidArgument(f"logger: no log driver named '{driver}' is registered")
    if driver != "none":
        for key in opts:
            if key not in LOG_DRIVERS[driver]:
                raise errdefs.InvalidArgument(f"unknown log opt '{key}' for {driver} log driver")
    return {"Type": driver, "Config": opts}


def merge_image(config: dict[str, Any], image: Image) -> None:
    """moby daemon/commit.go merge(userConf, imageConf): the body wins, the image fills in."""
    ic = image.config
    if not config["User"]:
        config["User"] = ic.user
    if ic.exposed_ports:
        ports = config.get("ExposedPorts") or {}
        for port in ic.exposed_ports:
            ports.setdefault(port, {})
        config["ExposedPorts"] = ports
    if not config["Env"]:
        config["Env"] = list(ic.env) if ic.env is not None else None
    else:
        keys = {e.partition("=")[0] for e in config["Env"]}
        config["Env"] += [e for e in ic.env or () if e.partition("=")[0] not in keys]
    labels = config["Labels"] if config["Labels"] is not None else {}
    for key, value in (ic.labels or {}).items():
        labels.setdefault(key, value)
    config["Labels"] = labels
    if not config["Entrypoint"]:
        if not config["Cmd"]:
            config["Cmd"] = list(ic.cmd) if ic.cmd is not None else None
        if config["Entrypoint"] is None:
            config["Entrypoint"] = list(ic.entrypoint) if ic.entrypoint is not None else None
    _merge_healthcheck(config, image)
    if not config["WorkingDir"]:
        config["WorkingDir"] = ic.working_dir
    if not config["Volumes"]:
        config["Volumes"] = {v: {} for v in ic.volumes} if ic.volumes is not None else None
    else:
        for v in ic.volumes or ():
            config["Volumes"][v] = {}
    if not config.get("StopSignal"):
        config["StopSignal"] = ic.stop_signal


def _merge_healthcheck(config: dict[str, Any], image: Image) -> None:
    hc = image.config.healthcheck
    if hc is None:
        return
    doc = {
        "Test": list(hc.test) if hc.test is not None else None,
        "Interval": hc.interval,
        "Timeout": hc.timeout,
        "StartPeriod": hc.start_period,
        "StartInterval": hc.start_interval,
        "Retries": hc.retries,
    }
    user = config.get("Healthcheck")
    if not user:
        config["Healthcheck"] = {k: v for k, v in doc.items() if v or k == "Test"}
        return
    for key, value in doc.items():
        if not user.get(key):
            user[key] = value


def _drop_omitempty(config: dict[str, Any], hc: dict[str, Any]) -> None:
    """Fields Docker marshals with `omitempty` are absent when empty (pointers when nil)."""
    pointers = ("StopTimeout", "Init")
    for doc, keys in (
        (config, ("ExposedPorts", "Healthcheck", "ArgsEscaped", "NetworkDisabled",
                  "MacAddress", "StopSignal", "StopTimeout", "Shell")),
        (hc, ("KernelMemory", "KernelMemoryTCP", "Annotations", "StorageOpt", "Tmpfs",
              "Sysctls", "Runtime", "Mounts", "Init")),
    ):  # fmt: skip
        for key in keys:
            value = doc.get(key)
            if value is None or (key not in pointers and not value):
                doc.pop(key, None)


def validate_update(body: Mapping[str, Any]) -> dict[str, Any]:
    """POST /containers/{id}/update: the resources and RestartPolicy given, validated (moby
    verifyPlatformContainerResources with update=True); only the keys sent are returned."""
    if not isinstance(body, Mapping):
        raise errdefs.InvalidArgument("invalid JSON: body must be a JSON object")
    full = decode(body, HOST_CONFIG_FIELDS, "UpdateConfig")
    sent = {
        name
        for name in HOST_CONFIG_FIELDS
        if any(k.lower() == name.lower() for k in body)
        and (name in UPDATABLE or name == "RestartPolicy")
    }
    if "RestartPolicy" in sent:
        validate_restart_policy(full["RestartPolicy"])
    verify_resources(full, update=True)
    out = {name: full[name] for name in sent}
    if "PidsLimit" in out and out["PidsLimit"] is not None and out["PidsLimit"] <= 0:
        out["PidsLimit"] = -1  # runc needs -1 to lift an earlier limit
    return out


def version_less(version: str, other: str) -> bool:
    """moby versions.LessThan on "major.minor" strings."""

    def parts(v: str) -> list[int]:
        return [int(p) if p.isdigit() else 0 for p in v.split(".")]

    return parts(version) < parts(other)
