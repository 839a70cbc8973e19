"""docker's context store, read and written in docker's own layout (shared with docker):

    <config_dir>/contexts/meta/<sha256(name)>/meta.json
        {"Name": ..., "Metadata": {"Description": ...},
         "Endpoints": {"docker": {"Host": ..., "SkipTLSVerify": ...}}}
    <config_dir>/contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem

The "default" context is implicit (never stored): it is what -H / DOCKYARD_HOST / the TLS flags
say, built by hosts.py. Keys we do not know in meta.json (other endpoints, metadata fields) are
kept on update.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.utils import jsonfast
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT = "default"
DOCKER = "docker"  # the endpoint name
TLS_FILES = ("ca.pem", "cert.pem", "key.pem")
NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"
DEFAULT_DESCRIPTION = "Current DOCKYARD_HOST based configuration"


@record(frozen=True)
class Context:
    """One context: its docker endpoint and where it is stored ("" for the default)."""

    name: str
    description: str = ""
    host: str = ""
    skip_tls_verify: bool = False
    ca: str = ""  # paths of the endpoint's TLS files, "" when absent
    cert: str = ""
    key: str = ""
    meta: dict[str, Any] | None = None  # meta.json as stored (None for the default)
    meta_path: str = ""
    tls_path: str = ""

    @property
    def has_tls(self) -> bool:
        return bool(self.ca or self.cert or self.key)

    def inspect(self) -> dict[str, Any]:
        """`docker context inspect`'s object."""
        meta = (
            dict(self.meta) if self.meta else _meta(self.name, "", self.host, self.skip_tls_verify)
        )
        if self.meta is None:
            meta["Metadata"] = {"Description": self.description} if self.description else {}
        files = [os.path.basename(p) for p in (self.ca, self.cert, self.key) if p]
        return {
            **meta,
            "TLSMaterial": {DOCKER: files} if files else {},
            "Storage": {
                "MetadataPath": self.meta_path or "<IN MEMORY>",
                "TLSPath": self.tls_path or "<IN MEMORY>",
            },
        }


def _digest(name: str) -> str:
    try:  # the C module alone: hashlib loads OpenSSL (milliseconds) for one digest
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:
        from hashlib import sha256
    return str(sha256(name.encode()).hexdigest())


def meta_dir(config_dir: str, name: str) -> str:
    return os.path.join(config_dir, "contexts", "meta", _digest(name))


def tls_dir(config_dir: str, name: str) -> str:
    return os.path.join(config_dir, "contexts", "tls", _digest(name))


def _meta(name: str, description: str, host: str, skip: bool) -> dict[str, Any]:
    return {
        "Name": name,
        "Metadata": {"Description": description} if description else {},
        "Endpoints": {DOCKER: {"Host": host, "SkipTLSVerify": skip}},
    }


def _from_meta(meta: dict[str, Any], meta_path: str, tls_path: str) -> Context:
    endpoint = (meta.get("Endpoints") or {}).get(DOCKER) or {}
    metadata = meta.get("Metadata") or {}
    tls = os.path.join(tls_path, DOCKER)
    ca, cert, key = (
        os.path.join(tls, f) if os.path.isfile(os.path.join(tls, f)) else "" for f in TLS_FILES
    )
    return Context(
        name=str(meta.get("Name", "")),
        description=str(metadata.get("Description", "")) if isinstance(metadata, dict) else "",
        host=str(endpoint.get("Host", "")),
        skip_tls_verify=bool(endpoint.get("SkipTLSVerify", False)),
        ca=ca,
        cert=cert,
        key=key,
        meta=meta,
        meta_path=meta_path,
        tls_path=tls_path,
    )


def get(config_dir: str, name: str) -> Context:
    """A stored context; NotFound with docker's message when it does not exist."""
    mdir = meta_dir(config_dir, name)
    path = os.path.join(mdir, "meta.json")
    try:
        with open(path, "rb") as f:
            meta = jsonfast.loads(f.read())
    except FileNotFoundError:
        raise errdefs.NotFound(
            f'context "{name}": context not found: open {path}: no such file or directory'
        ) from None
    except ValueError as err:
        raise errdefs.InvalidArgument(f'context "{name}": parsing {path}: {err}') from err
    if not isinstance(meta, dict):
        raise errdefs.InvalidArgument(f'context "{name}": parsing {path}: not an object')
    return _from_meta(meta, mdir, tls_dir(config_dir, name))


def exists(config_dir: str, name: str) -> bool:
    return os.path.isfile(os.path.join(meta_dir(config_dir, name), "meta.json"))


def list_contexts(config_dir: str) -> list[Context]:
    """The stored contexts, sorted by name (the default is not among them)."""
    root = os.path.join(config_dir, "contexts", "meta")
    try:
        entries = os.listdir(root)
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        path = os.path.join(root, entry, "meta.json")
        try:
            with open(path, "rb") as f:
                meta = jsonfast.loads(f.read())
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("Name"):
            name = str(meta["Name"])
            found.append(_from_meta(meta, os.path.join(root, entry), tls_dir(config_dir, name)))
    return sorted(found, key=lambda c: c.name)


def validate_name(name: str) -> None:
    """docker's rules for a new context's name."""
    import re

    if not name:
        raise errdefs.InvalidArgument("context name cannot be empty")
    if name == DEFAULT:
        raise errdefs.InvalidArgument(f'"{DEFAULT}" is a reserved context name')
    if not re.match(NAME_PATTERN, name):
        raise errdefs.InvalidArgument(
            f'context name "{name}" is invalid, names are validated against regexp "{NAME_PATTERN}"'
        )


def _write_meta(config_dir: str, meta: dict[str, Any]) -> None:
    mdir = meta_dir(config_dir, str(meta["Name"]))
    os.makedirs(mdir, mode=0o755, exist_ok=True)
    _atomic_write(os.path.join(mdir, "meta.json"), jsonfast.dumps(meta).encode(), 0o644)


def _atomic_write(path: str, data: bytes, mode: int) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_tls(config_dir: str, name: str, tls: dict[str, bytes]) -> None:
    """Replace the docker endpoint's TLS files with `tls` ({"ca.pem": b"..."}; may be empty)."""
    import shutil

    root = tls_dir(config_dir, name)
    shutil.rmtree(os.path.join(root, DOCKER), ignore_errors=True)
    files = {k: v for k, v in tls.items() if v}
    if not files:
        shutil.rmtree(root, ignore_errors=True)
        return
    os.makedirs(os.path.join(root, DOCKER), mode=0o700, exist_ok=True)
    for fname, data in files.items():
        if fname not in TLS_FILES:
            raise errdefs.InvalidArgument(f"unexpected TLS file {fname!r}")
        _atomic_write(os.path.join(root, DOCKER, fname), data, 0o600)


def create(
    config_dir: str,
    name: str,
    *,
    host: str,
    description: str = "",
    skip_tls_verify: bool = False,
    tls: dict[str, bytes] | None = None,
) -> Context:
    """`docker context create`: a new context with a docker endpoint."""
    validate_name(name)
    if exists(config_dir, name):
        raise errdefs.AlreadyExists(f'context "{name}" already exists')
    _write_meta(config_dir, _meta(name, description, host, skip_tls_verify))
    if tls:
        _write_tls(config_dir, name, tls)
    return get(config_dir, name)


def update(
    config_dir: str,
    name: str,
    *,
    host: str | None = None,
    description: str | None = None,
    skip_tls_verify: bool | None = None,
    tls: dict[str, bytes] | None = None,
) -> Context:
    """`docker context update`: change what is given, keep the rest (and unknown keys)."""
    if name == DEFAULT:
        raise errdefs.InvalidArgument(f'"{DEFAULT}" is a reserved context name')
    meta = dict(get(config_dir, name).meta or {})
    if description is not None:
        metadata = dict(meta.get("Metadata") or {})
        if description:
            metadata["Description"] = description
        else:
            metadata.pop("Description", None)
        meta["Metadata"] = metadata
    if host is not None or skip_tls_verify is not None:
        endpoints = dict(meta.get("Endpoints") or {})
        endpoint = dict(endpoints.get(DOCKER) or {})
        if host is not None:
            endpoint["Host"] = host
        if skip_tls_verify is not None:
            endpoint["SkipTLSVerify"] = skip_tls_verify
        endpoints[DOCKER] = endpoint
        meta["Endpoints"] = endpoints
    _write_meta(config_dir, meta)
    if tls is not None:
        _write_tls(config_dir, name, tls)
    return get(config_dir, name)


def remove(config_dir: str, name: str) -> None:
    """`docker context rm` (the in-use check is the command's)."""
    import shutil

    if not exists(config_dir, name):
        raise errdefs.NotFound(f'context "{name}" does not exist')
    shutil.rmtree(meta_dir(config_dir, name))
    shutil.rmtree(tls_dir(config_dir, name), ignore_errors=True)


def tls_data(ctx: Context) -> dict[str, bytes]:
    """The endpoint's TLS files by name."""
    out = {}
    for path in (ctx.ca, ctx.cert, ctx.key):
        if path:
            with open(path, "rb") as f:
                out[os.path.basename(path)] = f.read()
    return out


def export(ctx: Context) -> bytes:
    """`docker context export`: a tar of meta.json and tls/<endpoint>/<file>, as docker's
    store.Export writes it (the default context too, from its resolved endpoint)."""
    import io
    import tarfile

    meta = (
        ctx.meta
        if ctx.meta is not None
        else _meta(ctx.name, ctx.description, ctx.host, ctx.skip_tls_verify)
    )
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name: str, data: bytes | None, mode: int) -> None:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.mtime = 0
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

        add("meta.json", jsonfast.dumps(meta).encode(), 0o644)
        add("tls", None, 0o700)
        files = tls_data(ctx)
        if files:
            add(f"tls/{DOCKER}", None, 0o700)
            for fname, data in files.items():
                add(f"tls/{DOCKER}/{fname}", data, 0o600)
    return out.getvalue()


def import_(config_dir: str, name: str, data: bytes) -> Context:
    """`docker context import`: a context named `name` from an exported tar."""
    import io
    import tarfile

    validate_name(name)
    if exists(config_dir, name):
        raise errdefs.AlreadyExists(f'context "{name}" already exists')
    meta: dict[str, Any] | None = None
    tls: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                parts = member.name.split("/")
                if ".." in parts or member.name.startswith("/"):
                    raise errdefs.InvalidArgument(f"{member.name}: unexpected path")
                f = tar.extractfile(member)
                content = f.read() if f is not None else b""
                if member.name == "meta.json":
                    meta = jsonfast.loads(content)
                elif len(parts) == 3 and parts[0] == "tls" and parts[1] == DOCKER:
                    tls[parts[2]] = content
    except tarfile.TarError as err:
        raise errdefs.InvalidArgument(f"invalid context: {err}") from err
    if not isinstance(meta, dict):
        raise errdefs.InvalidArgument("invalid context: no metadata found")
    meta["Name"] = name
    _write_meta(config_dir, meta)
    _write_tls(config_dir, name, tls)
    return get(config_dir, name)
