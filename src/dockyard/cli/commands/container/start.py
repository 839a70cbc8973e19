"""`dockyard container start` / `dockyard start`: start one or more stopped containers.

With -a / -i, docker's RunStart: attach first, register the wait, start, follow the TTY
size, and exit with the container's status (signals proxied when there is no TTY).
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs

    if opts.string("checkpoint") or opts.string("checkpoint-dir"):
        raise errdefs.Unimplemented("checkpoint restore is not supported by dockyard")
    if opts.boolean("attach") or opts.boolean("interactive"):
        if len(args) > 1:
            raise StatusError("you cannot start and attach multiple containers at once", 1)
        return _start_attached(cli, opts, args[0])
    failed = []
    for ref in args:
        try:
            from dockyard.client import containers

            containers.start(cli.client, ref)
        except errdefs.DockyardError as err:
            from dockyard.cli.errors import describe

            cli.err.write(describe(err) + "\n")
            failed.append(ref)
            continue
        cli.out.write(ref + "\n")
    if failed:
        raise StatusError("Error: failed to start containers: " + ", ".join(failed), 1)
    return 0


def _start_attached(cli: Cli, opts: Options, ref: str) -> int:
    from dockyard.cli.commands.container.attaching import (
        Waiter,
        attach_streamer,
        detach_keys_of,
        poller,
        size_monitor,
    )
    from dockyard.cli.hijackio import SignalProxy, Streamer
    from dockyard.client import containers

    client = cli.client
    info = containers.inspect(client, ref)
    cid = str(info["Id"])
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    auto_remove = bool((info.get("HostConfig") or {}).get("AutoRemove"))
    proxy = None
    if not tty:
        proxy = SignalProxy(lambda sig: containers.kill(client, cid, signal=sig))
    detach_keys = detach_keys_of(cli, opts)
    stdin = opts.boolean("interactive") and bool(config.get("OpenStdin"))
    streamer: Streamer | None = None
    monitor = None
    try:
        streamer = attach_streamer(cli, cid, stdin=stdin, tty=tty, detach_keys=detach_keys)
        streamer.start()
        waiter = Waiter(client, cid, "removed" if auto_remove else "next-exit")
        try:
            containers.start(client, cid)
        except Exception:
            streamer.close()
            if auto_remove:
                waiter.wait()
            raise
        monitor = size_monitor(cli, cid) if tty else None
        poll = poller(monitor, proxy)
        streamer.wait(poll)
        if streamer.detached:
            return 0
        return waiter.wait(poll)
    finally:
        if monitor is not None:
            monitor.stop()
        if proxy is not None:
            proxy.stop()
        if streamer is not None:
            streamer.close()


COMMAND = Command(
    name="start",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Start one or more stopped containers",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="attach", short="a", help="Attach STDOUT/STDERR and forward signals"),
        Flag(name="checkpoint", type="string", help="Restore from this checkpoint"),
        Flag(
            name="checkpoint-dir",
            type="string",
            help="Use a custom checkpoint storage directory",
        ),
        Flag(
            name="detach-keys",
            type="string",
            help="Override the key sequence for detaching a container",
        ),
        Flag(name="interactive", short="i", help="Attach container's STDIN"),
    ),
)
