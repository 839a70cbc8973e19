"""The two prctl(2) calls the shim makes about itself.

Straight through `_ctypes` rather than `ctypes`: the package's Python half (and the `struct`
it imports) would stay in the shim's memory for its whole life, about 250 KiB of a process
that should stay small; the C half alone is what a single call needs.
"""

from __future__ import annotations

import _ctypes

PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36


TYPE_CHECKING = False  # true for mypy
if TYPE_CHECKING:
    _IntBase = _ctypes._SimpleCData[int]
else:
    _IntBase = _ctypes._SimpleCData


class _CInt(_IntBase):
    """ctypes.c_int, without ctypes."""

    _type_ = "i"


class _Function(_ctypes.CFuncPtr):
    """A cdecl C function returning int that keeps errno."""

    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _CInt


def _prctl() -> _Function:
    program = _ctypes.dlopen(None, 0)  # type: ignore[arg-type]  # NULL: the program itself
    return _Function(_ctypes.dlsym(program, "prctl"))


def set_name(name: str) -> None:
    """Show as `name` (15 bytes at most) in ps/top's comm column."""
    _prctl()(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def become_subreaper(name: str) -> None:
    """Adopt orphaned descendants (the container's init once `runtime create` exits, exec'd
    processes once `runtime exec --detach` exits) so the shim can waitpid() them, and show
    as `name` in ps/top (the comm; the cmdline stays `... dockyard-shim --id <cid> ...`)."""
    import os

    prctl = _prctl()
    if prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        errno = _ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(errno)}")
    prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
