"""DaemonConfig: dockyardd's settings from its flags and daemon.json, merged as dockerd does.

    flags = parse_flags(sys.argv[1:])        # flags.py: argparse; remembers which were given
    config = load(flags)                     # defaults <- daemon.json <- flags, validated
    config = load(flags)                     # again on SIGHUP (daemon.json re-read)

Docker's rules (moby daemon/config/config.go, getConflictFreeConfiguration):
- a daemon.json key that names no option stops start-up ("the following directives don't
  match any configuration option: foo"); so does a value of the wrong JSON type;
- a setting given both as a flag and in the file stops start-up ("the following directives
  are specified both as a flag and in the configuration file: ...") — except `runtimes`,
  which merge;
- a missing daemon.json is fine unless `--config-file` named it.
Every error is InvalidArgument with Docker's wording, prefixed "unable to configure the
Docker daemon with file <path>: " as dockerd prints it.

One difference from Docker (DESIGN.md §1): `live-restore` defaults to true.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.utils.record import field, record, replace

DEFAULT_CONFIG_FILE = "/etc/dockyard/daemon.json"
DEFAULT_SOCKET = "/run/dockyard.sock"
DEFAULT_GROUP = "dockyard"
BUILTIN_RUNTIMES = ("dockyard", "runc")  # resolved to paths in wiring.py; names reserved
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")

# daemon.json keys and the Go type dockerd decodes each into (named in type errors).
KEYS: dict[str, str] = {
    "data-root": "string",
    "exec-root": "string",
    "hosts": "[]string",
    "log-driver": "string",
    "log-opts": "map[string]string",
    "default-runtime": "string",
    "runtimes": "map[string]system.Runtime",
    "insecure-registries": "[]string",
    "registry-mirrors": "[]string",
    "live-restore": "bool",
    "debug": "bool",
    "log-level": "string",
    "default-ulimits": "map[string]*container.Ulimit",
    "dns": "[]string",
    "dns-search": "[]string",
    "dns-opts": "[]string",
    "bip": "string",
    "default-address-pools": "[]*NetworkAddressPool",
    "iptables": "bool",
    "ip-forward": "bool",
    "icc": "bool",
    "max-concurrent-downloads": "int",
    "pidfile": "string",
    "cgroup-parent": "string",
    "tls": "bool",
    "tlsverify": "bool",
    "tlscacert": "string",
    "tlscert": "string",
    "tlskey": "string",
    "group": "string",
    "labels": "[]string",
}
# Keys whose flag and file values merge instead of conflicting (moby's skipDuplicates).
MERGED_KEYS = frozenset({"runtimes"})


@record(frozen=True)
class RuntimeSpec:
    """One entry of daemon.json `runtimes` (or `--add-runtime name=path`)."""

    path: str
    args: tuple[str, ...] = ()


@record(frozen=True)
class DaemonConfig:
    """Everything dockyardd is configured with; built by `load`, replaced whole on reload."""

    data_root: str = "/var/lib/dockyard"
    exec_root: str = "/run/dockyard"
    hosts: tuple[str, ...] = (f"unix://{DEFAULT_SOCKET}",)
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    default_runtime: str = "dockyard"
    runtimes: dict[str, RuntimeSpec] = field(default_factory=dict)  # user-defined ones only
    insecure_registries: tuple[str, ...] = ()
    registry_mirrors: tuple[str, ...] = ()
    live_restore: bool = True
    debug: bool = False
    log_level: str = "info"
    default_ulimits: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> Soft, Hard
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opts: tuple[str, ...] = ()
    bip: str = ""
    default_address_pools: tuple[dict[str, Any], ...] = ()
    iptables: bool = True  # the nftables table (Docker's key name)
    ip_forward: bool = True
    icc: bool = True  # the default bridge's inter-container communication
    max_concurrent_downloads: int = 3
    pidfile: str = "/run/dockyard.pid"
    cgroup_parent: str = "/dockyard"
    tls: bool = False
    tlsverify: bool = False
    tlscacert: str = ""
    tlscert: str = ""
    tlskey: str = ""
    group: str = DEFAULT_GROUP
    labels: tuple[str, ...] = ()
    config_file: str = DEFAULT_CONFIG_FILE

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.tlsverify


@record(frozen=True)
class Flags:
    """The command line: the daemon.json keys given as flags, and the config file's path."""

    values: dict[str, Any] = field(default_factory=dict)  # daemon.json key -> value
    config_file: str = DEFAULT_CONFIG_FILE
    config_file_set: bool = False


def load(flags: Flags) -> DaemonConfig:
    """Defaults, then daemon.json, then the flags; InvalidArgument with Docker's message."""
    path = flags.config_file
    try:
        document = read_file(path)
    except FileNotFoundError:
        if flags.config_file_set:
            raise _file_error(path, f"open {path}: no such file or directory") from None
        document = {}
    except errdefs.InvalidArgument as err:
        raise _file_error(path, str(err)) from None
    try:
        check_conflicts(document, flags.values)
        settings = {**document, **flags.values}
        settings["runtimes"] = {**document.get("runtimes", {}), **flags.values.get("runtimes", {})}
        return from_settings(settings, config_file=path)
    except errdefs.InvalidArgument as err:
        raise _file_error(path, str(err)) from None


def read_file(path: str) -> dict[str, Any]:
    """daemon.json as a dict of known keys with values of the right type; FileNotFoundError
    when absent, InvalidArgument (Docker's words) when it is not valid."""
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8-sig", errors="replace").strip()  # a UTF-8 BOM is tolerated
    if not text:
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise errdefs.InvalidArgument(f"invalid JSON: {err}") from None
    if not isinstance(document, dict):
        raise errdefs.InvalidArgument(
            f"invalid JSON: json: cannot unmarshal {_json_kind(document)} into Go value of"
            " type config.Config"
        )
    unknown = [key for key in document if key not in KEYS]
    if unknown:
        raise errdefs.InvalidArgument(
            "the following directives don't match any configuration option: " + ", ".join(unknown)
        )
    checked: dict[str, Any] = {}
    for key, value in document.items():
        if value is not None:  # JSON null leaves Go's field as it was
            checked[key] = check_type(key, value)
    return checked


def check_type(key: str, value: Any) -> Any:
    """`value` if it decodes into the Go type of `key`; InvalidArgument as json.Unmarshal."""
    go_type = KEYS[key]
    ok: bool
    if go_type == "bool":
        ok = isinstance(value, bool)
    elif go_type == "string":
        ok = isinstance(value, str)
    elif go_type == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif go_type == "[]string":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif go_type == "map[string]string":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    elif key == "runtimes":
        ok = isinstance(value, dict) and all(_is_runtime(v) for v in value.values())
    elif key == "default-ulimits":
        ok = isinstance(value, dict) and all(_is_ulimit(v) for v in value.values())
    else:  # default-address-pools
        ok = isinstance(value, list) and all(_is_pool(v) for v in value)
    if not ok:
        raise errdefs.InvalidArgument(
            f"invalid JSON: json: cannot unmarshal {_json_kind(value)} into Go struct field"
            f" Config.{key} of type {go_type}"
        )
    return value


def check_conflicts(document: Mapping[str, Any], flag_values: Mapping[str, Any]) -> None:
    """Docker's "specified both as a flag and in the configuration file" error."""
    conflicts = [
        f"{key}: (from flag: {go_format(value)}, from file: {go_format(document[key])})"
        for key, value in flag_values.items()
        if key in document and key not in MERGED_KEYS
    ]
    if conflicts:
        raise errdefs.InvalidArgument(
            "the following directives are specified both as a flag and in the configuration"
            " file: " + ", ".join(conflicts)
        )


def from_settings(settings: Mapping[str, Any], *, config_file: str) -> DaemonConfig:
    """A validated DaemonConfig from daemon.json-shaped settings (file and flags merged)."""
    base = DaemonConfig()
    s = dict(settings)

    def text(key: str, default: str) -> str:
        value = s.get(key)
        return value if isinstance(value, str) and value else default

    def strings(key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = s.get(key)
        return tuple(value) if value else default

    runtimes = {
        name: RuntimeSpec(path=spec["path"], args=tuple(spec.get("runtimeArgs") or ()))
        for name, spec in (s.get("runtimes") or {}).items()
    }
    config = DaemonConfig(
        data_root=os.path.abspath(text("data-root", base.data_root)),
        exec_root=os.path.abspath(text("exec-root", base.exec_root)),
        hosts=strings("hosts"),
        log_driver=text("log-driver", base.log_driver),
        log_opts=dict(s.get("log-opts") or {}),
        default_runtime=text("default-runtime", base.default_runtime),
        runtimes=runtimes,
        insecure_registries=strings("insecure-registries"),
        registry_mirrors=strings("registry-mirrors"),
        live_restore=bool(s.get("live-restore", base.live_restore)),
        debug=bool(s.get("debug", False)),
        log_level=text("log-level", base.log_level),
        default_ulimits={
            name: {"Soft": int(u["Soft"]), "Hard": int(u["Hard"])}
            for name, u in (s.get("default-ulimits") or {}).items()
        },
        dns=strings("dns"),
        dns_search=strings("dns-search"),
        dns_opts=strings("dns-opts"),
        bip=text("bip", ""),
        default_address_pools=tuple(s.get("default-address-pools") or ()),
        iptables=bool(s.get("iptables", True)),
        ip_forward=bool(s.get("ip-forward", True)),
        icc=bool(s.get("icc", True)),
        max_concurrent_downloads=int(
            s.get("max-concurrent-downloads", base.max_concurrent_downloads)
        ),
        pidfile=text("pidfile", base.pidfile),
        cgroup_parent=text("cgroup-parent", base.cgroup_parent),
        tls=bool(s.get("tls", False)),
        tlsverify=bool(s.get("tlsverify", False)),
        tlscacert=text("tlscacert", ""),
        tlscert=text("tlscert", ""),
        tlskey=text("tlskey", ""),
        group=text("group", base.group),
        labels=strings("labels"),
        config_file=config_file,
    )
    config = _with_hosts(config)
    validate(config)
    return config


def validate(config: DaemonConfig) -> None:
    """Docker's config.Validate checks that apply to us; InvalidArgument with its words."""
    if config.log_level not in LOG_LEVELS:
        raise errdefs.InvalidArgument(f"invalid logging level: {config.log_level}")
    if config.max_concurrent_downloads < 0:
        raise errdefs.InvalidArgument(
            f"invalid max concurrent downloads: {config.max_concurrent_downloads}"
        )
    for name in config.runtimes:
        if name in BUILTIN_RUNTIMES:
            raise errdefs.InvalidArgument(f"runtime name '{name}' is reserved")
    known = (*BUILTIN_RUNTIMES, *config.runtimes)
    if config.default_runtime not in known:
        raise errdefs.InvalidArgument(
            f"specified default runtime '{config.default_runtime}' does not exist"
        )
    for label in config.labels:
        if "=" not in label:
            raise errdefs.InvalidArgument(f"bad attribute format: {label}")
    for name, limit in config.default_ulimits.items():
        if limit["Soft"] > limit["Hard"]:
            raise errdefs.InvalidArgument(
                f"ulimit soft limit must be less than or equal to hard limit: {name}"
            )
    if config.tlsverify and not config.tlscacert:
        raise errdefs.InvalidArgument("--tlsverify needs --tlscacert (the clients' CA)")
    if config.uses_tls and not (config.tlscert and config.tlskey):
        raise errdefs.InvalidArgument("TLS needs --tlscert and --tlskey")
    for host in config.hosts:
        parse_host(host, tls=config.uses_tls)


def parse_host(host: str, *, tls: bool = False) -> tuple[str, str]:
    """("unix", path) or ("tcp", "host:port") from a -H value, with Docker's defaults:
    `unix://` is the default socket, `tcp://` port 2375 (2376 with TLS), host 127.0.0.1."""
    proto, sep, address = host.strip().partition("://")
    if not sep:
        raise errdefs.InvalidArgument(f"invalid bind address format: {host}")
    if proto == "unix":
        return "unix", address or DEFAULT_SOCKET
    if proto == "tcp":
        address = address.rstrip("/")
        if "/" in address:
            raise errdefs.InvalidArgument(f"invalid bind address format: {host}")
        name, colon, port = address.rpartition(":")
        if not colon:
            name, port = address, ""
        name = name or "127.0.0.1"
        port = port or ("2376" if tls else "2375")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise errdefs.InvalidArgument(f"invalid bind address format: {host}")
        return "tcp", f"{name}:{port}"
    raise errdefs.InvalidArgument(f"invalid bind address format: {host}")


def reload_attributes(config: DaemonConfig) -> dict[str, str]:
    """The attributes of Docker's `daemon reload` event (moby daemon/reload.go)."""
    return {
        "debug": _go_bool(config.debug),
        "max-concurrent-downloads": str(config.max_concurrent_downloads),
        "labels": json.dumps(list(config.labels)),
        "insecure-registries": json.dumps(list(config.insecure_registries)),
        "registry-mirrors": json.dumps(list(config.registry_mirrors)),
        "live-restore": _go_bool(config.live_restore),
        "default-runtime": config.default_runtime,
        "runtimes": " ".join(sorted((*BUILTIN_RUNTIMES, *config.runtimes))),
    }


def go_format(value: Any) -> str:
    """A value as Go's fmt %v prints it (in Docker's conflict messages)."""
    if isinstance(value, bool):
        return _go_bool(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = " ".join(f"{k}:{go_format(v)}" for k, v in sorted(value.items()))
        return f"map[{inner}]"
    return str(value)


def _with_hosts(config: DaemonConfig) -> DaemonConfig:
    hosts = tuple(h for h in config.hosts if h.strip())
    if hosts:
        return replace(config, hosts=hosts)
    # dockerd listens on tcp://127.0.0.1:2376 when TLS is on and no host is given.
    default = "tcp://127.0.0.1:2376" if config.uses_tls else f"unix://{DEFAULT_SOCKET}"
    return replace(config, hosts=(default,))


def _file_error(path: str, message: str) -> errdefs.InvalidArgument:
    return errdefs.InvalidArgument(
        f"unable to configure the Docker daemon with file {path}: {message}"
    )


def _go_bool(value: bool) -> str:
    return "true" if value else "false"


def _json_kind(value: Any) -> str:
    """The JSON type name Go's encoding/json puts in an UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return f"number {value}" if isinstance(value, float) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_runtime(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        return False
    args = value.get("runtimeArgs", [])
    return isinstance(args, list) and all(isinstance(a, str) for a in args)


def _is_ulimit(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(k), int) and not isinstance(value.get(k), bool)
        for k in ("Soft", "Hard")
    )


def _is_pool(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("base"), str)
        and isinstance(value.get("size"), int)
    )
