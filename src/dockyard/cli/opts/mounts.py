"""-v/--volume, --mount, --tmpfs and --device, as docker's CLI reads them before the daemon
checks them again (the daemon has the last word on modes and sources).
"""

from __future__ import annotations

import os

_PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")


# -- -v / --volume: the compose loader's ParseVolume, used by `docker run` ------------------


def parse_volume(spec: str) -> dict[str, object]:
    """cli/compose/loader.ParseVolume: {"Type", "Source", "Target", "ReadOnly"}.

    Only its errors and its Source/Type matter to `run`: a spec with a source is a bind
    (`/host:/ctr`, `./rel:/ctr`) or a named volume (`name:/ctr`) and goes to Binds as
    written; a bare target (`/data`) is an anonymous volume in Config.Volumes.
    """
    volume: dict[str, object] = {"Type": "", "Source": "", "Target": "", "ReadOnly": False}
    if not spec:
        raise ValueError("invalid empty volume spec")
    if len(spec) <= 2:
        volume["Target"] = spec
        volume["Type"] = "volume"
        return volume
    buffer: list[str] = []
    end = "\0"
    for char in spec + end:
        if char == ":" and len(buffer) == 1 and buffer[0].isalpha():  # a Windows drive
            buffer.append(char)
        elif char in (":", end):
            try:
                _populate(char == end, "".join(buffer), volume)
            except ValueError as err:
                raise ValueError(f"invalid spec: {spec}: {err}") from None
            buffer = []
        else:
            buffer.append(char)
    source = str(volume["Source"])
    volume["Type"] = "bind" if source and _is_file_path(source) else "volume"
    return volume


def _populate(at_end: bool, text: str, volume: dict[str, object]) -> None:
    if not text:
        raise ValueError("empty section between colons")
    if not volume["Source"] and at_end:
        volume["Target"] = text
    elif not volume["Source"]:
        volume["Source"] = text
    elif not volume["Target"]:
        volume["Target"] = text
    elif not at_end:
        raise ValueError("too many colons")
    else:
        for option in text.split(","):
            if option == "ro":
                volume["ReadOnly"] = True
            elif option == "rw":
                volume["ReadOnly"] = False


def _is_file_path(source: str) -> bool:
    if source[0] in "./~":
        return True
    if len(source) == 1:
        return False
    if source.startswith("\\\\"):
        return True
    return source[0].isalpha() and source[1] == ":"


def bind_for(spec: str, volume: dict[str, object]) -> str:
    """The Binds entry docker sends: a relative host path (`./x:/y`) made absolute."""
    if volume["Type"] == "bind" and ":" in spec:
        host, _, target = spec.partition(":")
        if not os.path.isabs(host) and host.startswith("."):
            host = os.path.abspath(host)
        return f"{host}:{target}"
    return spec


# -- --mount: opts.MountOpt ------------------------------------------------------------------


def _csv_fields(value: str) -> list[str]:
    if '"' not in value:
        return value.split(",")
    import csv  # quoted fields only

    try:
        return next(csv.reader([value], strict=True))
    except csv.Error as err:
        raise ValueError(str(err)) from None


_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def _go_bool(key: str, value: str, message: str = "") -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(message or f"invalid value for {key}: {value}")


def parse_mount(value: str) -> dict[str, object]:
    """One --mount value (csv of key=value) -> a HostConfig.Mounts entry."""
    mount: dict[str, object] = {"Type": "volume"}
    volume_opts: dict[str, object] | None = None
    bind_opts: dict[str, object] | None = None
    tmpfs_opts: dict[str, object] | None = None
    image_opts: dict[str, object] | None = None

    def volume_options() -> dict[str, object]:
        nonlocal volume_opts
        if volume_opts is None:
            volume_opts = {"Labels": {}, "DriverConfig": {}}
        return volume_opts

    def bind_options() -> dict[str, object]:
        nonlocal bind_opts
        if bind_opts is None:
            bind_opts = {}
        return bind_opts

    def tmpfs_options() -> dict[str, object]:
        nonlocal tmpfs_opts
        if tmpfs_opts is None:
            tmpfs_opts = {}
        return tmpfs_opts

    for field in _csv_fields(value):
        key, eq, val = field.partition("=")
        key = key.lower()
        if not eq:
            if key in ("readonly", "ro"):
                mount["ReadOnly"] = True
            elif key == "volume-nocopy":
                volume_options()["NoCopy"] = True
            elif key == "bind-nonrecursive":
                bind_options()["NonRecursive"] = True
            else:
                raise ValueError(f"invalid field '{field}' must be a key=value pair")
            continue
        if key == "type":
            mount["Type"] = val.lower()
        elif key in ("source", "src"):
            mount["Source"] = val
            if not os.path.isabs(val) and val.startswith("."):
                mount["Source"] = os.path.abspath(val)
        elif key in ("target", "dst", "destination"):
            mount["Target"] = val
        elif key in ("readonly", "ro"):
            mount["ReadOnly"] = _go_bool(key, val)
        elif key == "consistency":
            mount["Consistency"] = val.lower()
        elif key == "bind-propagation":
            bind_options()["Propagation"] = val.lower()
        elif key == "bind-nonrecursive":
            bind_options()["NonRecursive"] = _go_bool(key, val)
        elif key == "bind-recursive":
            _bind_recursive(bind_options(), key, val)
        elif key == "volume-subpath":
            volume_options()["Subpath"] = val
        elif key == "volume-nocopy":
            volume_options()["NoCopy"] = _go_bool(
                key, val, f"invalid value for volume-nocopy: {val}"
            )
        elif key == "volume-label":
            _set_on_map(_dict(volume_options(), "Labels"), val)
        elif key == "volume-driver":
            _dict(volume_options(), "DriverConfig")["Name"] = val
        elif key == "volume-opt":
            driver = _dict(volume_options(), "DriverConfig")
            _set_on_map(_dict_default(driver, "Options"), val)
        elif key == "image-subpath":
            if image_opts is None:
                image_opts = {}
            image_opts["Subpath"] = val
        elif key == "tmpfs-size":
            from dockyard.cli.opts.units import ram_in_bytes

            try:
                tmpfs_options()["SizeBytes"] = ram_in_bytes(val)
            except ValueError:
                raise ValueError(f"invalid value for {key}: {val}") from None
        elif key == "tmpfs-mode":
            try:
                mode = int(val, 8)
                if val.startswith(("+", "-", "_")) or mode >= 1 << 32:
                    raise ValueError(val)
            except ValueError:
                raise ValueError(f"invalid value for {key}: {val}") from None
            tmpfs_options()["Mode"] = mode
        else:
            raise ValueError(f"unexpected key '{key}' in '{field}'")

    kind = mount["Type"]
    if not kind:
        raise ValueError("type is required")
    if not mount.get("Target"):
        raise ValueError("target is required")
    for opts, owner, prefix in (
        (volume_opts, "volume", "volume"),
        (image_opts, "image", "image"),
        (bind_opts, "bind", "bind"),
        (tmpfs_opts, "tmpfs", "tmpfs"),
    ):
        if opts is not None and kind != owner:
            raise ValueError(f"cannot mix '{prefix}-*' options with mount type '{kind}'")
    if bind_opts is not None:
        _check_bind_recursive(bind_opts, bool(mount.get("ReadOnly")))
    for name, opts in (
        ("BindOptions", bind_opts),
        ("VolumeOptions", volume_opts),
        ("ImageOptions", image_opts),
        ("TmpfsOptions", tmpfs_opts),
    ):
        if opts is not None:
            mount[name] = opts
    return mount


def _dict(parent: dict[str, object], key: str) -> dict[str, object]:
    child = parent[key]
    assert isinstance(child, dict)
    return child


def _dict_default(parent: dict[str, object], key: str) -> dict[str, object]:
    child = parent.setdefault(key, {})
    assert isinstance(child, dict)
    return child


def _set_on_map(target: dict[str, object], value: str) -> None:
    key, _, val = value.partition("=")
    if key:
        target[key] = val


def _bind_recursive(opts: dict[str, object], key: str, val: str) -> None:
    if val == "enabled":
        return
    if val == "disabled":
        opts["NonRecursive"] = True
    elif val == "writable":
        opts["ReadOnlyNonRecursive"] = True
    elif val == "readonly":
        opts["ReadOnlyForceRecursive"] = True
    else:
        raise ValueError(
            f'invalid value for {key}: {val} (must be "enabled", "disabled", "writable", '
            'or "readonly")'
        )


def _check_bind_recursive(opts: dict[str, object], readonly: bool) -> None:
    if opts.get("ReadOnlyNonRecursive") and not readonly:
        raise ValueError(
            "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction"
        )
    if opts.get("ReadOnlyForceRecursive"):
        if not readonly:
            raise ValueError(
                "option 'bind-recursive=readonly' requires 'readonly' to be specified in "
                "conjunction"
            )
        if opts.get("Propagation") != "rprivate":
            raise ValueError(
                "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be "
                "specified in conjunction"
            )


# -- --tmpfs ---------------------------------------------------------------------------------


def parse_tmpfs(values: list[str]) -> dict[str, str]:
    """--tmpfs `/path[:options]` -> HostConfig.Tmpfs (the daemon reads the options)."""
    out: dict[str, str] = {}
    for value in values:
        path, _, options = value.partition(":")
        out[path] = options
    return out


# -- --device --------------------------------------------------------------------------------


def _valid_device_mode(mode: str) -> bool:
    return bool(mode) and len(set(mode)) == len(mode) and all(c in "rwm" for c in mode)


def _clean(path: str) -> str:
    import posixpath

    return posixpath.normpath(path) if path else "."


def validate_device(value: str) -> str:
    """validateLinuxPath with the device-mode validator: `[host:]container[:mode]`."""
    if value.count(":") > 2:
        raise ValueError(f"bad format for path: {value}")
    split = value.split(":", 2)
    if not split[0]:
        raise ValueError(f"bad format for path: {value}")
    if len(split) == 1:
        container_path = split[0]
        value = _clean(container_path)
    elif len(split) == 2:
        if _valid_device_mode(split[1]):
            container_path = split[0]
            value = f"{_clean(container_path)}:{split[1]}"
        else:
            container_path = split[1]
            value = f"{split[0]}:{_clean(container_path)}"
    else:
        container_path = split[1]
        if not _valid_device_mode(split[2]):
            raise ValueError(f"bad mode specified: {split[2]}")
    if not container_path.startswith("/"):
        raise ValueError(f"{container_path} is not an absolute path")
    return value


def parse_device(value: str) -> dict[str, str]:
    """parseLinuxDevice: `host[:container][:perms]` -> a HostConfig.Devices entry."""
    arr = value.split(":", 3)
    src = dst = ""
    permissions = "rwm"
    if len(arr) > 3:
        raise ValueError(f"invalid device specification: {value}")
    if len(arr) == 3:
        permissions = arr[2]
    if len(arr) >= 2:
        if _valid_device_mode(arr[1]):
            permissions = arr[1]
        else:
            dst = arr[1]
    src = arr[0]
    return {"PathOnHost": src, "PathInContainer": dst or src, "CgroupPermissions": permissions}


def is_cdi_name(value: str) -> bool:
    """CDI's IsQualifiedName: `vendor.com/class=name` goes to DeviceRequests, not Devices."""
    vendor_class, eq, name = value.partition("=")
    if not eq or not name or "/" not in vendor_class:
        return False
    vendor, _, klass = vendor_class.partition("/")
    return bool(vendor) and bool(klass) and "/" not in klass
