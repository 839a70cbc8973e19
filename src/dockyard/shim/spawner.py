"""`dockyard-shim --spawner`: a warm process that forks shims on request (a zygote).

Starting a shim as a new program costs an interpreter start-up and the shim's imports, again
for every container. The daemon instead keeps one spawner as its child: it has imported the
shim and the create path of dockyard-runtime once, and for each request forks a child that
starts the shim exactly as `dockyard-shim --id --dir` would (the shim is a grandchild, handed
to init, so it outlives the spawner and the daemon). Forked shims share the spawner's pages
until they write them, which also keeps their memory small.

Protocol, on the spawner's stdin and stdout: the daemon writes one line per shim,
`<id> <dir>\\n`; the spawner answers `<id> <code> <reason>\\n` once the shim has created the
container (code 0) or failed (code 1: the runtime failed, 2: bad configuration). EOF on stdin
(the daemon has gone) ends the spawner; shims already started are not affected.
"""

from __future__ import annotations

import gc
import os
import select

TYPE_CHECKING = False  # true for mypy; typing would stay in every forked shim's memory
if TYPE_CHECKING:
    from collections.abc import Callable

    Start = Callable[..., tuple[int, str]]

_MAX_ANSWER = 3072  # below PIPE_BUF: answers from concurrent children never interleave


def _preload() -> None:
    """Import what every shim and every in-process `runtime create` needs, once."""
    import dockyard.runtime.commands.create
    import dockyard.runtime.main
    import dockyard.shim.config
    import dockyard.shim.logs
    import dockyard.shim.loop
    import dockyard.shim.prctl
    import dockyard.shim.server
    import dockyard.shim.service  # noqa: F401


def serve() -> int:
    """Serve spawn requests until stdin closes."""
    from dockyard.shim.main import start

    _preload()
    gc.freeze()  # the imported objects stay out of the collector: fewer pages copied per fork
    buffered = b""
    children = 0
    while True:
        ready, _, _ = select.select([0], [], [], 1.0 if children else None)
        while children:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children = 0
                break
            if not pid:
                break
            children -= 1
        if not ready:
            continue
        data = os.read(0, 65536)
        if not data:
            return 0
        buffered += data
        *lines, buffered = buffered.split(b"\n")
        for line in lines:
            cid, _, directory = line.decode().partition(" ")
            if cid and directory:
                _fork_request(cid, directory, start)
                children += 1


def _fork_request(cid: str, directory: str, start: Start) -> None:
    if os.fork():
        return
    code = 1
    try:
        answer_fd = os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)  # the shim must not hold the daemon's pipes
        os.dup2(null, 1)
        os.close(null)
        result, reason = start(cid, directory, close=(answer_fd,))
        text = " ".join(reason.split())[: _MAX_ANSWER - 200]
        os.write(answer_fd, f"{cid} {result} {text}\n".encode())
        code = 0
    finally:
        os._exit(code)
