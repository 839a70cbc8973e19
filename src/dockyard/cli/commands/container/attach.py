"""`dockyard container attach` / `dockyard attach`: attach local standard input, output,
and error streams to a running container (docker's RunAttach; the exit status is the
container's, from a wait registered before attaching)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.client.transport import Client


def _check_state(client: Client, ref: str) -> dict[str, Any]:
    from dockyard.client import containers

    info = containers.inspect(client, ref)
    state = info.get("State") or {}
    if not state.get("Running"):
        raise StatusError("You cannot attach to a stopped container, start it first", 1)
    if state.get("Paused"):
        raise StatusError("You cannot attach to a paused container, unpause it first", 1)
    if state.get("Restarting"):
        raise StatusError(
            "You cannot attach to a restarting container, wait until it is running", 1
        )
    return info


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.container.attaching import (
        Waiter,
        attach_streamer,
        detach_keys_of,
        poller,
        size_monitor,
    )
    from dockyard.cli.hijackio import SignalProxy, Streamer
    from dockyard.cli.tty import fd_of, is_terminal, size
    from dockyard.client import containers

    client = cli.client
    ref = args[0]
    waiter = Waiter(client, ref, "")
    info = _check_state(client, ref)
    cid = str(info["Id"])
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    no_stdin = opts.boolean("no-stdin")
    if tty and not no_stdin and not is_terminal(fd_of(cli.stdin)):
        raise StatusError("the input device is not a TTY", 1)
    detach_keys = detach_keys_of(cli, opts)
    stdin = not no_stdin and bool(config.get("OpenStdin"))
    proxy = None
    if opts.boolean("sig-proxy") and not tty:
        proxy = SignalProxy(lambda sig: containers.kill(client, cid, signal=sig))
    streamer: Streamer | None = None
    monitor = None
    try:
        streamer = attach_streamer(cli, cid, stdin=stdin, tty=tty, detach_keys=detach_keys)
        _check_state(client, ref)
        out_fd = fd_of(cli.out)
        if tty and is_terminal(out_fd):
            # docker's resizeTTY: one size off first, so the real size is a change and the
            # program redraws, then the monitor sets the right one.
            height, width = size(out_fd)
            try:
                containers.resize(client, cid, height=height + 1, width=width + 1)
            except Exception:  # docker ignores it too
                pass
            monitor = size_monitor(cli, cid)
        streamer.start()
        poll = poller(monitor, proxy)
        streamer.wait(poll)
        if streamer.detached:
            raise StatusError("read escape sequence", 1)
        if streamer.error is not None and not isinstance(streamer.error, OSError):
            raise StatusError(str(streamer.error), 1)
        status = waiter.wait(poll)
        if waiter.error:
            raise StatusError(waiter.error, 1)
        return status
    finally:
        if monitor is not None:
            monitor.stop()
        if proxy is not None:
            proxy.stop()
        if streamer is not None:
            streamer.close()


COMMAND = Command(
    name="attach",
    usage="[OPTIONS] CONTAINER",
    short="Attach local standard input, output, and error streams to a running container",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(
            name="detach-keys",
            type="string",
            help="Override the key sequence for detaching a container",
        ),
        Flag(name="no-stdin", help="Do not attach STDIN"),
        Flag(
            name="sig-proxy",
            default=True,
            help_default="true",
            help="Proxy all received signals to the process",
        ),
    ),
)
