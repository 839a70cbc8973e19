"""dockyardd's PID file, with dockerd's rule: refuse to start while it names a live process."""

from __future__ import annotations

import contextlib
import os

from dockyard import errdefs


def read(path: str) -> int:
    """The PID in `path` when that process is alive, else 0 (malformed content counts as
    none, as moby's pidfile.Read); FileNotFoundError when there is no file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read().strip()
    if not text.isdigit() or int(text) < 1:
        return 0
    pid = int(text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return 0
    except PermissionError:
        return pid  # alive, owned by someone else
    return pid


def write(path: str, pid: int) -> None:
    """Write `pid` to `path`; FailedPrecondition with dockerd's message when another live
    process holds it."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o755, exist_ok=True)
    try:
        old = read(path)
    except FileNotFoundError:
        old = 0
    if old and old != pid:
        raise errdefs.FailedPrecondition(
            f"failed to start daemon, ensure docker is not running or delete {path}:"
            f" process with PID {old} is still running"
        )
    tmp = f"{path}.{pid}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(pid))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def remove(path: str, pid: int) -> None:
    """Remove `path` if it still names `pid` (a later daemon's file is left alone)."""
    with contextlib.suppress(FileNotFoundError):
        with open(path, encoding="utf-8", errors="replace") as f:
            if f.read().strip() != str(pid):
                return
        os.unlink(path)
