"""POST /containers/create: validate a body and normalise it to what `docker inspect` shows.

The body is Docker's container Config with `HostConfig` and `NetworkingConfig` beside it.
`parse_create` checks types (Go's JSON decoding: keys match without regard to case, unknown keys
are ignored, a wrong type is "invalid JSON: json: cannot unmarshal ..."), applies the API
version adjustments of moby's postContainersCreate, merges the image config (moby
daemon/commit.go merge), validates with moby's messages (daemon/container.go
verifyContainerSettings, daemon_unix.go verifyPlatformContainerResources) and fills Docker's
defaults (adaptContainerSettings, newContainer), so Config and HostConfig are stored in the
full shape inspect prints.
"""

from __future__ import annotations

import copy
import os
import socket
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.containers import mounts, security
from dockyard.containers.deps import Defaults
from dockyard.containers.etcfiles import split_extra_host
from dockyard.images.image import Image
from dockyard.utils.record import field, record

MAX_HOSTNAME = 64  # HOST_NAME_MAX
MIN_DURATION_NS = 1_000_000  # containertypes.MinimumDuration, 1ms
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


def cgroup_v2() -> bool:
    """Is /sys/fs/cgroup the unified hierarchy (Docker's default cgroupns mode follows)?"""
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


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

    _decode_checks(config, hc)
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

    _validate_config(config)
    _validate_host_config(hc)
    warnings += verify_resources(hc, update=False)
    warnings += _verify_platform(config, hc)
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


def _decode_checks(config: dict[str, Any], hc: dict[str, Any]) -> None:
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
            (hc["PortBindings"] or hc["PublishAllPorts"], "conflicting options: port publishing "
             "and the container type network mode"),
            (config.get("ExposedPorts"), "conflicting options: port exposing and the container "
             "type network mode"),
        )  # fmt: skip
        for present, message in conflicts:
            if present:
                raise errdefs.InvalidArgument(message)
        raise errdefs.Unimplemented("network mode container:<name|id> is not supported yet")
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


def _validate_config(config: dict[str, Any]) -> None:
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


def _validate_host_config(hc: dict[str, Any]) -> None:
    """moby validateHostConfig."""
    if hc["AutoRemove"] and hc["RestartPolicy"].get("Name") not in ("", "no"):
        raise errdefs.InvalidArgument("can't create 'AutoRemove' container with restart policy")
    for m in hc["Mounts"] or []:
        if not isinstance(m, dict):
            raise errdefs.InvalidArgument("invalid JSON: Mounts entries must be objects")
        mounts.parse_mount(m)
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


def _verify_platform(config: dict[str, Any], hc: dict[str, Any]) -> list[str]:
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


# -- decoding ----------------------------------------------------------------------------------
# Field tables in the order `docker inspect` prints them: name -> (kind, zero value).
_Kind = tuple[str, Any]
CONFIG_FIELDS: dict[str, _Kind] = {
    "Hostname": ("str", ""), "Domainname": ("str", ""), "User": ("str", ""),
    "AttachStdin": ("bool", False), "AttachStdout": ("bool", False),
    "AttachStderr": ("bool", False), "ExposedPorts": ("map", None), "Tty": ("bool", False),
    "OpenStdin": ("bool", False), "StdinOnce": ("bool", False), "Env": ("list", None),
    "Cmd": ("strslice", None), "Healthcheck": ("obj", None), "ArgsEscaped": ("bool", False),
    "Image": ("str", ""), "Volumes": ("map", None), "WorkingDir": ("str", ""),
    "Entrypoint": ("strslice", None), "NetworkDisabled": ("bool", False),
    "MacAddress": ("str", ""), "OnBuild": ("list", None), "Labels": ("strmap", None),
    "StopSignal": ("str", ""), "StopTimeout": ("optint", None), "Shell": ("strslice", None),
}  # fmt: skip
HOST_CONFIG_FIELDS: dict[str, _Kind] = {
    "Binds": ("list", None), "ContainerIDFile": ("str", ""),
    "LogConfig": ("obj", {"Type": "", "Config": None}), "NetworkMode": ("str", ""),
    "PortBindings": ("map", None),
    "RestartPolicy": ("obj", {"Name": "", "MaximumRetryCount": 0}),
    "AutoRemove": ("bool", False), "VolumeDriver": ("str", ""), "VolumesFrom": ("list", None),
    "ConsoleSize": ("any", [0, 0]), "Annotations": ("strmap", None),
    "CapAdd": ("strslice", None), "CapDrop": ("strslice", None), "CgroupnsMode": ("str", ""),
    "Dns": ("list", None), "DnsOptions": ("list", None), "DnsSearch": ("list", None),
    "ExtraHosts": ("list", None), "GroupAdd": ("list", None), "IpcMode": ("str", ""),
    "Cgroup": ("str", ""), "Links": ("list", None), "OomScoreAdj": ("int", 0),
    "PidMode": ("str", ""), "Privileged": ("bool", False), "PublishAllPorts": ("bool", False),
    "ReadonlyRootfs": ("bool", False), "SecurityOpt": ("list", None),
    "StorageOpt": ("strmap", None), "Tmpfs": ("strmap", None), "UTSMode": ("str", ""),
    "UsernsMode": ("str", ""), "ShmSize": ("int", 0), "Sysctls": ("strmap", None),
    "Runtime": ("str", ""), "Isolation": ("str", ""), "CpuShares": ("int", 0),
    "Memory": ("int", 0), "NanoCpus": ("int", 0), "CgroupParent": ("str", ""),
    "BlkioWeight": ("int", 0), "BlkioWeightDevice": ("objlist", None),
    "BlkioDeviceReadBps": ("objlist", None), "BlkioDeviceWriteBps": ("objlist", None),
    "BlkioDeviceReadIOps": ("objlist", None), "BlkioDeviceWriteIOps": ("objlist", None),
    "CpuPeriod": ("int", 0), "CpuQuota": ("int", 0), "CpuRealtimePeriod": ("int", 0),
    "CpuRealtimeRuntime": ("int", 0), "CpusetCpus": ("str", ""), "CpusetMems": ("str", ""),
    "Devices": ("objlist", None), "DeviceCgroupRules": ("list", None),
    "DeviceRequests": ("objlist", None), "KernelMemory": ("int", 0),
    "KernelMemoryTCP": ("int", 0), "MemoryReservation": ("int", 0), "MemorySwap": ("int", 0),
    "MemorySwappiness": ("optint", None), "OomKillDisable": ("optbool", None),
    "PidsLimit": ("optint", None), "Ulimits": ("objlist", None), "CpuCount": ("int", 0),
    "CpuPercent": ("int", 0), "IOMaximumIOps": ("int", 0), "IOMaximumBandwidth": ("int", 0),
    "Mounts": ("objlist", None), "MaskedPaths": ("list", None), "ReadonlyPaths": ("list", None),
    "Init": ("optbool", None),
}  # fmt: skip
_GO_TYPES = {"str": "string", "bool": "bool", "int": "int64", "list": "[]string",
             "strslice": "strslice.StrSlice", "map": "map[string]struct {}",
             "strmap": "map[string]string", "obj": "struct", "objlist": "[]struct",
             "optint": "int64", "optbool": "bool", "any": "value"}  # fmt: skip


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _typed(value: Any, kind: str) -> bool:
    if kind in ("str",):
        return isinstance(value, str)
    if kind in ("bool", "optbool"):
        return isinstance(value, bool)
    if kind in ("int", "optint"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "strslice":
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    if kind in ("map", "obj"):
        return isinstance(value, dict)
    if kind == "strmap":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == "objlist":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return True


def decode(raw: Mapping[str, Any], fields: Mapping[str, _Kind], where: str) -> dict[str, Any]:
    """Go's json.Unmarshal into a struct: every field present (zero value when absent or
    null), keys matched case-insensitively, unknown keys dropped, wrong types refused."""
    if not isinstance(raw, Mapping):
        raise errdefs.InvalidArgument(
            f"invalid JSON: json: cannot unmarshal {_json_type(raw)} into Go value of type "
            f"container.{where}"
        )
    by_lower = {k.lower(): v for k, v in raw.items()}
    out: dict[str, Any] = {}
    for name, (kind, zero) in fields.items():
        value = by_lower.get(name.lower())
        if value is None:
            out[name] = copy.deepcopy(zero)
            continue
        if not _typed(value, kind):
            raise errdefs.InvalidArgument(
                f"invalid JSON: json: cannot unmarshal {_json_type(value)} into Go struct field "
                f"{where}.{name} of type {_GO_TYPES[kind]}"
            )
        if kind == "strslice" and isinstance(value, str):
            value = [value]
        out[name] = copy.deepcopy(value)
    for name in ("LogConfig", "RestartPolicy"):
        if name in out:
            out[name] = {**fields[name][1], **out[name]}
    return out


def version_less(version: str, other: str) -> bool:
    """moby versions.LessThan on "major.minor" strings."""

    def parts(v: str) -> list[int]:
        return [int(p) if p.isdigit() else 0 for p in v.split(".")]

    return parts(version) < parts(other)


_SIGNALS = {
    "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8, "HUP": 1,
    "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13, "POLL": 29, "PROF": 27,
    "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16, "STOP": 19, "SYS": 31, "TERM": 15,
    "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "USR1": 10, "USR2": 12,
    "VTALRM": 26, "WINCH": 28, "XCPU": 24, "XFSZ": 25,
}  # fmt: skip


def signal_number(name: str) -> int:
    """moby signal.ParseSignal: a number, or a name with or without SIG, RTMIN+n/RTMAX-n."""
    if name.isdigit():
        number = int(name)
        if number == 0:
            raise errdefs.InvalidArgument(f"Invalid signal: {name}")
        return number
    short = name.upper().removeprefix("SIG")
    if short in _SIGNALS:
        return _SIGNALS[short]
    for base, sign, number in (("RTMIN", 1, 34), ("RTMAX", -1, 64)):
        if short == base:
            return number
        if short.startswith(base + ("+" if sign > 0 else "-")):
            offset = short[len(base) + 1 :]
            if offset.isdigit() and 1 <= int(offset) <= 15:
                return number + sign * int(offset)
    raise errdefs.InvalidArgument(f"Invalid signal: {name}")


# -- resources -----------------------------------------------------------------------------------
LINUX_MIN_MEMORY = 6 * 1024 * 1024
UPDATABLE = (
    "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
    "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
    "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus",
    "CpusetMems", "Devices", "DeviceCgroupRules", "DeviceRequests", "KernelMemory",
    "KernelMemoryTCP", "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable",
    "PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
)  # fmt: skip
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")


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


def _swap_limit_supported() -> bool:
    if cgroup_v2():
        return True
    return os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")


def _cpu_list(text: str) -> set[int] | None:
    cpus: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return None
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def _check_cpuset(value: str, kind: str, available_path: str) -> None:
    if not value:
        return
    wanted = _cpu_list(value)
    if wanted is None:
        raise errdefs.InvalidArgument(f"Invalid value {value} for cpuset {kind}")
    try:
        with open(available_path) as f:
            available_text = f.read().strip()
    except OSError:
        return
    if not wanted <= (_cpu_list(available_text) or set()):
        what = "CPUs" if kind == "cpus" else "memory nodes"
        raise errdefs.InvalidArgument(
            f"Requested {what} are not available - requested {value}, available: {available_text}"
        )


def verify_resources(hc: dict[str, Any], *, update: bool) -> list[str]:
    """moby verifyPlatformContainerResources; adjusts hc in place like Docker, returns warnings."""
    warnings: list[str] = []
    memory, swap = hc.get("Memory") or 0, hc.get("MemorySwap") or 0
    if memory != 0 and memory < LINUX_MIN_MEMORY:
        raise errdefs.InvalidArgument("Minimum memory limit allowed is 6MB")
    if memory > 0 and swap != -1 and not _swap_limit_supported():
        warnings.append(
            "Your kernel does not support swap limit capabilities or the cgroup is not "
            "mounted. Memory limited without swap."
        )
        hc["MemorySwap"] = swap = -1
    if memory > 0 and swap > 0 and swap < memory:
        raise errdefs.InvalidArgument(
            "Minimum memoryswap limit should be larger than memory limit, see usage"
        )
    if memory == 0 and swap > 0 and not update:
        raise errdefs.InvalidArgument(
            "You should always set the Memory limit when using Memoryswap limit, see usage"
        )
    swappiness = hc.get("MemorySwappiness")
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise errdefs.InvalidArgument(
            f"Invalid value: {swappiness}, valid memory swappiness range is 0-100"
        )
    if swappiness == -1:
        hc["MemorySwappiness"] = None  # fixMemorySwappiness: -1 means "not set"
    reservation = hc.get("MemoryReservation") or 0
    if reservation > 0 and reservation < LINUX_MIN_MEMORY:
        raise errdefs.InvalidArgument("Minimum memory reservation allowed is 6MB")
    if memory > 0 and reservation > 0 and memory < reservation:
        raise errdefs.InvalidArgument(
            "Minimum memory limit can not be less than memory reservation limit, see usage"
        )
    if hc.get("OomKillDisable") and memory == 0:
        warnings.append(
            "OOM killer is disabled for the container, but no memory limit is set, this can "
            "result in the system running out of resources."
        )
    warnings += _verify_cpu(hc)
    blkio = hc.get("BlkioWeight") or 0
    if blkio > 0 and not 10 <= blkio <= 1000:
        raise errdefs.InvalidArgument("Range of blkio weight is from 10 to 1000")
    if hc.get("IOMaximumBandwidth") or hc.get("IOMaximumIOps"):
        raise errdefs.InvalidArgument(
            "Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps"
        )
    return warnings


def _verify_cpu(hc: dict[str, Any]) -> list[str]:
    warnings: list[str] = []
    nano, period, quota = hc.get("NanoCpus") or 0, hc.get("CpuPeriod") or 0, hc.get("CpuQuota") or 0
    if nano > 0 and period > 0:
        raise errdefs.InvalidArgument(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set"
        )
    if nano > 0 and quota > 0:
        raise errdefs.InvalidArgument(
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set"
        )
    if nano != 0:
        n = os.cpu_count() or 1
        if nano < 0 or nano > n * 1_000_000_000:
            raise errdefs.InvalidArgument(
                f"range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available"
            )
    if period != 0 and not 1000 <= period <= 1_000_000:
        raise errdefs.InvalidArgument(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"
        )
    if quota > 0 and quota < 1000:
        raise errdefs.InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if (hc.get("CpuPercent") or 0) > 0:
        warnings.append("linux does not support CPU percent. Percent discarded.")
        hc["CpuPercent"] = 0
    root = "/sys/fs/cgroup" if cgroup_v2() else "/sys/fs/cgroup/cpuset"
    suffix = ".effective" if cgroup_v2() else ""
    _check_cpuset(hc.get("CpusetCpus") or "", "cpus", f"{root}/cpuset.cpus{suffix}")
    _check_cpuset(hc.get("CpusetMems") or "", "mems", f"{root}/cpuset.mems{suffix}")
    return warnings
