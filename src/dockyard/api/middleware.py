"""The middleware every request passes: API version, standard headers, errors.

moby's VersionMiddleware: a `/vX.Y` prefix selects the API version the handlers see
(`request["api_version"]`, the server's own without a prefix); one below the minimum or above
the maximum is refused with Docker's 400. Every answer carries `Api-Version`, `Server` and
`Ostype`. Errors raised by handlers become Docker's `{"message": ...}` answers (errors.py); an
unknown route is 404 "page not found", whatever its method or version.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from dockyard import errdefs
from dockyard.api import errors, httputils

HEADERS = web.AppKey("dockyard_headers", dict[str, str])
_PREPARED = web.RequestKey("dockyard_prepared", bool)  # an answer's head is on its way

log = logging.getLogger(__name__)


def standard_headers(*, server_version: str) -> dict[str, str]:
    """Api-Version, Server and Ostype, as moby's version middleware sets them."""
    return {
        "Api-Version": httputils.API_VERSION,
        "Server": f"Docker/{server_version} (linux)",
        "Ostype": "linux",
    }


def check_version(version: str) -> None:
    """Refuse a client version outside [MIN_API_VERSION, API_VERSION] with Docker's words."""
    if httputils.version_less_than(version, httputils.MIN_API_VERSION):
        raise errdefs.InvalidArgument(
            f"client version {version} is too old. Minimum supported API version is"
            f" {httputils.MIN_API_VERSION}, please upgrade your client to a newer version"
        )
    if httputils.compare_versions(version, httputils.API_VERSION) > 0:
        raise errdefs.InvalidArgument(
            f"client version {version} is too new. Maximum supported API version is"
            f" {httputils.API_VERSION}"
        )


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if getattr(request.match_info, "http_exception", None) is not None:
            raise errors.PageNotFound()
        version = request.match_info.get("version", "")
        if version:
            check_version(version)
        request[httputils.API_VERSION_KEY] = version or httputils.API_VERSION
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            return errors.response(errors.PageNotFound())
        return httputils.json_response({"message": exc.text or exc.reason}, status=exc.status)
    except asyncio.CancelledError:
        raise
    except ConnectionError as err:
        # the client went away mid-answer (a `docker logs -f | head`, a killed CLI): nothing
        # to tell it, and nothing wrong with us
        log.debug("client gone during %s %s: %s", request.method, request.path, err)
        return web.Response(status=499)
    except Exception as err:  # request boundary: every error becomes Docker's answer
        if request.get(_PREPARED):
            raise  # the answer's head is out: aiohttp logs it and drops the connection
        return errors.response(err)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the standard headers on every answer, errors and streams too."""
    response.headers.update(request.app[HEADERS])
    request[_PREPARED] = True
