"""`dockyard container run` / `dockyard run`: create and run a new container from an image.

docker's runContainer, step for step: create (pulling a missing image); with -d print the
id; else attach BEFORE start (so no output is lost), register the wait BEFORE start
(`next-exit`, or `removed` with --rm, so a quick exit is not missed), start, resize the TTY
and follow SIGWINCH, proxy signals, and exit with the container's status. The daemon's
refusals exit 125; a command that cannot be run 126 (permission denied) or 127 (not found).
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError
from dockyard.cli.commands.container.create import USAGE
from dockyard.cli.opts.flagdefs import CONTAINER_FLAGS, image_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.commands.container.attaching import Waiter


def to_status_error(cli: Cli, err: BaseException) -> StatusError:
    """docker's toStatusError: 127 for a command not found, 126 for one that cannot be
    executed, 125 for everything else the daemon refused."""
    from dockyard.cli.errors import describe
    from dockyard.cli.opts.errors import with_help

    text = describe(err)
    status = 125
    if (
        "executable file not found" in text
        or "no such file or directory" in text
        or "system cannot find the file specified" in text
    ):
        status = 127
    elif "permission denied" in text or "is a directory" in text:
        status = 126
    return with_help(cli, "run", text, status)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.container.attaching import detach_keys_of
    from dockyard.cli.commands.container.create import (
        build_body,
        check_pull,
        create_container,
        platform_of,
    )
    from dockyard.cli.tty import fd_of, is_terminal

    check_pull(cli, "run", opts.string("pull"))
    body = build_body(cli, opts, args, "run")
    host = body["HostConfig"]
    assert isinstance(host, dict)
    detach = opts.boolean("detach")
    if not detach:
        if body["AttachStdin"] and body["Tty"] and not is_terminal(fd_of(cli.stdin)):
            raise StatusError("the input device is not a TTY", 1)
    else:
        if opts.strings("attach"):
            raise StatusError("conflicting options: cannot specify both --attach and --detach", 1)
        for key in ("AttachStdin", "AttachStdout", "AttachStderr", "StdinOnce"):
            body[key] = False
    detach_keys = detach_keys_of(cli, opts)
    try:
        cid = create_container(
            cli,
            body,
            name=opts.string("name"),
            platform=platform_of(opts),
            pull=opts.string("pull"),
            quiet=opts.boolean("quiet"),
        )
    except errdefs.DockyardError as err:
        raise to_status_error(cli, err) from None
    return _run_created(cli, opts, body, cid, detach_keys)


def _run_created(
    cli: Cli, opts: Options, body: dict[str, object], cid: str, detach_keys: str
) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.container.attaching import Waiter, attach_streamer
    from dockyard.cli.hijackio import SignalProxy, Streamer
    from dockyard.client import containers

    client = cli.client
    tty = bool(body["Tty"])
    auto_remove = bool(opts.boolean("rm"))
    attach = bool(body["AttachStdin"] or body["AttachStdout"] or body["AttachStderr"])
    proxy = None
    if opts.boolean("sig-proxy"):
        proxy = SignalProxy(lambda sig: containers.kill(client, cid, signal=sig))
    streamer: Streamer | None = None
    try:
        if attach:
            streamer = attach_streamer(
                cli,
                cid,
                stdin=bool(body["AttachStdin"]),
                stdout=bool(body["AttachStdout"]),
                stderr=bool(body["AttachStderr"]),
                tty=tty,
                detach_keys=detach_keys,
            )
            streamer.start()
        waiter = Waiter(client, cid, "removed" if auto_remove else "next-exit")
        try:
            containers.start(client, cid)
        except errdefs.DockyardError as err:
            if streamer is not None:
                streamer.close()
            if auto_remove:
                waiter.wait()
            raise to_status_error(cli, err) from None
        if not attach:
            cli.out.write(cid + "\n")
            return 0
        assert streamer is not None
        return _follow(cli, cid, tty, streamer, waiter, body, proxy)
    finally:
        if proxy is not None:
            proxy.stop()
        if streamer is not None:
            streamer.close()


def _follow(
    cli: Cli,
    cid: str,
    tty: bool,
    streamer: object,
    waiter: Waiter,
    body: dict[str, object],
    proxy: object,
) -> int:
    """The end of runContainer: the stream ends (or detaches) or the container exits."""
    from dockyard.cli.commands.container.attaching import poller, size_monitor
    from dockyard.cli.hijackio import SignalProxy, Streamer

    assert isinstance(streamer, Streamer)
    monitor = size_monitor(cli, cid) if tty else None
    poll = poller(monitor, proxy if isinstance(proxy, SignalProxy) else None)

    try:
        while not streamer.done and not waiter.done:
            streamer.wait(poll, timeout=0.2)
        if streamer.done:
            if streamer.detached:
                return 0  # the user typed the detach keys: docker prints nothing
            if streamer.error is not None and not isinstance(streamer.error, OSError):
                raise StatusError(str(streamer.error), 1)
            return waiter.wait(poll)
        status = waiter.wait(poll)
        if not body["AttachStdout"] and not body["AttachStderr"]:
            streamer.close()
        else:
            streamer.wait(poll)  # drain what the container wrote before exiting
        return status
    finally:
        if monitor is not None:
            monitor.stop()


def _flags() -> tuple[Flag, ...]:
    run_only = (
        Flag(name="detach", short="d", help="Run container in background and print container ID"),
        Flag(
            name="sig-proxy",
            default=True,
            help_default="true",
            help="Proxy received signals to the process",
        ),
        Flag(
            name="detach-keys",
            type="string",
            help="Override the key sequence for detaching a container",
        ),
    )
    pull_help = 'Pull image before running ("always", "missing", "never")'
    return run_only + image_flags(pull_help) + CONTAINER_FLAGS


COMMAND = Command(
    name="run",
    usage=USAGE,
    short="Create and run a new container from an image",
    run=run,
    flags=_flags(),
    min_args=1,
    interspersed=False,
)
