"""`shim.json`: what the daemon tells a shim about its container (records and the file)."""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.utils import jsonfast
from dockyard.utils.record import field, record

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    from typing import Any

FILE = "shim.json"


@record(frozen=True)
class LogConfig:
    """The container's log driver (Docker's HostConfig.LogConfig) and its file."""

    driver: str = "json-file"
    path: str = ""
    opts: dict[str, str] = field(default_factory=dict)


@record(frozen=True)
class ShimConfig:
    """One container's shim: its bundle, the OCI runtime to drive, stdio and logging."""

    id: str
    bundle: str
    runtime: str  # path of the runc-compatible runtime
    runtime_root: str  # its --root
    runtime_args: tuple[str, ...] = ()  # extra global flags (daemon.json runtimeArgs)
    tty: bool = False
    open_stdin: bool = False
    console_size: tuple[int, int] | None = None  # (height, width)
    log: LogConfig = field(default_factory=LogConfig)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bundle": self.bundle,
            "runtime": self.runtime,
            "runtime_root": self.runtime_root,
            "runtime_args": list(self.runtime_args),
            "tty": self.tty,
            "open_stdin": self.open_stdin,
            "console_size": list(self.console_size) if self.console_size else None,
            "log": {"driver": self.log.driver, "path": self.log.path, "opts": dict(self.log.opts)},
        }

    @classmethod
    def from_json(cls, doc: Any) -> ShimConfig:
        """Validate a parsed shim.json; InvalidArgument names the first bad field."""
        if not isinstance(doc, dict):
            raise errdefs.InvalidArgument("invalid shim.json: not an object")
        log = doc.get("log") or {}
        size = doc.get("console_size")
        strings = {k: doc.get(k) for k in ("id", "bundle", "runtime", "runtime_root")}
        for key, value in strings.items():
            if not isinstance(value, str) or not value:
                raise errdefs.InvalidArgument(f"invalid shim.json: {key} must be a string")
        args = doc.get("runtime_args") or []
        opts = log.get("opts") if isinstance(log, dict) else None
        if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
            raise errdefs.InvalidArgument("invalid shim.json: runtime_args must be strings")
        if not isinstance(log, dict) or not isinstance(log.get("driver", "json-file"), str):
            raise errdefs.InvalidArgument("invalid shim.json: log must be an object")
        if not isinstance(opts or {}, dict) or not all(
            isinstance(v, str) for v in (opts or {}).values()
        ):
            raise errdefs.InvalidArgument("invalid shim.json: log.opts must map to strings")
        if size is not None and not (
            isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size)
        ):
            raise errdefs.InvalidArgument("invalid shim.json: console_size must be [h, w]")
        return cls(
            id=str(strings["id"]),
            bundle=str(strings["bundle"]),
            runtime=str(strings["runtime"]),
            runtime_root=str(strings["runtime_root"]),
            runtime_args=tuple(args),
            tty=bool(doc.get("tty", False)),
            open_stdin=bool(doc.get("open_stdin", False)),
            console_size=(size[0], size[1]) if size else None,
            log=LogConfig(
                driver=str(log.get("driver", "json-file")),
                path=str(log.get("path", "")),
                opts=dict(opts or {}),
            ),
        )


def load(directory: str) -> ShimConfig:
    path = os.path.join(directory, FILE)
    try:
        with open(path, "rb") as f:
            doc = jsonfast.loads(f.read())
    except OSError as err:
        raise errdefs.InvalidArgument(f"failed to read {path}: {err.strerror}") from None
    except ValueError as err:
        raise errdefs.InvalidArgument(f"invalid {path}: {err}") from None
    return ShimConfig.from_json(doc)


def write_atomic(path: str, data: bytes) -> None:
    """Write a small file so readers see the old or the new content, never a torn one."""
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    os.rename(tmp, path)


def save(directory: str, cfg: ShimConfig) -> None:
    os.makedirs(directory, exist_ok=True)
    write_atomic(os.path.join(directory, FILE), jsonfast.dumps(cfg.to_json()).encode())
