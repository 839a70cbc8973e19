"""The image config (OCI image config / Docker's image JSON) as records.

An image *is* its config blob: its sha256 is the image id. The config names the platform
(architecture, os, variant), the container defaults under `config` (User, Env, Cmd,
Entrypoint, WorkingDir, Labels, ExposedPorts, Volumes, StopSignal, Healthcheck, OnBuild,
Shell), the layers as `rootfs.diff_ids` (uncompressed tar digests, bottom first) and one
`history` entry per build step (`empty_layer` for steps that made no layer).

`parse_image` reads any config Docker accepts (Go's JSON decoding matches keys without regard
to case, so do we) and refuses one without `rootfs`; `config_json` writes a new one the way
Docker's image.Image marshals (top-level keys sorted, compact, UTF-8), with the `config`
object in the OCI spec's field order and its empty fields left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.content import digest as digests
from dockyard.utils.record import field, record

MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


@record(frozen=True)
class HealthConfig:
    """HEALTHCHECK: `test` is ["NONE"], ["CMD", arg...] or ["CMD-SHELL", command]."""

    test: tuple[str, ...] | None = None
    interval: int = 0  # nanoseconds, as Go's time.Duration
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


@record(frozen=True)
class ImageConfig:
    """The container defaults an image carries (`config` in the image JSON). None means
    absent (JSON null), which Docker tells apart from an empty list (`ENTRYPOINT []`)."""

    user: str = ""
    exposed_ports: tuple[str, ...] | None = None  # "80/tcp"
    env: tuple[str, ...] | None = None  # "KEY=value"
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    volumes: tuple[str, ...] | None = None
    working_dir: str = ""
    labels: dict[str, str] | None = None
    stop_signal: str = ""
    args_escaped: bool = False
    healthcheck: HealthConfig | None = None
    on_build: tuple[str, ...] | None = None
    shell: tuple[str, ...] | None = None


@record(frozen=True)
class History:
    """One build step (`docker history` shows them newest first)."""

    created: str = ""
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False


@record(frozen=True)
class Image:
    """A parsed image config; `raw` is the blob itself (its digest is `id`)."""

    id: str
    raw: bytes
    diff_ids: tuple[str, ...]
    architecture: str = ""
    os: str = ""
    variant: str = ""
    os_version: str = ""
    created: str = ""
    author: str = ""
    comment: str = ""
    docker_version: str = ""
    container: str = ""
    parent: str = ""
    config: ImageConfig = field(default_factory=ImageConfig)
    container_config: dict[str, Any] | None = None  # legacy; inspect shows it before API 1.45
    rootfs_type: str = "layers"
    history: tuple[History, ...] = ()


def parse_image(data: bytes) -> Image:
    """Parse a config blob; InvalidArgument when it is not a usable image config."""
    try:
        doc = json.loads(data)
    except ValueError as err:
        raise errdefs.InvalidArgument(f"invalid image JSON: {err}") from None
    if not isinstance(doc, dict):
        raise errdefs.InvalidArgument("invalid image JSON: not an object")
    top = _Fields(doc, "image")
    rootfs = top.get("rootfs", dict)
    if rootfs is None:
        raise errdefs.InvalidArgument("invalid image JSON, no RootFS key")
    fs = _Fields(rootfs, "rootfs")
    diff_ids = fs.strings("diff_ids") or ()
    for diff_id in diff_ids:
        digests.parse(diff_id)
    history = top.get("history", list) or []
    return Image(
        id=digests.sha256_of(data),
        raw=data,
        diff_ids=diff_ids,
        architecture=top.text("architecture"),
        os=top.text("os"),
        variant=top.text("variant"),
        os_version=top.text("os.version"),
        created=top.text("created"),
        author=top.text("author"),
        comment=top.text("comment"),
        docker_version=top.text("docker_version"),
        container=top.text("container"),
        parent=top.text("parent"),
        config=parse_config(top.get("config", dict) or {}),
        container_config=top.get("container_config", dict),
        rootfs_type=fs.text("type"),
        history=tuple(_history(h) for h in history),
    )


def parse_config(doc: Mapping[str, Any]) -> ImageConfig:
    """The `config` object of an image JSON."""
    f = _Fields(doc, "config")
    health = f.get("Healthcheck", dict)
    labels = f.get("Labels", dict)
    ports = f.get("ExposedPorts", dict)
    volumes = f.get("Volumes", dict)
    return ImageConfig(
        user=f.text("User"),
        exposed_ports=tuple(ports) if ports is not None else None,
        env=f.strings("Env"),
        entrypoint=f.strslice("Entrypoint"),
        cmd=f.strslice("Cmd"),
        volumes=tuple(volumes) if volumes is not None else None,
        working_dir=f.text("WorkingDir"),
        labels={str(k): str(v) for k, v in labels.items()} if labels is not None else None,
        stop_signal=f.text("StopSignal"),
        args_escaped=bool(f.get("ArgsEscaped", bool)),
        healthcheck=_health(health) if health is not None else None,
        on_build=f.strings("OnBuild"),
        shell=f.strslice("Shell"),
    )


def config_doc(config: ImageConfig) -> dict[str, Any]:
    """The `config` object as the OCI spec orders it, empty fields left out (omitempty)."""
    doc: dict[str, Any] = {}
    if config.user:
        doc["User"] = config.user
    if config.exposed_ports:
        doc["ExposedPorts"] = {p: {} for p in sorted(config.exposed_ports)}
    if config.env:
        doc["Env"] = list(config.env)
    if config.entrypoint:
        doc["Entrypoint"] = list(config.entrypoint)
    if config.cmd:
        doc["Cmd"] = list(config.cmd)
    if config.volumes:
        doc["Volumes"] = {v: {} for v in sorted(config.volumes)}
    if config.working_dir:
        doc["WorkingDir"] = config.working_dir
    if config.labels:
        doc["Labels"] = dict(sorted(config.labels.items()))
    if config.stop_signal:
        doc["StopSignal"] = config.stop_signal
    if config.args_escaped:
        doc["ArgsEscaped"] = True
    if config.healthcheck is not None:
        doc["Healthcheck"] = health_doc(config.healthcheck)
    if config.on_build:
        doc["OnBuild"] = list(config.on_build)
    if config.shell:
        doc["Shell"] = list(config.shell)
    return doc


def health_doc(health: HealthConfig) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if health.test:
        doc["Test"] = list(health.test)
    for key, value in (
        ("Interval", health.interval),
        ("Timeout", health.timeout),
        ("StartPeriod", health.start_period),
        ("StartInterval", health.start_interval),
        ("Retries", health.retries),
    ):
        if value:
            doc[key] = value
    return doc


def config_json(
    *,
    config: ImageConfig,
    diff_ids: Sequence[str],
    history: Sequence[History],
    architecture: str,
    os: str,
    variant: str = "",
    created: str = "",
    comment: str = "",
    author: str = "",
) -> bytes:
    """A new image config blob, serialised as Docker's image.Image.MarshalJSON does."""
    doc: dict[str, Any] = {
        "architecture": architecture,
        "config": config_doc(config),
        "created": created or None,
        "history": [_history_doc(h) for h in history],
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    }
    for key, value in (("author", author), ("comment", comment), ("variant", variant)):
        if value:
            doc[key] = value
    if not history:
        del doc["history"]
    # Only the top level is sorted (Go re-marshals it as a map); nested objects keep their
    # struct order, so no sort_keys.
    top = {key: doc[key] for key in sorted(doc)}
    return json.dumps(top, separators=(",", ":"), ensure_ascii=False).encode()


def _history_doc(h: History) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if h.created:
        doc["created"] = h.created
    for key, value in (("author", h.author), ("created_by", h.created_by), ("comment", h.comment)):
        if value:
            doc[key] = value
    if h.empty_layer:
        doc["empty_layer"] = True
    return doc


def _history(value: object) -> History:
    if not isinstance(value, dict):
        raise errdefs.InvalidArgument("invalid image JSON: history entry is not an object")
    f = _Fields(value, "history")
    return History(
        created=f.text("created"),
        created_by=f.text("created_by"),
        author=f.text("author"),
        comment=f.text("comment"),
        empty_layer=bool(f.get("empty_layer", bool)),
    )


def _health(doc: Mapping[str, Any]) -> HealthConfig:
    f = _Fields(doc, "Healthcheck")
    return HealthConfig(
        test=f.strings("Test"),
        interval=f.number("Interval"),
        timeout=f.number("Timeout"),
        start_period=f.number("StartPeriod"),
        start_interval=f.number("StartInterval"),
        retries=f.number("Retries"),
    )


class _Fields:
    """Typed reads from a JSON object, keys matched without regard to case (as Go's
    encoding/json does); a value of the wrong type is InvalidArgument, null is absent."""

    def __init__(self, doc: Mapping[str, Any], where: str) -> None:
        self._doc = doc
        self._folded = {str(k).lower(): k for k in doc}
        self._where = where

    def get(self, key: str, kind: type) -> Any:
        value = self._doc.get(key, None) if key in self._doc else None
        if value is None and key not in self._doc:
            real = self._folded.get(key.lower())
            value = self._doc[real] if real is not None else None
        if value is None:
            return None
        if kind is int and isinstance(value, bool):
            raise self._bad(key)
        if not isinstance(value, kind) and not (kind is int and isinstance(value, float)):
            raise self._bad(key)
        return value

    def text(self, key: str) -> str:
        return str(self.get(key, str) or "")

    def number(self, key: str) -> int:
        return int(self.get(key, int) or 0)

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.get(key, list)
        if value is None:
            return None
        if not all(isinstance(item, str) for item in value):
            raise self._bad(key)
        return tuple(value)

    def strslice(self, key: str) -> tuple[str, ...] | None:
        """Docker's strslice.StrSlice: a list of strings, or one string."""
        real = key if key in self._doc else self._folded.get(key.lower(), key)
        value = self._doc.get(real)
        return (value,) if isinstance(value, str) else self.strings(key)

    def _bad(self, key: str) -> errdefs.InvalidArgument:
        return errdefs.InvalidArgument(
            f"invalid image JSON: {self._where}.{key} has the wrong type"
        )
