"""What run, start -a, attach and exec share: the detach keys (flag, else config.json's
"detachKeys"), the wait registered before the container starts, the attach stream with its
pump, and the terminal-size monitor with the signal proxy polled while the stream runs."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options
    from dockyard.cli.hijackio import SignalProxy, Streamer
    from dockyard.cli.tty import SizeMonitor
    from dockyard.client.transport import Client, Response


def detach_keys_of(cli: Cli, opts: Options) -> str:
    """--detach-keys, else config.json's detachKeys, else "" (the daemon's ctrl-p,ctrl-q)."""
    given = opts.string("detach-keys")
    if given:
        return given
    try:
        return str(getattr(cli.config, "detach_keys", "") or "")
    except Exception:
        return ""


class Waiter:
    """POST /containers/{id}/wait, sent now (the daemon registers it before answering the
    headers) and read in a thread; `status` is the exit code (125 if the wait failed)."""

    def __init__(self, client: Client, cid: str, condition: str) -> None:
        import threading

        from dockyard.client.containers import quote

        self.status: int | None = None
        self.error = ""
        self._done = threading.Event()
        self._resp: Response = client.post(
            f"/containers/{quote(cid)}/wait", query={"condition": condition}, timeout=None
        )
        threading.Thread(target=self._read, name="wait", daemon=True).start()

    def _read(self) -> None:
        try:
            answer = self._resp.json() or {}
            error = answer.get("Error") or {}
            if error and error.get("Message"):
                self.error = str(error["Message"])
                self.status = 125
            else:
                self.status = int(answer.get("StatusCode", 0))
        except Exception as err:
            self.error = str(err)
            self.status = 125
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, poll: object = None) -> int:
        while not self._done.wait(0.1):
            if callable(poll):
                poll()
        assert self.status is not None
        return self.status


def attach_streamer(
    cli: Cli,
    cid: str,
    *,
    stdin: bool,
    stdout: bool = True,
    stderr: bool = True,
    tty: bool,
    detach_keys: str,
) -> Streamer:
    """POST /containers/{id}/attach (hijacked) and the Streamer that pumps it (not started):
    with a TTY the stream is raw and all of it goes to stdout."""
    from dockyard.cli.hijackio import Streamer, binary
    from dockyard.client import containers

    conn = containers.attach(
        cli.client, cid, stream=True, stdin=stdin, stdout=stdout, stderr=stderr,
        detach_keys=detach_keys,
    )  # fmt: skip
    out = binary(cli.out)
    return Streamer(
        conn,
        stdin=cli.stdin if stdin else None,
        stdout=out if stdout else None,
        stderr=(out if tty else binary(cli.err)) if stderr else None,
        tty=tty,
        detach_keys=detach_keys,
        err=cli.err,
    )


def size_monitor(cli: Cli, cid: str) -> SizeMonitor | None:
    """docker's monitorTtySize for a container: its TTY follows our terminal (SIGWINCH);
    None when stdout is no terminal."""
    from dockyard.cli.tty import SizeMonitor, fd_of, is_terminal
    from dockyard.client import containers

    out_fd = fd_of(cli.out)
    if not is_terminal(out_fd):
        return None
    client = cli.client
    return SizeMonitor(
        lambda h, w: containers.resize(client, cid, height=h, width=w), out_fd, cli.err.write
    )


def poller(monitor: SizeMonitor | None, proxy: SignalProxy | None) -> Callable[[], None]:
    """What the main thread does while it waits on the stream: deliver resizes and signals."""

    def poll() -> None:
        if monitor is not None:
            monitor.poll()
        if proxy is not None:
            proxy.poll()

    return poll
