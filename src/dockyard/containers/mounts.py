"""User mounts: HostConfig.Binds ("-v /host:/ctr:ro,z", "-v name:/ctr:nocopy", "-v /ctr"),
HostConfig.Mounts (bind, volume, tmpfs), HostConfig.Tmpfs and VolumesFrom, parsed and
validated as moby's volume/mounts linux parser does, turned into MountPoint documents for
inspect and into OCI mounts for the spec (daemon/oci_linux.go withMounts).

Parsing is pure: a volume MountPoint names its volume (or none: anonymous) and the driver
asked for; volumeuse.py creates and references the volumes at create.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.utils.record import field, record

PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
DEFAULT_PROPAGATION = "rprivate"
_RW_MODES = ("rw", "ro")
_LABEL_MODES = ("z", "Z")
_COPY_MODES = ("nocopy",)
_CONSISTENCY_MODES = ("consistent", "cached", "delegated")
_TMPFS_DATA = ("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol")
# moby/sys/mount flags a tmpfs option list may carry; options sharing a key collide.
_TMPFS_FLAGS = {
    "ro": "rdonly", "rw": "rdonly", "suid": "nosuid", "nosuid": "nosuid", "dev": "nodev",
    "nodev": "nodev", "exec": "noexec", "noexec": "noexec", "sync": "sync", "async": "sync",
    "dirsync": "dirsync", "remount": "remount", "mand": "mand", "nomand": "mand",
    "atime": "noatime", "noatime": "noatime", "diratime": "nodiratime",
    "nodiratime": "nodiratime", "bind": "bind", "rbind": "bind", "relatime": "relatime",
    "norelatime": "relatime", "strictatime": "strictatime", "nostrictatime": "strictatime",
    **{p: "propagation" for p in (*PROPAGATIONS, "unbindable", "runbindable")},
}  # fmt: skip


@record(frozen=True)
class MountPoint:
    """One user mount (moby volume/mounts.MountPoint, the parts we use)."""

    type: str  # "bind" | "volume" | "tmpfs"
    destination: str
    source: str = ""
    rw: bool = True
    mode: str = ""  # the mode string of a Binds entry, as inspect shows it
    propagation: str = ""
    tmpfs_data: str = ""  # mount data for tmpfs ("size=64m,mode=1777")
    non_recursive: bool = False
    read_only_non_recursive: bool = False
    create_mountpoint: bool = False
    from_binds: bool = False  # Binds create a missing host source at start; Mounts do not
    name: str = ""  # a volume's name; "" for an anonymous volume
    driver: str = ""  # the volume driver asked for ("" = the volume's or local)
    copy_data: bool = True  # fill an empty volume from the image (not `nocopy`)
    volume_labels: dict[str, str] = field(default_factory=dict)  # VolumeOptions.Labels
    driver_opts: dict[str, str] = field(default_factory=dict)  # VolumeOptions.DriverConfig


def _invalid_spec(raw: str) -> str:
    return f"invalid volume specification: '{raw}'"


def _not_root(path: str) -> None:
    if posixpath.normpath(path.replace("\\", "/")) == "/":
        raise errdefs.InvalidArgument("invalid specification: destination can't be '/'")


def _absolute(path: str) -> None:
    path = path.replace("\\", "/")
    if not path.startswith("/"):
        raise errdefs.InvalidArgument(f"invalid mount path: '{path}' mount path must be absolute")


def _valid_mode(mode: str) -> bool:
    if mode == "":
        return True
    counts = [0, 0, 0, 0, 0]
    for opt in mode.split(","):
        for i, group in enumerate(
            (_RW_MODES, _LABEL_MODES, PROPAGATIONS, _COPY_MODES, _CONSISTENCY_MODES)
        ):
            if opt in group:
                counts[i] += 1
                break
        else:
            return False
    return max(counts) <= 1


def _mount_config_error(kind: str, message: str) -> errdefs.InvalidArgument:
    return errdefs.InvalidArgument(f'invalid mount config for type "{kind}": {message}')


def _has_propagation(mode: str) -> bool:
    return any(o in PROPAGATIONS for o in mode.split(","))


def parse_bind(raw: str, *, volume_driver: str = "") -> MountPoint:
    """One HostConfig.Binds entry (moby linuxParser.ParseMountRaw): an absolute source is a
    bind, a name a named volume, no source an anonymous volume."""
    parts = raw.split(":", 3)
    if parts[0] == "" or len(parts) > 3:
        raise errdefs.InvalidArgument(_invalid_spec(raw))
    mode = ""
    if len(parts) == 1:
        source, target = "", parts[0]
    elif len(parts) == 2:
        if _valid_mode(parts[1]):
            raise errdefs.InvalidArgument(_invalid_spec(raw))
        source, target = parts
    else:
        source, target, mode = parts
    if not _valid_mode(mode):
        raise errdefs.InvalidArgument(f"invalid mode: {mode}")
    kind = "bind" if source.startswith("/") else "volume"
    opts = mode.split(",")
    copy_mode = "nocopy" in opts
    try:
        # validateExclusiveOptions: the options ParseMountRaw derived from the mode string
        if kind == "bind" and copy_mode:
            raise _mount_config_error(kind, "field VolumeOptions must not be specified")
        if kind == "volume" and _has_propagation(mode):
            raise _mount_config_error(kind, "field BindOptions must not be specified")
        try:
            _not_root(target)
            _absolute(target)
        except errdefs.InvalidArgument as err:
            raise _mount_config_error(kind, str(err)) from None
    except errdefs.InvalidArgument as err:
        raise errdefs.InvalidArgument(f"{_invalid_spec(raw)}: {err}") from None
    if kind == "volume":
        return MountPoint(
            type="volume",
            destination=posixpath.normpath(target),
            rw="ro" not in opts,
            mode=mode,
            name=source,
            driver=volume_driver,
            copy_data=not copy_mode,
            from_binds=True,
        )
    propagation = next((o for o in opts if o in PROPAGATIONS), DEFAULT_PROPAGATION)
    return MountPoint(
        type="bind",
        source=posixpath.normpath(source),
        destination=posixpath.normpath(target),
        rw="ro" not in opts,
        mode=mode,
        propagation=propagation,
        from_binds=True,
    )


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """One HostConfig.VolumesFrom entry, "container[:ro|rw]" (moby ParseVolumesFrom)."""
    if spec == "":
        raise errdefs.InvalidArgument("volumes-from specification cannot be an empty string")
    ref, _, mode = spec.partition(":")
    if mode == "":
        return ref, "rw"
    if not _valid_mode(mode) or _has_propagation(mode) or "nocopy" in mode.split(","):
        raise errdefs.InvalidArgument(f"invalid mode: {mode}")
    return ref, mode


def read_write(mode: str) -> bool:
    """moby linuxParser.ReadWrite."""
    return _valid_mode(mode) and "ro" not in mode.split(",")


def parse_mount(m: Mapping[str, Any]) -> MountPoint:
    """One HostConfig.Mounts entry (moby ValidateMountConfig + ParseMountSpec)."""
    kind = m.get("Type") or ""
    target = m.get("Target") or ""
    source = m.get("Source") or ""
    try:
        if not target:
            raise errdefs.InvalidArgument("field Target must not be empty")
        _not_root(target)
        _absolute(target)
    except errdefs.InvalidArgument as err:
        raise _mount_config_error(kind, str(err)) from None
    bind_opts = m.get("BindOptions")
    tmpfs_opts = m.get("TmpfsOptions")
    read_only = bool(m.get("ReadOnly"))
    if kind == "bind":
        return _bind_mount(source, target, read_only, bind_opts, m)
    if kind == "tmpfs":
        for field_name in ("BindOptions", "ImageOptions"):
            if m.get(field_name) is not None:
                raise _mount_config_error(kind, f"field {field_name} must not be specified")
        if source:
            raise _mount_config_error(kind, "field Source must not be specified")
        try:
            data = tmpfs_data(tmpfs_opts, read_only=read_only)
        except errdefs.InvalidArgument as err:
            raise _mount_config_error(kind, str(err)) from None
        return MountPoint(
            type="tmpfs", destination=posixpath.normpath(target), rw=not read_only, tmpfs_data=data
        )
    if kind == "volume":
        return _volume_mount(source, target, read_only, m)
    if kind in ("image", "npipe", "cluster"):
        raise errdefs.Unimplemented(f'mount type "{kind}" is not supported yet')
    raise _mount_config_error(kind, "mount type unknown")


def _volume_mount(source: str, target: str, read_only: bool, m: Mapping[str, Any]) -> MountPoint:
    for field_name in ("BindOptions", "TmpfsOptions", "ImageOptions"):
        if m.get(field_name) is not None:
            raise _mount_config_error("volume", f"field {field_name} must not be specified")
    opts = m.get("VolumeOptions") or {}
    if not isinstance(opts, Mapping):
        raise errdefs.InvalidArgument("invalid JSON: VolumeOptions must be an object")
    if opts.get("Subpath"):
        if not source:
            raise _mount_config_error("volume", "must not set Subpath when using anonymous volumes")
        raise errdefs.Unimplemented("volume subpath is not supported yet")
    driver_config = opts.get("DriverConfig") or {}
    return MountPoint(
        type="volume",
        destination=posixpath.normpath(target),
        rw=not read_only,
        name=source,
        driver=str(driver_config.get("Name") or ""),
        copy_data=not opts.get("NoCopy"),
        volume_labels={str(k): str(v) for k, v in (opts.get("Labels") or {}).items()},
        driver_opts={str(k): str(v) for k, v in (driver_config.get("Options") or {}).items()},
    )


def _bind_mount(
    source: str, target: str, read_only: bool, opts: Any, m: Mapping[str, Any]
) -> MountPoint:
    if not source:
        raise _mount_config_error("bind", "field Source must not be empty")
    opts = opts or {}
    propagation = opts.get("Propagation") or ""
    if propagation and propagation not in PROPAGATIONS:
        raise _mount_config_error("bind", f"invalid propagation mode: {propagation}")
    for field_name in ("VolumeOptions", "ImageOptions"):
        if m.get(field_name) is not None:
            raise _mount_config_error("bind", f"field {field_name} must not be specified")
    try:
        _absolute(source)
    except errdefs.InvalidArgument as err:
        raise _mount_config_error("bind", str(err)) from None
    create = bool(opts.get("CreateMountpoint"))
    if not os.path.exists(source) and not create:
        raise _mount_config_error("bind", f"bind source path does not exist: {source}")
    if opts.get("ReadOnlyNonRecursive") and opts.get("ReadOnlyForceRecursive"):
        raise errdefs.InvalidArgument(
            "mount options conflict: ReadOnlyNonRecursive && ReadOnlyForceRecursive"
        )
    return MountPoint(
        type="bind",
        source=posixpath.normpath(source),
        destination=posixpath.normpath(target),
        rw=not read_only,
        propagation=propagation or DEFAULT_PROPAGATION,
        non_recursive=bool(opts.get("NonRecursive")),
        read_only_non_recursive=bool(opts.get("ReadOnlyNonRecursive")),
        create_mountpoint=create,
    )


def tmpfs_data(opts: Mapping[str, Any] | None, *, read_only: bool) -> str:
    """moby ConvertTmpfsOptions: TmpfsOptions {SizeBytes, Mode, Options} as mount data."""
    raw: list[str] = ["ro"] if read_only else []
    opts = opts or {}
    if opts.get("Mode"):
        raw.append(f"mode={int(opts['Mode']):o}")
    size = int(opts.get("SizeBytes") or 0)
    if size:
        suffix = ""
        for unit, divisor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
            if size % divisor == 0:
                size, suffix = size // divisor, unit
                break
        raw.append(f"size={size}{suffix}")
    for opt in opts.get("Options") or []:
        if not isinstance(opt, list) or not 1 <= len(opt) <= 2:
            raise errdefs.InvalidArgument("invalid option array length")
        if opt[0] not in ("exec", "noexec"):
            raise errdefs.InvalidArgument(f"invalid option: {opt[0]}")
        raw.append(opt[0] if len(opt) == 1 else f"{opt[0]}={opt[1]}")
    return ",".join(raw)


def validate_tmpfs_destination(dest: str) -> None:
    _not_root(dest)
    _absolute(dest)


def mount_points(host_config: Mapping[str, Any]) -> list[MountPoint]:
    """Binds then Mounts of a HostConfig, validated (moby registerMountPoints)."""
    points: dict[str, MountPoint] = {}
    tmpfs = host_config.get("Tmpfs") or {}
    binds: set[str] = set()
    driver = host_config.get("VolumeDriver") or ""
    for raw in host_config.get("Binds") or []:
        mp = parse_bind(raw, volume_driver=driver)
        if mp.destination in binds or mp.destination in tmpfs:
            raise errdefs.InvalidArgument(f"Duplicate mount point: {mp.destination}")
        binds.add(mp.destination)
        points[mp.destination] = mp
    for m in host_config.get("Mounts") or []:
        mp = parse_mount(m)
        if mp.destination in binds:
            raise errdefs.InvalidArgument(f"Duplicate mount point: {m.get('Target')}")
        if mp.destination in points:
            raise errdefs.InvalidArgument(f"Duplicate mount point: {mp.destination}")
        points[mp.destination] = mp
    return list(points.values())


def inspect_doc(mp: MountPoint) -> dict[str, Any]:
    """The MountPoint document `docker inspect` shows under Mounts (Name and Driver only
    for volumes: omitempty)."""
    doc: dict[str, Any] = {"Type": mp.type}
    if mp.type == "volume":
        doc["Name"] = mp.name
    doc["Source"] = mp.source
    doc["Destination"] = mp.destination
    if mp.type == "volume":
        doc["Driver"] = mp.driver
    doc |= {"Mode": mp.mode, "RW": mp.rw, "Propagation": mp.propagation}
    return doc


def inspect_mounts(host_config: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [inspect_doc(mp) for mp in mount_points(host_config)]


def merge_tmpfs_options(options: Sequence[str]) -> list[str]:
    """moby/sys/mount MergeTmpfsOptions: the last of colliding options wins, order kept."""
    seen_flags: set[str] = set()
    seen_data: set[str] = set()
    out: list[str] = []
    for opt in reversed(options):
        if opt == "defaults":
            continue
        key = _TMPFS_FLAGS.get(opt)
        if key is not None:
            if key not in seen_flags:
                out.insert(0, opt)
                seen_flags.add(key)
            continue
        name, eq, _ = opt.partition("=")
        if not eq or name not in _TMPFS_DATA:
            raise errdefs.InvalidArgument(f'invalid tmpfs option ["{opt}"]')
        if name not in seen_data:
            out.insert(0, opt)
            seen_data.add(name)
    return out


def oci_tmpfs(destination: str, data: str) -> dict[str, Any]:
    options = ["noexec", "nosuid", "nodev", DEFAULT_PROPAGATION]
    if data:
        options += data.split(",")
    return {
        "destination": destination,
        "type": "tmpfs",
        "source": "tmpfs",
        "options": merge_tmpfs_options(options),
    }


def oci_bind(
    *, source: str, destination: str, writable: bool, propagation: str, non_recursive: bool = False
) -> dict[str, Any]:
    """A bind mount as withMounts writes it. Read-only is "ro", not "rro": our runtime has no
    recursive read-only, and Docker falls back to "ro" for such runtimes."""
    options = ["bind" if non_recursive else "rbind"]
    if not writable:
        options.append("ro")
    if propagation:
        options.append(propagation)
    return {"destination": destination, "type": "bind", "source": source, "options": options}


def depth(destination: str) -> int:
    """moby sortMounts key: parents before children."""
    return posixpath.normpath(destination).count("/")
