"""config.json of an OCI bundle, read into frozen records.

Only the parts the runtime interprets field by field become records; `linux.resources` and
`linux.seccomp` stay raw mappings handed whole to cgroups/ and seccomp.py, which validate them.
Every malformed field raises errdefs.InvalidArgument naming the field (runtime-spec config.md).
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.utils import jsonfast as json
from dockyard.utils.record import field, record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    Raw = Mapping[str, Any]


SUPPORTED_MAJOR = 1


@record(frozen=True)
class Mount:
    destination: str
    type: str
    source: str
    options: tuple[str, ...] = ()


@record(frozen=True)
class Hook:
    path: str
    args: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    timeout: int | None = None


@record(frozen=True)
class Namespace:
    type: str
    path: str = ""


@record(frozen=True)
class IDMapping:
    container_id: int
    host_id: int
    size: int


@record(frozen=True)
class User:
    uid: int = 0
    gid: int = 0
    umask: int | None = None
    additional_gids: tuple[int, ...] = ()


@record(frozen=True)
class Rlimit:
    type: str
    soft: int
    hard: int


@record(frozen=True)
class Capabilities:
    bounding: tuple[str, ...] = ()
    effective: tuple[str, ...] = ()
    inheritable: tuple[str, ...] = ()
    permitted: tuple[str, ...] = ()
    ambient: tuple[str, ...] = ()


@record(frozen=True)
class Process:
    args: tuple[str, ...]
    cwd: str
    env: tuple[str, ...] = ()
    terminal: bool = False
    console_size: tuple[int, int] | None = None  # (height, width)
    user: User = field(default_factory=User)
    capabilities: Capabilities | None = None
    rlimits: tuple[Rlimit, ...] = ()
    no_new_privileges: bool = False
    apparmor_profile: str = ""
    selinux_label: str = ""
    oom_score_adj: int | None = None


@record(frozen=True)
class Spec:
    """The parts of config.json the runtime acts on; `raw` keeps the document itself."""

    oci_version: str
    process: Process | None
    root_path: str  # absolute
    root_readonly: bool
    hostname: str
    domainname: str
    mounts: tuple[Mount, ...]
    hooks: Mapping[str, tuple[Hook, ...]]
    annotations: Mapping[str, str]
    namespaces: tuple[Namespace, ...]
    uid_mappings: tuple[IDMapping, ...]
    gid_mappings: tuple[IDMapping, ...]
    devices: tuple[Raw, ...]
    resources: Raw
    cgroups_path: str
    sysctl: Mapping[str, str]
    masked_paths: tuple[str, ...]
    readonly_paths: tuple[str, ...]
    rootfs_propagation: str
    seccomp: Raw | None
    mount_label: str
    raw: Raw

    def has_namespace(self, ns_type: str) -> bool:
        return any(ns.type == ns_type for ns in self.namespaces)


HOOK_KINDS = (
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
)
NAMESPACE_TYPES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")


def _bad(what: str) -> errdefs.InvalidArgument:
    return errdefs.InvalidArgument(f"invalid config.json: {what}")


def _obj(raw: Any, where: str) -> Raw:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _bad(f"{where} must be an object")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(f"{where} must be an array")
    return raw


def _str(raw: Any, where: str, default: str = "") -> str:
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise _bad(f"{where} must be a string")
    return raw


def _int(raw: Any, where: str, default: int | None = None) -> int:
    if raw is None and default is not None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _bad(f"{where} must be an integer")
    return raw


def _strs(raw: Any, where: str) -> tuple[str, ...]:
    return tuple(_str(v, f"{where}[{i}]") for i, v in enumerate(_list(raw, where)))


def parse_process(raw: Raw, where: str = "process") -> Process:
    """Read a runtime-spec process object (also the `exec --process` file)."""
    args = _strs(raw.get("args"), f"{where}.args")
    if not args:
        raise _bad(f"{where}.args must not be empty")
    cwd = _str(raw.get("cwd"), f"{where}.cwd", "/")
    if not cwd.startswith("/"):
        raise _bad(f"{where}.cwd must be an absolute path, got {cwd!r}")
    user_raw = _obj(raw.get("user"), f"{where}.user")
    umask = user_raw.get("umask")
    user = User(
        uid=_int(user_raw.get("uid"), f"{where}.user.uid", 0),
        gid=_int(user_raw.get("gid"), f"{where}.user.gid", 0),
        umask=None if umask is None else _int(umask, f"{where}.user.umask"),
        additional_gids=tuple(
            _int(g, f"{where}.user.additionalGids")
            for g in _list(user_raw.get("additionalGids"), f"{where}.user.additionalGids")
        ),
    )
    caps = None
    if raw.get("capabilities") is not None:
        c = _obj(raw.get("capabilities"), f"{where}.capabilities")
        caps = Capabilities(
            **{
                k: _strs(c.get(k), f"{where}.capabilities.{k}")
                for k in Capabilities.__annotations__
            }
        )
    rlimits = []
    for i, r in enumerate(_list(raw.get("rlimits"), f"{where}.rlimits")):
        r = _obj(r, f"{where}.rlimits[{i}]")
        rlimits.append(
            Rlimit(
                type=_str(r.get("type"), f"{where}.rlimits[{i}].type"),
                soft=_int(r.get("soft"), f"{where}.rlimits[{i}].soft"),
                hard=_int(r.get("hard"), f"{where}.rlimits[{i}].hard"),
            )
        )
    size = raw.get("consoleSize")
    console_size = None
    if size is not None:
        size = _obj(size, f"{where}.consoleSize")
        console_size = (
            _int(size.get("height"), f"{where}.consoleSize.height", 0),
            _int(size.get("width"), f"{where}.consoleSize.width", 0),
        )
    oom = raw.get("oomScoreAdj")
    return Process(
        args=args,
        cwd=cwd,
        env=_strs(raw.get("env"), f"{where}.env"),
        terminal=bool(raw.get("terminal", False)),
        console_size=console_size,
        user=user,
        capabilities=caps,
        rlimits=tuple(rlimits),
        no_new_privileges=bool(raw.get("noNewPrivileges", False)),
        apparmor_profile=_str(raw.get("apparmorProfile"), f"{where}.apparmorProfile"),
        selinux_label=_str(raw.get("selinuxLabel"), f"{where}.selinuxLabel"),
        oom_score_adj=None if oom is None else _int(oom, f"{where}.oomScoreAdj"),
    )


def _mounts(raw: Any) -> tuple[Mount, ...]:
    out = []
    for i, m in enumerate(_list(raw, "mounts")):
        m = _obj(m, f"mounts[{i}]")
        dest = _str(m.get("destination"), f"mounts[{i}].destination")
        if not dest.startswith("/"):
            raise _bad(f"mounts[{i}].destination must be an absolute path, got {dest!r}")
        out.append(
            Mount(
                destination=dest,
                type=_str(m.get("type"), f"mounts[{i}].type"),
                source=_str(m.get("source"), f"mounts[{i}].source"),
                options=_strs(m.get("options"), f"mounts[{i}].options"),
            )
        )
    return tuple(out)


def _hooks(raw: Any) -> dict[str, tuple[Hook, ...]]:
    hooks: dict[str, tuple[Hook, ...]] = {}
    for kind, entries in _obj(raw, "hooks").items():
        if kind not in HOOK_KINDS:
            continue  # runtime-spec: unknown hook kinds are ignored
        parsed = []
        for i, h in enumerate(_list(entries, f"hooks.{kind}")):
            h = _obj(h, f"hooks.{kind}[{i}]")
            path = _str(h.get("path"), f"hooks.{kind}[{i}].path")
            if not path.startswith("/"):
                raise _bad(f"hooks.{kind}[{i}].path must be absolute, got {path!r}")
            timeout = h.get("timeout")
            if timeout is not None and _int(timeout, f"hooks.{kind}[{i}].timeout") <= 0:
                raise _bad(f"hooks.{kind}[{i}].timeout must be positive")
            parsed.append(
                Hook(
                    path=path,
                    args=_strs(h.get("args"), f"hooks.{kind}[{i}].args"),
                    env=_strs(h.get("env"), f"hooks.{kind}[{i}].env"),
                    timeout=timeout,
                )
            )
        hooks[kind] = tuple(parsed)
    return hooks


def _namespaces(raw: Any) -> tuple[Namespace, ...]:
    out: list[Namespace] = []
    for i, ns in enumerate(_list(raw, "linux.namespaces")):
        ns = _obj(ns, f"linux.namespaces[{i}]")
        kind = _str(ns.get("type"), f"linux.namespaces[{i}].type")
        if kind not in NAMESPACE_TYPES:
            raise _bad(f"linux.namespaces[{i}]: unknown namespace type {kind!r}")
        if any(o.type == kind for o in out):
            raise _bad(f"linux.namespaces: duplicate namespace {kind!r}")
        out.append(Namespace(type=kind, path=_str(ns.get("path"), f"linux.namespaces[{i}].path")))
    return tuple(out)


def _idmaps(raw: Any, where: str) -> tuple[IDMapping, ...]:
    out = []
    for i, m in enumerate(_list(raw, where)):
        m = _obj(m, f"{where}[{i}]")
        out.append(
            IDMapping(
                container_id=_int(m.get("containerID"), f"{where}[{i}].containerID"),
                host_id=_int(m.get("hostID"), f"{where}[{i}].hostID"),
                size=_int(m.get("size"), f"{where}[{i}].size"),
            )
        )
    return tuple(out)


def parse(doc: Raw, bundle: str) -> Spec:
    """Turn a decoded config.json into a Spec; `bundle` anchors a relative root.path."""
    version = _str(doc.get("ociVersion"), "ociVersion")
    if not version:
        raise _bad("ociVersion is missing")
    try:
        major = int(version.split(".", 1)[0])
    except ValueError:
        raise _bad(f"ociVersion {version!r} is not a version") from None
    if major != SUPPORTED_MAJOR:
        raise _bad(f"unsupported ociVersion {version!r} (this runtime implements 1.x)")
    root = _obj(doc.get("root"), "root")
    root_path = _str(root.get("path"), "root.path")
    if not root_path:
        raise _bad("root.path is missing")
    root_path = os.path.normpath(os.path.join(bundle, root_path))
    linux = _obj(doc.get("linux"), "linux")
    process = None
    if doc.get("process") is not None:
        process = parse_process(_obj(doc.get("process"), "process"))
    sysctl = _obj(linux.get("sysctl"), "linux.sysctl")
    seccomp = linux.get("seccomp")
    return Spec(
        oci_version=version,
        process=process,
        root_path=root_path,
        root_readonly=bool(root.get("readonly", False)),
        hostname=_str(doc.get("hostname"), "hostname"),
        domainname=_str(doc.get("domainname"), "domainname"),
        mounts=_mounts(doc.get("mounts")),
        hooks=_hooks(doc.get("hooks")),
        annotations={k: str(v) for k, v in _obj(doc.get("annotations"), "annotations").items()},
        namespaces=_namespaces(linux.get("namespaces")),
        uid_mappings=_idmaps(linux.get("uidMappings"), "linux.uidMappings"),
        gid_mappings=_idmaps(linux.get("gidMappings"), "linux.gidMappings"),
        devices=tuple(
            _obj(d, "linux.devices[]") for d in _list(linux.get("devices"), "linux.devices")
        ),
        resources=_obj(linux.get("resources"), "linux.resources"),
        cgroups_path=_str(linux.get("cgroupsPath"), "linux.cgroupsPath"),
        sysctl={k: _str(v, f"linux.sysctl.{k}") for k, v in sysctl.items()},
        masked_paths=_strs(linux.get("maskedPaths"), "linux.maskedPaths"),
        readonly_paths=_strs(linux.get("readonlyPaths"), "linux.readonlyPaths"),
        rootfs_propagation=_str(linux.get("rootfsPropagation"), "linux.rootfsPropagation"),
        seccomp=None if seccomp is None else _obj(seccomp, "linux.seccomp"),
        mount_label=_str(linux.get("mountLabel"), "linux.mountLabel"),
        raw=doc,
    )


def load(bundle: str) -> Spec:
    """Read and parse BUNDLE/config.json; a missing rootfs or process is refused here."""
    path = os.path.join(bundle, "config.json")
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise errdefs.NotFound(f"no config.json in bundle {bundle}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise _bad(f"{path} is not valid JSON: {err}") from None
    if not isinstance(doc, dict):
        raise _bad("the document must be a JSON object")
    spec = parse(doc, bundle)
    if not os.path.isdir(spec.root_path):
        raise errdefs.NotFound(f"rootfs {spec.root_path} does not exist or is not a directory")
    return spec
