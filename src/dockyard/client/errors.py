"""The daemon's errors, back on the client side: one place that turns an HTTP status into a kind.

The daemon maps error kinds to statuses in exactly one module (api/errors.py); this is the way
back. Each class is both an `errdefs` kind (callers test `isinstance(err, errdefs.NotFound)`)
and an `APIError` (the CLI prints "Error response from daemon: ..." for those, as docker does).
"""

from __future__ import annotations

from dockyard import errdefs


class APIError(errdefs.DockyardError):
    """An error answer from the daemon; `status` is its HTTP status code."""

    status: int = 500

    def __init__(self, message: str, *, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


class NotFoundError(APIError, errdefs.NotFound):
    """404: no such container, image, network, volume, exec instance..."""


class ConflictError(APIError, errdefs.Conflict):
    """409: name in use, container running, image in use..."""


class InvalidArgumentError(APIError, errdefs.InvalidArgument):
    """400: a bad parameter."""


class UnimplementedError(APIError, errdefs.Unimplemented):
    """501: not implemented by this daemon."""


class UnavailableError(APIError, errdefs.Unavailable):
    """503: the daemon (or a service it needs, e.g. swarm) is unavailable."""


class UnknownError(APIError, errdefs.Unknown):
    """401, 403, 500 and every other status: the daemon's message is all we have."""


_KINDS: dict[int, type[APIError]] = {
    400: InvalidArgumentError,
    404: NotFoundError,
    409: ConflictError,
    501: UnimplementedError,
    503: UnavailableError,
}


def from_status(status: int, message: str) -> APIError:
    """The error for a daemon answer with `status` (>= 400) and `message`."""
    return _KINDS.get(status, UnknownError)(message, status=status)


class ConnectionFailed(errdefs.Unavailable):
    """No daemon answers at the host: docker's "Cannot connect to the ... daemon" line."""

    def __init__(self, message: str, *, host: str = "") -> None:
        super().__init__(message)
        self.host = host


def cannot_connect(host: str) -> ConnectionFailed:
    """Docker's message for a socket that is missing or refuses (client.ErrorConnectionFailed)."""
    return ConnectionFailed(
        f"Cannot connect to the dockyard daemon at {host}. Is the daemon running?", host=host
    )


def permission_denied(host: str, detail: str) -> ConnectionFailed:
    """Docker's message for a socket the user may not open (a non-root user, no group)."""
    return ConnectionFailed(
        "permission denied while trying to connect to the dockyard daemon socket at "
        f"{host}: {detail}",
        host=host,
    )


def during_connect(host: str, detail: str) -> ConnectionFailed:
    """Any other failure to reach the daemon (no route, TLS handshake...): docker's
    "error during connect: ..." wording."""
    return ConnectionFailed(f"error during connect: {detail}", host=host)
