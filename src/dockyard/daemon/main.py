"""`dockyardd`: the engine daemon's process (dockerd's start-up and shutdown sequence).

Start: flags and daemon.json -> data-root (0711) and exec-root (0700) -> PID file (refused
while another live daemon holds it) -> the -H sockets are bound -> the objects are built
(wiring.py; aiohttp and the stores are imported only now, so the sockets listen within
tens of milliseconds and early clients wait in the backlog) -> live restore -> the API is
served on every socket.

Signals: SIGHUP re-reads daemon.json and applies what can change live (Daemon.reload);
SIGTERM / SIGINT stop the listeners, then stop the containers when live-restore is off,
close the stores, remove the PID file and the sockets, and exit 0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dockyard import errdefs
from dockyard.daemon import logsetup, pidfile
from dockyard.daemon.config import DaemonConfig, Flags, load
from dockyard.daemon.flags import parse_flags
from dockyard.daemon.listeners import Listener, close_listeners, open_listeners

if TYPE_CHECKING:
    from aiohttp import web

    from dockyard.daemon.daemon import Daemon

log = logging.getLogger("dockyardd")

SHUTDOWN_TIMEOUT = 5.0  # seconds the API gives open requests once the daemon stops


def main(argv: Sequence[str] | None = None) -> int:
    flags = parse_flags(sys.argv[1:] if argv is None else argv)
    try:
        config = load(flags)
    except errdefs.DockyardError as err:
        sys.stderr.write(f"{err}\n")  # before logging exists, as dockerd does
        return 1
    logsetup.setup(debug=config.debug, level=config.log_level)
    try:
        return asyncio.run(Engine(flags, config).run())
    except errdefs.DockyardError as err:
        log.error("%s", err)
        return 1
    except Exception:  # process boundary: say why, with the traceback, and exit non-zero
        log.exception("failed to start daemon")
        return 1


class Engine:
    """One run of the daemon: start-up, the signal loop, and the ordered shutdown."""

    def __init__(self, flags: Flags, config: DaemonConfig) -> None:
        self.flags = flags
        self.config = config
        self.pid = os.getpid()
        self.stopping = asyncio.Event()
        self.listeners: list[Listener] = []
        self.daemon: Daemon | None = None
        self.runner: web.AppRunner | None = None

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop, signum)
        loop.add_signal_handler(signal.SIGHUP, self._reload)
        make_roots(self.config)
        pidfile.write(self.config.pidfile, self.pid)
        try:
            self.listeners = open_listeners(self.config)
            await self._start()
            if not self.stopping.is_set():
                log.info("Daemon has completed initialization")
                await self.stopping.wait()
        finally:
            await self._shutdown()
        return 0

    async def _start(self) -> None:
        from aiohttp import web

        from dockyard.api.server import make_app
        from dockyard.daemon import wiring

        self.daemon = daemon = wiring.build(self.config)
        log.info("Loading containers: start.")
        await daemon.containers.restore()
        log.info("Loading containers: done.")
        self.runner = web.AppRunner(
            make_app(daemon), handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await self.runner.setup()
        for listener in self.listeners:
            site = web.SockSite(
                self.runner,
                listener.sock,
                ssl_context=listener.ssl_context,
                shutdown_timeout=SHUTDOWN_TIMEOUT,
            )
            await site.start()
            log.info("API listen on %s", listener.path or listener.host.removeprefix("tcp://"))

    async def _shutdown(self) -> None:
        daemon, self.daemon = self.daemon, None
        if daemon is not None:
            daemon.events.close()  # end /events streams, or the API would wait for them
        if self.runner is not None:
            await self.runner.cleanup()
        close_listeners(self.listeners)
        if daemon is not None:
            live = daemon.config.live_restore
            log.info("live-restore is %s: %s", "on" if live else "off",
                     "containers keep running" if live else "stopping containers")  # fmt: skip
            try:
                await daemon.containers.shutdown()
            except Exception:  # shutdown boundary: the other stores must still close
                log.exception("failed to shut down containers")
            await daemon.close()
        pidfile.remove(self.config.pidfile, self.pid)
        log.info("Daemon shutdown complete")

    def _stop(self, signum: int) -> None:
        if not self.stopping.is_set():
            log.info("Processing signal '%s'", signal.Signals(signum).name.removeprefix("SIG"))
        self.stopping.set()

    def _reload(self) -> None:
        """SIGHUP: daemon.json again, over the same flags (moby config.Reload)."""
        if self.daemon is None:
            log.warning("reload ignored: the daemon is still starting")
            return
        try:
            new = load(self.flags)
        except errdefs.DockyardError as err:
            log.error("Error reconfiguring the daemon: %s", err)
            return
        changed = self.daemon.reload(new)
        config = self.daemon.config
        logsetup.set_level(debug=config.debug, level=config.log_level)
        summary = {
            name: list(v[1]) if isinstance(v[1], tuple) else v[1] for name, v in changed.items()
        }
        log.info("Reloaded configuration: %s", json.dumps(summary, sort_keys=True))


def make_roots(config: DaemonConfig) -> None:
    """data-root 0711 (others may traverse to bind-mounted files), exec-root 0700."""
    for path, mode in ((config.data_root, 0o711), (config.exec_root, 0o700)):
        os.makedirs(path, mode=mode, exist_ok=True)
        os.chmod(path, mode)


if __name__ == "__main__":
    sys.exit(main())
