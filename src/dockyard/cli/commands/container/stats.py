"""`dockyard container stats`: a live stream of containers' resource usage statistics.

As docker's stats.go: one collector per container reads its stats stream (a thread here,
a goroutine there) and keeps the latest sample; every 500 ms the table is drawn again from
the top-left corner. Without names the set follows the daemon's events (start adds, die
removes unless -a, create adds with -a). `--no-stream` draws once, when every container
has answered once.
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.format.stats import StatsEntry
    from dockyard.client.transport import Client


class Collector:
    """One container's stats: the latest sample (raw JSON) or the error that ended it."""

    def __init__(self, container: str) -> None:
        import threading

        self.container = container
        self.sample: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.first = threading.Event()
        self.stopped = False
        self.thread: threading.Thread | None = None

    def run(self, client: Client, stream: bool) -> None:
        from dockyard import errdefs
        from dockyard.client import containers

        try:
            with containers.stats(client, self.container, stream=stream) as response:
                for doc in response.json_stream():
                    if self.stopped:
                        return
                    self.sample, self.error = doc, None
                    self.first.set()
                    if not stream:
                        return
        except errdefs.DockyardError as err:
            self.error = err
        finally:
            self.first.set()


class Board:
    """The set of collectors, in the order containers appeared (docker's cStats)."""

    def __init__(self, cli: Cli, stream: bool) -> None:
        import threading

        self.cli = cli
        self.stream = stream
        self.lock = threading.Lock()
        self.collectors: list[Collector] = []

    def add(self, container: str) -> Collector | None:
        import threading

        with self.lock:
            if any(c.container == container for c in self.collectors):
                return None
            collector = Collector(container)
            self.collectors.append(collector)
        # the Client is shared: each request takes a connection of its own (a stream
        # holds one until it ends), and the idle one is handed over under its lock
        thread = threading.Thread(
            target=collector.run, args=(self.cli.client, self.stream), daemon=True
        )
        collector.thread = thread
        thread.start()
        return collector

    def remove(self, container: str) -> None:
        with self.lock:
            for c in self.collectors:
                if c.container == container:
                    c.stopped = True
            self.collectors = [c for c in self.collectors if c.container != container]

    def snapshot(self) -> list[Collector]:
        with self.lock:
            return list(self.collectors)

    def wait_first(self) -> None:
        for c in self.snapshot():
            c.first.wait(timeout=None if not self.stream else 2.0)


def _watch_events(board: Board, opts: Options, filters: dict[str, list[str]]) -> None:
    """docker's monitorContainerEvents: start (and create with -a) add, die removes."""
    import threading

    from dockyard.client import system

    wanted = {k: list(v) for k, v in filters.items()}
    wanted["type"] = ["container"]
    client = board.cli.client
    started = threading.Event()

    def watch() -> None:
        try:
            response = system.events(client, filters=wanted)
        except Exception:
            started.set()
            return
        started.set()
        with response:
            for event in response.json_stream():
                action = event.get("Action") or event.get("status") or ""
                actor = (event.get("Actor") or {}).get("ID") or event.get("id") or ""
                short = actor[:12]
                if action == "start" or (action == "create" and opts.boolean("all")):
                    board.add(short)
                elif action == "die" and not opts.boolean("all"):
                    board.remove(short)

    threading.Thread(target=watch, daemon=True).start()
    started.wait(timeout=5)


def frame(text: str, stream: bool) -> str:
    """What docker 28 writes per tick. Streaming, the buffer starts with "cursor home", and
    each of its lines is then appended again with "erase to end of line" (docker appends to
    the buffer it is splitting, so the table goes out twice; on a terminal the second copy
    overwrites the first), and "erase below" ends it."""
    if not stream:
        return text
    text = "\033[H" + text
    return text + "".join(line + " \033[K\n" for line in text.split("\n")) + "\033[J"


def _entry(c: Collector) -> StatsEntry:
    """One collector's StatsEntry: from its latest raw sample (docker computes CPU % from
    the sample's own precpu_stats), or an invalid entry ("--" columns) when its stream
    failed or has not answered."""
    from dockyard.cli.format import stats as formatter

    if c.sample is None or c.error is not None:
        return formatter.StatsEntry(container=c.container, is_invalid=True)
    return formatter.entry_from_stats(c.sample, container=c.container)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import time

    from dockyard.cli.errors import describe
    from dockyard.cli.format import stats as formatter
    from dockyard.client import containers

    stream = not opts.boolean("no-stream")
    board = Board(cli, stream)
    cli.client.api_version  # noqa: B018 - negotiate once, before the collector threads
    show_all = not args
    if show_all:
        filters: dict[str, list[str]] = {}
        if stream:
            _watch_events(board, opts, filters)
        for item in containers.list(cli.client, all=opts.boolean("all"), filters=filters):
            board.add(item["Id"][:12])
        board.wait_first()
    else:
        for name in args:
            board.add(name)
        board.wait_first()
        failures = [describe(c.error) for c in board.snapshot() if c.error is not None]
        if failures:
            raise StatusError("\n".join(failures), 1)
    fmt = opts.string("format") or cli.config.stats_format or "table"
    trunc = not opts.boolean("no-trunc")
    while True:
        collected = board.snapshot()
        # one write per frame, as docker buffers it (no flicker)
        text = formatter.render([_entry(c) for c in collected], fmt=fmt, trunc=trunc)
        cli.out.write(frame(text, stream))
        cli.out.flush()
        if (not collected and not show_all) or not stream:
            return 0
        time.sleep(0.5)


COMMAND = Command(
    name="stats",
    usage="[OPTIONS] [CONTAINER...]",
    short="Display a live stream of container(s) resource usage statistics",
    run=run,
    flags=flags(
        Flag(
            name="all",
            short="a",
            help="Show all containers (default shows just running)",
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="no-stream", help="Disable streaming stats and only pull the first result"),
        Flag(name="no-trunc", help="Do not truncate output"),
    ),
)
