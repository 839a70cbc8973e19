"""OCI lifecycle hooks (runtime-spec config.md "POSIX-platform Hooks").

A hook gets the container's state JSON on stdin and must exit 0 within its timeout. Failures of
prestart, createRuntime, createContainer and startContainer fail the operation; poststart and
poststop failures are only logged (the spec says "log a warning").
"""

from __future__ import annotations

import os
import time

from dockyard import errdefs
from dockyard.runtime.config import Hook
from dockyard.utils import jsonfast as json

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    import signal
    from collections.abc import Mapping
    from typing import Any
else:  # `signal` wraps these in enums, and enum costs ~4 ms of start-up
    import _signal as signal


_POLL = 0.005


def run_hook(kind: str, hook: Hook, state: Mapping[str, Any]) -> None:
    """Run one hook with `state` on stdin; HookFailed-style InvalidArgument on failure.

    fork/exec by hand rather than subprocess: the init calls this between pivot steps where
    importing subprocess (and its threads for timeouts) is both slow and unnecessary.
    """
    data = json.dumps(state).encode()
    r, w = os.pipe()
    errr, errw = os.pipe()
    argv = list(hook.args) or [hook.path]
    env = dict(e.split("=", 1) for e in hook.env if "=" in e)
    pid = os.fork()
    if pid == 0:  # child: becomes the hook
        try:
            os.dup2(r, 0)
            os.dup2(errw, 2)
            os.execve(hook.path, argv, env)
        except OSError as err:
            os.write(2, f"exec {hook.path}: {err.strerror}".encode())
        os._exit(127)
    os.close(r)
    os.close(errw)
    try:
        os.write(w, data)
    except BrokenPipeError:
        pass  # a hook need not read its stdin
    os.close(w)
    deadline = None if hook.timeout is None else time.monotonic() + hook.timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if deadline is not None and time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(errr)
            raise errdefs.InvalidArgument(
                f"{kind} hook {hook.path} did not finish within its timeout of {hook.timeout}s"
            )
        time.sleep(_POLL)
    stderr = os.read(errr, 4096).decode(errors="replace").strip()
    os.close(errr)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        detail = f": {stderr}" if stderr else ""
        raise errdefs.InvalidArgument(f"{kind} hook {hook.path} failed with status {code}{detail}")


def run_all(kind: str, hooks: Mapping[str, tuple[Hook, ...]], state: Mapping[str, Any]) -> None:
    for hook in hooks.get(kind, ()):
        run_hook(kind, hook, state)
