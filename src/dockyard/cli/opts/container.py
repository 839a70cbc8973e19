"""`run` / `create` flags -> the Engine API's create body (docker's opts.go `parse`).

`build` returns {...Config, "HostConfig": {...}, "NetworkingConfig": {...}} with the fields
the docker CLI sends, in its order, so the daemon sees the same body from either CLI. Flag
values are checked first, in flag order, as pflag would while reading them (`flagvalues.py`,
`FlagValueError`); then the combinations, as docker's parse does (`OptionError`).
"""

from __future__ import annotations

import os

from dockyard.cli.opts import kv, mounts, ports, validate
from dockyard.cli.opts.errors import OptionError
from dockyard.cli.opts.flagvalues import FlagValues

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from dockyard.cli.command import Options

Body = dict[str, object]


def build(
    opts: Options,
    image: str,
    args: list[str],
    *,
    environ: Mapping[str, str] | None = None,
) -> Body:
    """The create body for `image` and `args` under `opts` (a Linux daemon)."""
    env = os.environ if environ is None else environ
    r = FlagValues(opts, env)
    try:
        return _parse(opts, r, image, args, env)
    except ValueError as err:
        raise OptionError(str(err)) from None


def _parse(
    opts: Options, r: FlagValues, image: str, args: list[str], environ: Mapping[str, str]
) -> Body:
    o = opts
    attach_stdin = "stdin" in r.attach
    attach_stdout = "stdout" in r.attach
    attach_stderr = "stderr" in r.attach
    mac = o.string("mac-address")
    if mac and not validate.parse_mac(mac):
        raise ValueError(f"{mac} is not a valid mac address")
    if o.boolean("interactive"):
        attach_stdin = True
    if not r.attach:
        attach_stdout = attach_stderr = True
    swappiness = o.integer("memory-swappiness")
    if swappiness != -1 and not 0 <= swappiness <= 100:
        raise ValueError(f"invalid value: {swappiness}. Valid memory swappiness range is 0-100")

    binds, volumes = _volumes(o.strings("volume"))
    tmpfs = mounts.parse_tmpfs(o.strings("tmpfs"))
    entrypoint: list[str] | None = None
    if o.string("entrypoint"):
        entrypoint = [o.string("entrypoint")]
    elif o.changed("entrypoint"):
        entrypoint = [""]  # `--entrypoint=""` resets the image's entrypoint

    exposed, port_bindings = ports.parse_publish(o.strings("publish"))
    ports.parse_expose(o.strings("expose"), exposed)
    devices, cdi_names = _devices(o.strings("device"))
    env = kv.read_kv_strings(o.strings("env-file"), r.env, environ=environ)
    labels = kv.read_kv_strings(o.strings("label-file"), r.labels)
    pid_mode, uts, userns, cgroupns = _namespaces(o)
    restart = validate.parse_restart_policy(o.string("restart"))
    log_opts = kv.kv_to_map(o.strings("log-opt"))
    if o.string("log-driver") == "none" and o.strings("log-opt"):
        raise ValueError(f"invalid logging opts for driver {o.string('log-driver')}")
    security, masked, readonly_paths = _security(o.strings("security-opt"))
    storage = _storage(o.strings("storage-opt"))
    health = _health(o, r)
    device_requests: list[dict[str, object]] | None = None
    if cdi_names:
        device_requests = [
            {
                "Driver": "cdi",
                "Count": 0,
                "DeviceIDs": cdi_names,
                "Capabilities": None,
                "Options": None,
            }
        ]

    config: Body = {
        "Hostname": o.string("hostname"),
        "Domainname": o.string("domainname"),
        "User": o.string("user"),
        "AttachStdin": attach_stdin,
        "AttachStdout": attach_stdout,
        "AttachStderr": attach_stderr,
    }
    if exposed:
        config["ExposedPorts"] = dict(sorted(exposed.items()))
    config.update(
        {
            "Tty": o.boolean("tty"),
            "OpenStdin": o.boolean("interactive"),
            "StdinOnce": o.boolean("interactive") and attach_stdin,
            "Env": env or None,
            "Cmd": list(args) or None,
        }
    )
    if health is not None:
        config["Healthcheck"] = health
    config.update(
        {
            "Image": image,
            "Volumes": volumes,
            "WorkingDir": o.string("workdir"),
            "Entrypoint": entrypoint,
            "OnBuild": None,
            "Labels": dict(sorted(kv.kv_to_map(labels).items())),
        }
    )
    if o.string("stop-signal"):
        config["StopSignal"] = o.string("stop-signal")
    if o.changed("stop-timeout"):
        config["StopTimeout"] = o.integer("stop-timeout")

    network_mode = str(r.networks[0]["Target"]) if r.networks else "default"  # type: ignore[index]
    host: Body = {
        "Binds": binds or None,
        "ContainerIDFile": o.string("cidfile"),
        "LogConfig": {"Type": o.string("log-driver"), "Config": log_opts},
        "NetworkMode": network_mode,
        "PortBindings": dict(sorted(port_bindings.items())),
        "RestartPolicy": restart,
        "AutoRemove": o.boolean("rm"),
        "VolumeDriver": o.string("volume-driver"),
        "VolumesFrom": o.strings("volumes-from") or None,
        "ConsoleSize": [0, 0],
    }
    annotations = kv.kv_to_map(o.strings("annotation"))
    if annotations:
        host["Annotations"] = annotations
    host.update(
        {
            "CapAdd": [validate.normalize_capability(c) for c in o.strings("cap-add")] or None,
            "CapDrop": [validate.normalize_capability(c) for c in o.strings("cap-drop")] or None,
            "CgroupnsMode": cgroupns,
            "Dns": r.dns,
            "DnsOptions": o.strings("dns-opt") + o.strings("dns-option"),
            "DnsSearch": r.dns_search,
            "ExtraHosts": r.extra_hosts or None,
            "GroupAdd": o.strings("group-add") or None,
            "IpcMode": o.string("ipc"),
            "Cgroup": "",
            "Links": r.links or None,
            "OomScoreAdj": o.integer("oom-score-adj"),
            "PidMode": pid_mode,
            "Privileged": o.boolean("privileged"),
            "PublishAllPorts": o.boolean("publish-all"),
            "ReadonlyRootfs": o.boolean("read-only"),
            "SecurityOpt": security or None,
        }
    )
    if storage:
        host["StorageOpt"] = storage
    if tmpfs:
        host["Tmpfs"] = tmpfs
    host.update({"UTSMode": uts, "UsernsMode": userns, "ShmSize": r.shm_size})
    if r.sysctls:
        host["Sysctls"] = dict(sorted(r.sysctls.items()))
    if o.string("runtime"):
        host["Runtime"] = o.string("runtime")
    host["Isolation"] = o.string("isolation")
    host.update(_resources(o, r, devices, device_requests, swappiness))
    if r.mounts:
        host["Mounts"] = r.mounts
    host["MaskedPaths"] = masked
    host["ReadonlyPaths"] = readonly_paths
    if o.changed("init"):
        host["Init"] = o.boolean("init")
    if o.boolean("rm") and restart["Name"] not in ("", "no"):
        raise ValueError("conflicting options: cannot specify both --restart and --rm")

    from dockyard.cli.opts.network import endpoints

    config["HostConfig"] = host
    config["NetworkingConfig"] = {
        "EndpointsConfig": dict(sorted(endpoints(o, r.networks, r.links).items()))
    }
    return config


def _volumes(specs: list[str]) -> tuple[list[str], dict[str, object]]:
    """-v: specs with a source are Binds (as written, relative host paths made absolute);
    bare targets are anonymous volumes in Config.Volumes."""
    binds: list[str] = []
    volumes: dict[str, object] = {}
    for spec in dict.fromkeys(specs):  # docker keeps them in a set
        parsed = mounts.parse_volume(spec)
        if parsed["Source"]:
            binds.append(mounts.bind_for(spec, parsed))
        else:
            volumes[spec] = {}
    return binds, volumes


def _devices(specs: list[str]) -> tuple[list[dict[str, str]], list[str]]:
    devices: list[dict[str, str]] = []
    cdi: list[str] = []
    for spec in specs:
        if mounts.is_cdi_name(spec):
            cdi.append(spec)
            continue
        devices.append(mounts.parse_device(mounts.validate_device(spec)))
    return devices, cdi


def _namespaces(o: Options) -> tuple[str, str, str, str]:
    pid, uts, userns, cgroupns = (o.string(n) for n in ("pid", "uts", "userns", "cgroupns"))
    if not (pid in ("", "host") or (pid.startswith("container:") and len(pid) > 10)):
        raise ValueError("--pid: invalid PID mode")
    if uts not in ("", "host"):
        raise ValueError("--uts: invalid UTS mode")
    if userns not in ("", "host"):
        raise ValueError("--userns: invalid USER mode")
    if cgroupns not in ("", "host", "private"):
        raise ValueError("--cgroupns: invalid CGROUP mode")
    return pid, uts, userns, cgroupns


def _security(values: list[str]) -> tuple[list[str], list[str] | None, list[str] | None]:
    """parseSecurityOpts + parseSystemPaths: a local seccomp profile is sent as its JSON;
    `systempaths=unconfined` becomes empty MaskedPaths/ReadonlyPaths."""
    out: list[str] = []
    masked: list[str] | None = None
    readonly: list[str] | None = None
    for opt in values:
        key, sep, value = opt.partition("=")
        if not sep and key != "no-new-privileges":
            key, sep, value = opt.partition(":")
        if (not sep or not value) and key != "no-new-privileges":
            raise ValueError(f'Invalid --security-opt: "{opt}"')
        if key == "seccomp" and value not in ("builtin", "unconfined"):
            opt = "seccomp=" + _seccomp_profile(value)
        if opt == "systempaths=unconfined":
            masked, readonly = [], []
            continue
        out.append(opt)
    return out, masked, readonly


def _seccomp_profile(path: str) -> str:
    import json

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ValueError(
            f"opening seccomp profile ({path}) failed: open {path}: "
            f"{(err.strerror or str(err)).lower()}"
        ) from None
    try:
        return json.dumps(json.loads(data), separators=(",", ":"))
    except ValueError as err:
        raise ValueError(f"compacting json for seccomp profile ({path}) failed: {err}") from None


def _storage(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for option in values:
        key, sep, value = option.partition("=")
        if not sep:
            raise ValueError("invalid storage option")
        out[key] = value
    return out


def _health(o: Options, r: FlagValues) -> Body | None:
    cmd, retries = o.string("health-cmd"), o.integer("health-retries")
    durations = r.health
    have = bool(cmd) or retries != 0 or any(durations.values())
    if o.boolean("no-healthcheck"):
        if have:
            raise ValueError("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not have:
        return None
    for key, flag in (
        ("Interval", "interval"),
        ("Timeout", "timeout"),
        ("Retries", "retries"),
        ("StartPeriod", "start-period"),
        ("StartInterval", "start-interval"),
    ):
        value = retries if key == "Retries" else durations[key]
        if value < 0:
            raise ValueError(f"--health-{flag} cannot be negative")
    health: Body = {}
    if cmd:
        health["Test"] = ["CMD-SHELL", cmd]
    for key in ("Interval", "Timeout", "StartPeriod", "StartInterval"):
        if durations[key]:
            health[key] = durations[key]
    if retries:
        health["Retries"] = retries
    return health


def _resources(
    o: Options,
    r: FlagValues,
    devices: list[dict[str, str]],
    device_requests: list[dict[str, object]] | None,
    swappiness: int,
) -> Body:
    """container.Resources, in the order Go marshals it."""
    body: Body = {
        "CpuShares": o.integer("cpu-shares"),
        "Memory": r.memory,
        "NanoCpus": r.nano_cpus,
        "CgroupParent": o.string("cgroup-parent"),
        "BlkioWeight": o.integer("blkio-weight"),
        "BlkioWeightDevice": r.weight_devices,
        "BlkioDeviceReadBps": r.read_bps,
        "BlkioDeviceWriteBps": r.write_bps,
        "BlkioDeviceReadIOps": r.read_iops,
        "BlkioDeviceWriteIOps": r.write_iops,
        "CpuPeriod": o.integer("cpu-period"),
        "CpuQuota": o.integer("cpu-quota"),
        "CpuRealtimePeriod": o.integer("cpu-rt-period"),
        "CpuRealtimeRuntime": o.integer("cpu-rt-runtime"),
        "CpusetCpus": o.string("cpuset-cpus"),
        "CpusetMems": o.string("cpuset-mems"),
        "Devices": devices,
        "DeviceCgroupRules": r.cgroup_rules or None,
        "DeviceRequests": device_requests,
    }
    body.update(
        {
            "MemoryReservation": r.memory_reservation,
            "MemorySwap": r.memory_swap,
            "MemorySwappiness": swappiness,
            "OomKillDisable": o.boolean("oom-kill-disable"),
            "PidsLimit": o.integer("pids-limit"),
            "Ulimits": r.ulimits,
            "CpuCount": o.integer("cpu-count"),
            "CpuPercent": o.integer("cpu-percent"),
            "IOMaximumIOps": o.integer("io-maxiops"),
            "IOMaximumBandwidth": r.io_max_bandwidth,
        }
    )
    return body
