"""The per-flag validators docker's container flags run when they are read (pflag's Set):
each returns the value to store or raises ValueError with docker's message."""

from __future__ import annotations

import re

_DEVICE_CGROUP_RULE = re.compile(r"^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$")
_ALPHA = re.compile(r"[a-zA-Z]")
_DOMAIN = re.compile(
    r"^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))"
    r"(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$"
)


def parse_ip(text: str) -> str | None:
    """Go's net.ParseIP(...).String(): the canonical text, or None."""
    import ipaddress

    if "%" in text:
        return None
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def validate_ip(value: str) -> str:
    """opts.ValidateIPAddress (--dns)."""
    ip = parse_ip(value.strip())
    if ip is None:
        raise ValueError(f"IP address is not correctly formatted: {value}")
    return ip


def validate_dns_search(value: str) -> str:
    """opts.ValidateDNSSearch: "." or a domain name."""
    value = value.strip(" ")
    if value == ".":
        return value
    if not _ALPHA.search(value):
        raise ValueError(f"{value} is not a valid domain")
    match = _DOMAIN.match(value)
    if match and len(match.group(1)) < 255:
        return match.group(1)
    raise ValueError(f"{value} is not a valid domain")


def validate_extra_host(value: str) -> str:
    """opts.ValidateExtraHost: `host:ip` or `host=ip` (IPv6 allowed, in brackets or not,
    `host-gateway` as is) -> the `host:ip` the API takes."""
    key, sep, ip = value.partition("=")
    if not sep:
        key, sep, ip = value.partition(":")
    if not sep or not key or ":" in key:
        raise ValueError(f'bad format for add-host: "{value}"')
    if ip != "host-gateway":
        if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]":
            ip = ip[1:-1]
        if parse_ip(ip) is None:
            raise ValueError(f'invalid IP address in add-host: "{ip}"')
    return f"{key}:{ip}"


def validate_link(value: str) -> str:
    """opts.ValidateLink: `name[:alias]`."""
    if not value:
        raise ValueError("empty string specified for links")
    if len(value.split(":", 2)) > 2:
        raise ValueError("bad format for links: " + value)
    return value


_SYSCTLS = frozenset(
    {
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    }
)


def validate_sysctl(value: str) -> str:
    """opts.ValidateSysctl: the namespaced sysctls docker lets a container set."""
    key, eq, _ = value.partition("=")
    if eq and key and (key in _SYSCTLS or key.startswith(("net.", "fs.mqueue."))):
        return value
    raise ValueError(f"sysctl '{value}' is not allowed")


def validate_attach(value: str) -> str:
    """-a/--attach: stdin, stdout or stderr (any case)."""
    low = value.lower()
    if low in ("stdin", "stdout", "stderr"):
        return low
    raise ValueError("valid streams are STDIN, STDOUT and STDERR")


def validate_device_cgroup_rule(value: str) -> str:
    """--device-cgroup-rule: `type major:minor mode` (`c 1:3 rwm`, `b *:* m`)."""
    if _DEVICE_CGROUP_RULE.match(value):
        return value
    raise ValueError(f"invalid device cgroup format '{value}'")


_ULIMITS = frozenset(
    {
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    }
)


def _parse_int64(text: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    value = int(text)
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


def parse_ulimit(value: str) -> dict[str, object]:
    """go-units ParseUlimit: `name=soft[:hard]` -> {"Name", "Hard", "Soft"}."""
    name, eq, limits = value.partition("=")
    if not eq:
        raise ValueError(f"invalid ulimit argument: {value}")
    if name not in _ULIMITS:
        raise ValueError(f"invalid ulimit type: {name}")
    parts = limits.split(":")
    if len(parts) > 2:
        raise ValueError(
            f"too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
        )
    hard = _parse_int64(parts[1]) if len(parts) == 2 else None
    soft = _parse_int64(parts[0])
    if hard is None:
        hard = soft
    if hard != -1:
        if soft == -1:
            raise ValueError(
                "ulimit soft limit must be less than or equal to hard limit: soft: -1 "
                f"(unlimited), hard: {hard}"
            )
        if soft > hard:
            raise ValueError(
                f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )
    return {"Name": name, "Hard": hard, "Soft": soft}


def _device_path(value: str) -> tuple[str, str]:
    key, sep, rate = value.partition(":")
    if not sep or not key:
        raise ValueError(f"bad format: {value}")
    if not key.startswith("/dev/"):
        raise ValueError(f"bad format for device path: {value}")
    return key, rate


def parse_weight_device(value: str) -> dict[str, object]:
    """--blkio-weight-device `/dev/sda:200`."""
    path, text = _device_path(value)
    if not text.isascii() or not text.isdigit() or int(text) > 0xFFFF:
        raise ValueError(f"invalid weight for device: {value}")
    weight = int(text)
    if weight > 0 and not 10 <= weight <= 1000:
        raise ValueError(f"invalid weight for device: {value}")
    return {"Path": path, "Weight": weight}


def parse_throttle_bps(value: str) -> dict[str, object]:
    """--device-read-bps / --device-write-bps `/dev/sda:1mb`."""
    from dockyard.cli.opts.units import ram_in_bytes

    path, text = _device_path(value)
    try:
        rate = ram_in_bytes(text)
    except ValueError:
        rate = -1
    if rate < 0:
        raise ValueError(
            f"invalid rate for device: {value}. The correct format is "
            "<device-path>:<number>[<unit>]. Number must be a positive integer. Unit is "
            "optional and can be kb, mb, or gb"
        )
    return {"Path": path, "Rate": rate}


def parse_throttle_iops(value: str) -> dict[str, object]:
    """--device-read-iops / --device-write-iops `/dev/sda:1000`."""
    path, text = _device_path(value)
    if not text.isascii() or not text.isdigit() or int(text) >= 1 << 64:
        raise ValueError(
            f"invalid rate for device: {value}. The correct format is "
            "<device-path>:<number>. Number must be a positive integer"
        )
    return {"Path": path, "Rate": int(text)}


def parse_restart_policy(policy: str) -> dict[str, object]:
    """opts.ParseRestartPolicy: `name[:max-retries]` (the daemon checks the name)."""
    if not policy:
        return {"Name": "", "MaximumRetryCount": 0}
    name, sep, count = policy.partition(":")
    if sep and not name:
        raise ValueError("invalid restart policy format: no policy provided before colon")
    retries = 0
    if count:
        try:
            retries = _parse_int64(count)
        except ValueError:
            raise ValueError(
                "invalid restart policy format: maximum retry count must be an integer"
            ) from None
    return {"Name": name, "MaximumRetryCount": retries}


def normalize_capability(cap: str) -> str:
    """The API client's normalizeCapabilities: upper case, CAP_ prefix, ALL/RESET as is."""
    cap = cap.strip().upper()
    if cap in ("ALL", "RESET") or cap.startswith("CAP_"):
        return cap
    return "CAP_" + cap


def parse_mac(value: str) -> bool:
    """Go's net.ParseMAC for the 6-byte forms docker accepts (`:` or `-` separated, or dotted)."""
    text = value.strip()
    if re.fullmatch(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", text):
        return len({c for c in text if c in ":-"}) == 1
    return bool(re.fullmatch(r"([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}", text))


def parse_network(value: str) -> dict[str, object]:
    """opts.NetworkOpt: a network name, or the csv form
    `name=n,alias=a,ip=...,ip6=...,mac-address=...,link-local-ip=...,driver-opt=k=v,gw-priority=N`."""
    if not re.search(r"\w+=\w+(,\w+=\w+)*", value):
        return {"Target": value}
    from dockyard.cli.opts.mounts import _csv_fields

    net: dict[str, object] = {"Target": "", "Aliases": []}
    for field in _csv_fields(value):
        key, sep, val = field.lower().partition("=")
        if not sep or not key:
            raise ValueError(f"invalid field {field}")
        key, val = key.strip(), val.strip()
        if key == "name":
            net["Target"] = val
        elif key == "alias":
            _list(net, "Aliases").append(val)
        elif key == "ip":
            net["IPv4Address"] = val
        elif key == "ip6":
            net["IPv6Address"] = val
        elif key == "mac-address":
            net["MacAddress"] = val
        elif key == "link-local-ip":
            _list(net, "LinkLocalIPs").append(val)
        elif key == "driver-opt":
            opt_key, opt_sep, opt_val = val.partition("=")
            if not opt_sep or not opt_key:
                raise ValueError("invalid key value pair format in driver options")
            driver_opts = net.setdefault("DriverOpts", {})
            assert isinstance(driver_opts, dict)
            driver_opts[opt_key.strip()] = opt_val.strip()
        elif key == "gw-priority":
            try:
                net["GwPriority"] = _parse_int64(val)
            except ValueError:
                raise ValueError(f"invalid gw-priority ({val}): invalid syntax") from None
        else:
            raise ValueError("invalid field key " + key)
    if not net["Target"]:
        raise ValueError("network name/id is not specified")
    return net


def _list(parent: dict[str, object], key: str) -> list[str]:
    items = parent.setdefault(key, [])
    assert isinstance(items, list)
    return items
