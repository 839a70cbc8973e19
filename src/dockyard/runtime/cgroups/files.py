"""Reading and writing cgroupfs files, with errors turned into dockyard's error kinds.

Every failure names the file and the value, e.g. `failed to write 100 to
/sys/fs/cgroup/memory/x/memory.limit_in_bytes: Device or resource busy`. The kernel's errno
picks the kind: a value it rejects is InvalidArgument, a file it does not provide (a controller
or feature the host lacks) is FailedPrecondition, a cgroup directory that is gone is NotFound.
"""

from __future__ import annotations

import errno
import os
import time

from dockyard import errdefs

# errnos with which the kernel says "not this value" (EBUSY: memory limit below usage, or a
# cpuset that would leave a child without CPUs; ENODEV: a device number no block device has).
_REJECTED = frozenset({errno.EINVAL, errno.ERANGE, errno.EOVERFLOW, errno.EBUSY, errno.ENODEV})


def path_error(path: str, value: str, err: OSError, hint: str = "") -> errdefs.DockyardError:
    """The error kind and message for a failed write of `value` to `path`."""
    msg = f"failed to write {value} to {path}: {os.strerror(err.errno or 0)}"
    if hint:
        msg = f"{msg} ({hint})"
    if err.errno == errno.ENOENT:
        if not os.path.isdir(os.path.dirname(path)):
            return errdefs.NotFound(f"{msg} (cgroup {os.path.dirname(path)} does not exist)")
        return errdefs.FailedPrecondition(msg)
    if err.errno in _REJECTED:
        return errdefs.InvalidArgument(msg)
    return errdefs.FailedPrecondition(msg)


def write_raw(dirpath: str, name: str, value: str) -> None:
    """Write `value` to dirpath/name in one write(2); raise the OSError for callers to judge.

    O_TRUNC is harmless on cgroupfs (it is what a shell's `>` does) and lets a fake tree in a
    test hold exactly the last value written.
    """
    fd = os.open(os.path.join(dirpath, name), os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def write(dirpath: str, name: str, value: str, *, hint: str = "") -> None:
    """Write `value` to dirpath/name, raising an error kind that names both."""
    try:
        write_raw(dirpath, name, value)
    except OSError as err:
        raise path_error(os.path.join(dirpath, name), value, err, hint) from err


def read(dirpath: str, name: str) -> str:
    """The content of dirpath/name without surrounding whitespace."""
    path = os.path.join(dirpath, name)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError as err:
        if not os.path.isdir(dirpath):
            raise errdefs.NotFound(
                f"failed to read {path}: cgroup {dirpath} does not exist"
            ) from err
        raise errdefs.FailedPrecondition(f"failed to read {path}: {err.strerror}") from err
    except OSError as err:
        raise errdefs.FailedPrecondition(f"failed to read {path}: {err.strerror}") from err


def exists(dirpath: str, name: str) -> bool:
    return os.path.exists(os.path.join(dirpath, name))


def write_pid(dirpath: str, pid: int) -> None:
    """Move process `pid` (and its threads) into the cgroup at dirpath."""
    for _ in range(5):
        try:
            write_raw(dirpath, "cgroup.procs", str(pid))
            return
        except OSError as err:
            # EINVAL can mean the task is still TASK_NEW (just forked); runc retries too.
            if err.errno == errno.EINVAL:
                time.sleep(0.03)
                continue
            if err.errno == errno.ESRCH:
                raise errdefs.NotFound(
                    f"failed to add pid {pid} to {dirpath}: no such process"
                ) from err
            raise path_error(os.path.join(dirpath, "cgroup.procs"), str(pid), err) from err
    raise errdefs.InvalidArgument(
        f"failed to write {pid} to {os.path.join(dirpath, 'cgroup.procs')}: Invalid argument"
    )


def makedirs(dirpath: str) -> None:
    """mkdir -p, as a FailedPrecondition naming the directory on failure."""
    try:
        os.makedirs(dirpath, mode=0o755, exist_ok=True)
    except OSError as err:
        raise errdefs.FailedPrecondition(
            f"failed to create cgroup {dirpath}: {err.strerror}"
        ) from err


def tree_pids(dirpath: str) -> list[int]:
    """Every pid in the cgroup at dirpath and in its descendants, each once."""
    if not os.path.isdir(dirpath):
        raise errdefs.NotFound(f"no such cgroup: {dirpath}")
    pids: dict[int, None] = {}
    for current, _dirs, _files in os.walk(dirpath):
        try:
            with open(os.path.join(current, "cgroup.procs"), encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            continue  # the child cgroup went away while we walked
        except OSError as err:
            raise errdefs.FailedPrecondition(
                f"failed to read {current}/cgroup.procs: {err.strerror}"
            ) from err
        pids.update((int(p), None) for p in text.split())
    return list(pids)


def remove_tree(dirpath: str) -> OSError | None:
    """rmdir dirpath and the child cgroups under it, deepest first.

    cgroupfs directories hold only kernel files, so rmdir is the whole removal. A directory
    that is already gone is not an error (idempotent destroy). Returns the first failure.
    """
    first: OSError | None = None
    for current, _dirs, _files in os.walk(dirpath, topdown=False):
        try:
            os.rmdir(current)
        except FileNotFoundError:
            pass
        except OSError as err:
            first = first or err
    return first


def remove_all(dirs: list[str], *, attempts: int = 5, delay: float = 0.01) -> None:
    """Remove every cgroup in `dirs`, retrying while the kernel says EBUSY.

    A cgroup whose last task just exited can stay busy for a moment; runc (RemovePaths) retries
    five times with a doubling delay, and so do we. Never kills anything.
    """
    left = list(dirs)
    errors: dict[str, OSError] = {}
    for attempt in range(attempts):
        if attempt:
            time.sleep(delay)
            delay *= 2
        for d in list(left):
            err = remove_tree(d)
            if not os.path.exists(d):
                left.remove(d)
                errors.pop(d, None)
            elif err is not None:
                errors[d] = err
        if not left:
            return
    d = left[0]
    err = errors.get(d)
    if err is None:
        raise errdefs.Conflict(f"failed to remove cgroup {d}: it still exists")
    # The failing directory may be a child cgroup of d; name the one the kernel refused.
    raise errdefs.Conflict(
        f"failed to remove cgroup {err.filename or d}: {os.strerror(err.errno or 0)}"
    )
