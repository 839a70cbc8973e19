"""dockyardd's command line: dockerd's flags that dockyard has, as daemon.json keys.

Only the flags actually given end up in `Flags.values` (argparse.SUPPRESS defaults), so that
config.load can tell "set on the command line" from "left at its default": Docker refuses a
setting given both ways, and a reload re-applies the flags over a re-read daemon.json.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from dockyard import __version__
from dockyard.daemon.config import DEFAULT_CONFIG_FILE, Flags

# argparse dest -> daemon.json key, for flags whose value is used as given.
_DIRECT = {
    "data_root": "data-root",
    "exec_root": "exec-root",
    "hosts": "hosts",
    "tls": "tls",
    "tlsverify": "tlsverify",
    "tlscacert": "tlscacert",
    "tlscert": "tlscert",
    "tlskey": "tlskey",
    "debug": "debug",
    "log_level": "log-level",
    "pidfile": "pidfile",
    "default_runtime": "default-runtime",
    "live_restore": "live-restore",
    "cgroup_parent": "cgroup-parent",
    "insecure_registries": "insecure-registries",
    "registry_mirrors": "registry-mirrors",
    "log_driver": "log-driver",
    "labels": "labels",
    "group": "group",
    "dns": "dns",
    "dns_search": "dns-search",
    "dns_opts": "dns-opts",
    "bip": "bip",
    "max_concurrent_downloads": "max-concurrent-downloads",
}


def parse_flags(argv: Sequence[str]) -> Flags:
    """Parse dockyardd's arguments; argparse exits with status 2 on a malformed line."""
    parser = _parser()
    ns = vars(parser.parse_args(list(argv)))
    values: dict[str, Any] = {key: ns[dest] for dest, key in _DIRECT.items() if dest in ns}
    if "runtimes" in ns:
        values["runtimes"] = {
            name: {"path": path} for name, path in (_pair(parser, v) for v in ns["runtimes"])
        }
    if "log_opts" in ns:
        values["log-opts"] = dict(_pair(parser, v) for v in ns["log_opts"])
    if "ulimits" in ns:
        values["default-ulimits"] = dict(_ulimit(parser, v) for v in ns["ulimits"])
    return Flags(
        values=values,
        config_file=ns.get("config_file", DEFAULT_CONFIG_FILE),
        config_file_set="config_file" in ns,
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockyardd",
        description="A self-sufficient runtime for containers (the dockyard engine).",
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("-v", "--version", action="version", version=f"dockyardd {__version__}")
    p.add_argument("--config-file", help=f"daemon configuration file ({DEFAULT_CONFIG_FILE})")
    p.add_argument("--data-root", help="root directory of persistent state")
    p.add_argument("--exec-root", help="root directory for execution state files")
    p.add_argument("-H", "--host", dest="hosts", action="append", help="socket(s) to listen on")
    p.add_argument("-G", "--group", help="group for the unix socket")
    p.add_argument("--tls", action="store_const", const=True, help="use TLS; implied by tlsverify")
    p.add_argument("--tlsverify", action="store_const", const=True, help="require client certs")
    p.add_argument("--tlscacert", help="trust certs signed only by this CA")
    p.add_argument("--tlscert", help="path to the TLS certificate file")
    p.add_argument("--tlskey", help="path to the TLS key file")
    p.add_argument("-D", "--debug", action="store_const", const=True, help="debug mode")
    p.add_argument("-l", "--log-level", help='"debug"|"info"|"warn"|"error"|"fatal"')
    p.add_argument("-p", "--pidfile", help="path to use for the daemon PID file")
    p.add_argument("--default-runtime", help="default OCI runtime for containers")
    p.add_argument("--add-runtime", dest="runtimes", action="append", help="name=path")
    p.add_argument(
        "--live-restore", nargs="?", const=True, type=_bool, help="keep containers running"
    )
    p.add_argument("--cgroup-parent", help="parent cgroup for all containers")
    p.add_argument("--insecure-registry", dest="insecure_registries", action="append")
    p.add_argument("--registry-mirror", dest="registry_mirrors", action="append")
    p.add_argument("--log-driver", help="default driver for container logs")
    p.add_argument("--log-opt", dest="log_opts", action="append", help="key=value")
    p.add_argument("--label", dest="labels", action="append", help="key=value daemon label")
    p.add_argument("--dns", action="append", help="DNS server to use")
    p.add_argument("--dns-search", action="append", help="DNS search domains to use")
    p.add_argument("--dns-opt", dest="dns_opts", action="append", help="DNS options to use")
    p.add_argument("--bip", help="network bridge IP")
    p.add_argument("--max-concurrent-downloads", type=int)
    p.add_argument("--default-ulimit", dest="ulimits", action="append", help="name=soft:hard")
    return p


def _bool(text: str) -> bool:
    """pflag's strconv.ParseBool."""
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise argparse.ArgumentTypeError(f'invalid boolean value "{text}"')


def _pair(parser: argparse.ArgumentParser, text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        parser.error(f"invalid key=value argument: {text}")
    return key, value


def _ulimit(parser: argparse.ArgumentParser, text: str) -> tuple[str, dict[str, Any]]:
    """--default-ulimit nofile=1024:2048 (one number sets both), as Docker's units.ParseUlimit."""
    name, value = _pair(parser, text)
    soft, _, hard = value.partition(":")
    if not soft.lstrip("-").isdigit() or (hard and not hard.lstrip("-").isdigit()):
        parser.error(f"invalid ulimit argument: {text}")
    hard = hard or soft
    return name, {"Name": name, "Soft": int(soft), "Hard": int(hard)}
