"""The Engine API application: `make_app(daemon)` wires the routers to the daemon's parts.

    app = make_app(daemon)                 # the daemon serves it on its own listeners:
    runner = web.AppRunner(app); await runner.setup()
    await web.UnixSite(runner, "/run/dockyard.sock").start()

Every route is registered twice, as moby does: `/containers/json` and
`/v{version}/containers/json`. Routes are matched in the order of the routers' tables, so a
fixed path (`/images/json`) wins over a pattern (`/images/{name:.*}/json`).
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from dockyard.api import (
    containers,
    distribution,
    exec,
    images,
    middleware,
    networks,
    system,
    volumes,
)
from dockyard.api.routes import Route

VERSION_PREFIX = "/v{version:[0-9.]+}"
MAX_BODY = 64 << 20  # request bodies read whole (create, update, commit): Docker has no limit


class ContainersBackend(containers.ContainersBackend, networks.ContainerNetworks, Protocol):
    """The container service as the routers use it: the container and exec routes, and
    the two network routes that change a container (connect, disconnect)."""


class Daemon(Protocol):
    """What the API needs of the daemon (daemon/daemon.py's Daemon)."""

    @property
    def containers(self) -> ContainersBackend: ...

    @property
    def image_ops(self) -> images.ImagesBackend: ...

    @property
    def events(self) -> system.EventsBackend: ...

    @property
    def system(self) -> system.SystemBackend: ...

    @property
    def volumes(self) -> volumes.VolumesBackend: ...

    @property
    def networks(self) -> networks.NetworksBackend | None:
        """None: a daemon without networking (the API's unit-test fakes) serves no
        network routes."""


def make_app(daemon: Daemon) -> web.Application:
    """The aiohttp application serving the Engine API for `daemon`."""
    app = web.Application(middlewares=[middleware.api_middleware], client_max_size=MAX_BODY)
    version = str(daemon.system.version().get("Version", "") or "dev")
    headers = middleware.standard_headers(server_version=version)
    app[middleware.HEADERS] = headers
    app.on_response_prepare.append(middleware.add_headers)
    table: list[Route] = [
        *system.SystemRouter(daemon.system, daemon.events).routes(),
        *containers.ContainersRouter(daemon.containers, headers=headers).routes(),
        *exec.ExecRouter(daemon.containers, headers=headers).routes(),
        *images.ImagesRouter(daemon.image_ops).routes(),
        *distribution.DistributionRouter(daemon.image_ops).routes(),
        *volumes.VolumesRouter(daemon.volumes).routes(),
    ]
    if daemon.networks is not None:
        table += networks.NetworksRouter(daemon.networks, daemon.containers).routes()
    for route in table:
        app.router.add_route(route.method, VERSION_PREFIX + route.path, route.handler)
        app.router.add_route(route.method, route.path, route.handler)
    # moby's optionsHandler: any path answers OPTIONS with 200 (CORS pre-flight).
    app.router.add_route("OPTIONS", "/{anyroute:.*}", _options)
    return app


async def _options(request: web.Request) -> web.Response:
    return web.Response(status=200)
