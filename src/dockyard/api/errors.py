"""Errors become HTTP statuses here, and only here (moby's api/server/httpstatus).

Every package raises dockyard.errdefs kinds; this module maps each kind to the status code
Docker answers with and writes Docker's body, `{"message": "..."}`. A few statuses have no
errdefs kind because only the HTTP layer means them (moby's errdefs.Unauthorized, Forbidden,
NotModified): they are declared below, as errors the routers raise.
"""

from __future__ import annotations

import logging

from aiohttp import web

from dockyard import errdefs
from dockyard.api import httputils

log = logging.getLogger(__name__)


class Unauthorized(errdefs.DockyardError):
    """401: the registry refused the credentials (POST /auth)."""


class Forbidden(errdefs.DockyardError):
    """403: the request names something reserved ("'scratch' is a reserved name")."""


class NotModified(errdefs.DockyardError):
    """304: start of a running container, stop of a stopped one."""


class PageNotFound(errdefs.NotFound):
    """No route matches: moby's notFoundHandler."""

    def __init__(self) -> None:
        super().__init__("page not found")


# Most specific first: the first class an error is an instance of decides.
_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (errdefs.NotFound, 404),
    (errdefs.InvalidArgument, 400),
    (errdefs.AlreadyExists, 409),
    (errdefs.Conflict, 409),
    (Unauthorized, 401),
    (errdefs.Unavailable, 503),
    (Forbidden, 403),
    (NotModified, 304),
    (errdefs.Unimplemented, 501),
    # containerd's FailedPrecondition, as moby maps it (statusCodeFromContainerdError).
    (errdefs.FailedPrecondition, 412),
    (errdefs.Unknown, 500),
)


def status_for(err: BaseException) -> int:
    """The HTTP status of an error (moby's httpstatus.FromError); 500 for anything else."""
    for kind, status in _STATUS:
        if isinstance(err, kind):
            return status
    return 500


def kind_of(err: errdefs.DockyardError) -> type[errdefs.DockyardError]:
    """The errdefs (or HTTP-only) kind of `err`, for a new error of the same status."""
    for kind, _ in _STATUS:
        if isinstance(err, kind) and issubclass(kind, errdefs.DockyardError):
            return kind
    return errdefs.Unknown


def wrap(err: errdefs.DockyardError, prefix: str) -> errdefs.DockyardError:
    """errors.Wrapf: the same kind, the message prefixed ("cannot kill container: x: ...")."""
    return kind_of(err)(f"{prefix}: {err}")


def response(err: BaseException) -> web.Response:
    """Docker's error answer for `err`; our own bugs (status 500) are logged with traceback."""
    status = status_for(err)
    if status >= 500:
        # moby logs every 5xx; a traceback only helps for what is not an error kind (a bug).
        trace = None if isinstance(err, errdefs.DockyardError) else err
        log.error("failed to handle request: %s", message_of(err), exc_info=trace)
    if status == 304:
        return web.Response(status=304)
    return httputils.json_response({"message": message_of(err)}, status=status)


def message_of(err: BaseException) -> str:
    return str(err) or type(err).__name__
