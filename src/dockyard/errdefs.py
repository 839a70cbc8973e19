"""The error kinds every dockyard package raises.

One small set, as in containerd's errdefs: callers test the kind, never the message. The HTTP
layer maps kinds to status codes in exactly one place (api/errors.py); the runtime maps them to
its exit status and one line on stderr.
"""

from __future__ import annotations


class DockyardError(Exception):
    """Base of every error kind; the message is what a user reads."""


class NotFound(DockyardError):
    """The named object does not exist (no such container, image, cgroup...)."""


class AlreadyExists(DockyardError):
    """An object with that name or id exists already."""


class Conflict(DockyardError):
    """The object exists but is in a state that forbids the operation."""


class InvalidArgument(DockyardError):
    """The request or configuration is malformed."""


class FailedPrecondition(DockyardError):
    """The host or object lacks something the request needs (a kernel feature, a file)."""


class Unavailable(DockyardError):
    """A service the operation needs does not answer."""


class Unimplemented(DockyardError):
    """The feature exists in Docker's surface but dockyard has not built it yet."""


class Unknown(DockyardError):
    """Anything else; a bug in dockyard if it reaches a user."""
