"""Container log drivers: the formats the shim writes and the daemon reads.

Drivers (Docker's names): `json-file` (Docker's exact format, rotated by max-size/max-file),
`local` (our compact binary format, rotated; defaults max-size 20 MiB, max-file 5) and `none`.

Writing (the shim): `open_writer(driver, path, opts)` gives a LogWriter; the shim splits each
stream with splitter.LineSplitter (Docker's copier) and writes every message it yields.
Reading (the daemon): `open_reader(driver, path).read(since_ns=, until_ns=, tail=)` returns the
entries and a Cursor; `poll(cursor)` returns what was written since, across rotations.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.shim.logs.entry import Cursor, LogEntry
from dockyard.shim.logs.files import RotatingFile

TYPE_CHECKING = False  # true for mypy; the shim does not pay for typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol, TypeVar

    from dockyard.shim.logs.reader import Codec

    class LogWriter(Protocol):
        def write(self, stream: str, data: bytes, time_ns: int) -> None: ...

        def close(self) -> None: ...

    class LogReader(Protocol):
        def read(
            self, *, since_ns: int = 0, until_ns: int = 0, tail: int = -1
        ) -> tuple[list[LogEntry], Cursor]: ...

        def poll(self, cursor: Cursor) -> tuple[list[LogEntry], Cursor]: ...

    T = TypeVar("T")

__all__ = [
    "DRIVERS",
    "Cursor",
    "LogEntry",
    "open_reader",
    "open_writer",
    "parse_size",
    "validate_options",
]

DRIVERS = ("json-file", "local", "none")
_COMMON_OPTS = ("labels", "labels-regex", "env", "env-regex", "tag")
LOCAL_MAX_SIZE = 20 * 1024 * 1024
LOCAL_MAX_FILE = 5
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}


def parse_size(text: str) -> int:
    """docker/go-units FromHumanSize: decimal units, "10m" is 10,000,000 bytes; `k`, `kb`,
    `KiB` and `10 MB` are all accepted, and the multiplier is always a power of 1000."""
    num = text.rstrip("bBiIkKmMgGtTpP")
    suffix = text[len(num) :].lower()
    num = num[:-1] if num.endswith(" ") else num
    unit = suffix[:1] if suffix[:1] in _UNITS and suffix[:1] != "b" else ""
    rest = suffix[len(unit) :]
    ok_rest = rest in ("", "b", "ib") if unit else rest in ("", "b")
    digits = num.replace(".", "", 1)
    if not (ok_rest and digits.isdigit() and digits.isascii() and not num.startswith(".")):
        raise errdefs.InvalidArgument(f"invalid size: '{text}'")
    return int(float(num) * _UNITS[unit])


def _atoi(text: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not (body.isdigit() and body.isascii()):
        raise errdefs.InvalidArgument(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def _parse_bool(text: str) -> bool:
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise errdefs.InvalidArgument(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def _json_file_limits(opts: dict[str, str]) -> tuple[int, int]:
    for key in opts:
        if key not in ("max-file", "max-size", "compress", *_COMMON_OPTS):
            raise errdefs.InvalidArgument(f"unknown log opt '{key}' for json-file log driver")
    max_size = -1
    if "max-size" in opts:
        max_size = parse_size(opts["max-size"])
        if max_size <= 0:
            raise errdefs.InvalidArgument("max-size must be a positive number")
    max_file = 1
    if "max-file" in opts:
        max_file = _atoi(opts["max-file"])
        if max_file < 1:
            raise errdefs.InvalidArgument("max-file cannot be less than 1")
    if "compress" in opts and _parse_bool(opts["compress"]) and (max_file == 1 or max_size == -1):
        raise errdefs.InvalidArgument(
            "compress cannot be true when max-file is less than 2 or max-size is not set"
        )
    return max_size, max_file


def _local_opt(
    opts: dict[str, str], key: str, parse: Callable[[str], T], default: T, what: str
) -> T:
    """One option of the local driver, its parse error worded as moby's newConfig words it."""
    if key not in opts:
        return default
    try:
        return parse(opts[key])
    except errdefs.InvalidArgument as err:
        prefix = f"{what}: {opts[key]}" if what else "invalid boolean value for compress"
        raise errdefs.InvalidArgument(f"{prefix}: {err}") from None


def _local_limits(opts: dict[str, str]) -> tuple[int, int]:
    for key in opts:
        if key not in ("max-file", "max-size", "compress", *_COMMON_OPTS):
            raise errdefs.InvalidArgument(f"unknown log opt '{key}' for log driver local")
    max_size = _local_opt(
        opts, "max-size", parse_size, LOCAL_MAX_SIZE, "invalid value for max-size"
    )
    max_file = _local_opt(opts, "max-file", _atoi, LOCAL_MAX_FILE, "invalid value for max-file")
    compress = _local_opt(opts, "compress", _parse_bool, True, "")
    if max_size < 0:
        raise errdefs.InvalidArgument("max-size must not be negative")
    if max_file < 0:
        raise errdefs.InvalidArgument("max-file must not be negative")
    if compress and max_file <= 1:
        raise errdefs.InvalidArgument("compression cannot be enabled when max file count is 1")
    return max_size, max_file


def validate_options(driver: str, opts: dict[str, str]) -> None:
    """Docker's ValidateLogOpt plus the driver's own option parsing, with Docker's messages."""
    if driver == "json-file":
        _json_file_limits(opts)
    elif driver == "local":
        _local_limits(opts)
    elif driver != "none":
        raise errdefs.InvalidArgument(
            f"failed to initialize logging driver: logger: no log driver named '{driver}'"
            " is registered"
        )


def _codec(driver: str) -> Codec:
    if driver == "json-file":
        from dockyard.shim.logs.jsonfile import JSONFileCodec

        return JSONFileCodec()
    from dockyard.shim.logs.local import LocalCodec

    return LocalCodec()


class _FileWriter:
    """A LogWriter: one codec over one rotating file."""

    def __init__(self, codec: Codec, file: RotatingFile) -> None:
        self._codec = codec
        self._file = file

    def write(self, stream: str, data: bytes, time_ns: int) -> None:
        self._file.write(self._codec.encode(stream, data, time_ns))

    def close(self) -> None:
        self._file.close()


class _NullWriter:
    def write(self, stream: str, data: bytes, time_ns: int) -> None:
        pass

    def close(self) -> None:
        pass


def open_writer(driver: str, path: str, opts: dict[str, str]) -> LogWriter:
    """The writer for a container's log (the shim holds it for the container's lifetime).
    Docker's `compress` is accepted but rotated files are kept uncompressed."""
    if driver == "none":
        return _NullWriter()
    if driver == "json-file":
        max_size, max_file = _json_file_limits(opts)
    elif driver == "local":
        max_size, max_file = _local_limits(opts)
    else:
        validate_options(driver, opts)
        raise AssertionError("unreachable")
    return _FileWriter(_codec(driver), RotatingFile(path, max_size=max_size, max_files=max_file))


def open_reader(driver: str, path: str) -> LogReader:
    """A reader of a container's log; `none` (and drivers that keep nothing) cannot be read."""
    if driver not in ("json-file", "local"):
        raise errdefs.Unimplemented("configured logging driver does not support reading")
    from dockyard.shim.logs.reader import FileLogReader

    return FileLogReader(path, _codec(driver))
