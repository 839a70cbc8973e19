"""Go's JSON decoding of a create or update body into Docker's Config and HostConfig.

The field tables list every field of moby's container.Config and container.HostConfig (with
the Resources embedded in it) in the order `docker inspect` prints them, each with its kind and
Go zero value. `decode` behaves like json.Unmarshal into those structs: keys match without
regard to case, unknown keys are ignored, absent or null fields take their zero value, and a
wrong type is refused with Go's "invalid JSON: json: cannot unmarshal ..." message.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs

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
