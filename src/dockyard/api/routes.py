"""A route of a router's table: method, path (without the /vX.Y prefix), handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from dockyard.utils.record import record

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@record(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler


def get(path: str, handler: Handler) -> Route:
    return Route("GET", path, handler)


def head(path: str, handler: Handler) -> Route:
    return Route("HEAD", path, handler)


def post(path: str, handler: Handler) -> Route:
    return Route("POST", path, handler)


def put(path: str, handler: Handler) -> Route:
    return Route("PUT", path, handler)


def delete(path: str, handler: Handler) -> Route:
    return Route("DELETE", path, handler)
