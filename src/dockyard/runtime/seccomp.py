"""Seccomp for dockyard-runtime: the OCI `linux.seccomp` object turned into a libseccomp filter.

Lifecycle, as the container init drives it:

1. `prepare(config.linux.seccomp)` validates the object and builds a libseccomp filter context,
   BEFORE pivot_root because libseccomp.so.2 lives on the host. It installs nothing.
2. `SeccompFilter.load()` installs it into the calling process. As in runc the filter never
   sets no_new_privs itself: with `process.noNewPrivileges` the init sets it and loads last
   before execve(2) (fewest syscalls left to allow); without it, the init must load while it
   still holds CAP_SYS_ADMIN, or the kernel refuses (EACCES).
3. `SeccompFilter.release()` frees the context (idempotent).

libseccomp is reached through ctypes by soname and loaded only by `prepare()` and `features()`,
never on import: the runtime's start-up time is a feature.

Semantics follow runc (libcontainer/seccomp/seccomp_linux.go) so a profile means the same under
both runtimes:

- SCMP_ACT_ERRNO and SCMP_ACT_TRACE without `errnoRet` return EPERM; `errnoRet` with any other
  action is refused (runtime-spec: "the runtime MUST print an error and fail").
- A rule whose action equals the default action is skipped: libseccomp refuses it (EACCES).
- Comparisons in `args` on distinct argument indexes are AND'ed in one rule. If any index occurs
  more than once, libseccomp cannot express the rule (EINVAL), and every comparison of that
  entry becomes a rule of its own: all of them OR'ed, including those on other indexes.
- SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD, as in libseccomp.

Unknown syscall names (libseccomp resolves them to __NR_SCMP_ERROR) are handled fail-closed:
when skipping the rule can only make the filter stricter, that is when its action is
SCMP_ACT_ALLOW or SCMP_ACT_LOG (Docker's default profile lists syscalls newer than an older
libseccomp knows), the name is skipped silently as runc does. A deny, errno, kill, trap or
trace rule naming an unknown syscall is refused with InvalidArgument: skipping it would
quietly allow what the profile meant to forbid.

Not supported: SCMP_ACT_NOTIFY, `listenerPath` and SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (there
is no seccomp agent support); they raise FailedPrecondition. runc's ENOSYS patching of the BPF
program (so that syscalls newer than the profile fail with ENOSYS, not the default errno) is
not done either.
"""

from __future__ import annotations

import ctypes
import errno
import os

from dockyard import errdefs
from dockyard.runtime import syscalls
from dockyard.utils.record import record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any


_SONAME = "libseccomp.so.2"

# Action values from <seccomp.h> (libseccomp 2.5).
_ACT_KILL_PROCESS = 0x80000000
_ACT_KILL_THREAD = 0x00000000
_ACT_TRAP = 0x00030000
_ACT_ERRNO = 0x00050000  # | errno in the low 16 bits
_ACT_TRACE = 0x7FF00000  # | message for the tracer in the low 16 bits
_ACT_LOG = 0x7FFC0000
_ACT_ALLOW = 0x7FFF0000

# enum scmp_filter_attr
_ATTR_CTL_NNP = 3
_ATTR_CTL_TSYNC = 4
_ATTR_CTL_LOG = 6
_ATTR_CTL_SSB = 7
_ATTR_CTL_OPTIMIZE = 8
_ATTR_API_SYSRAWRC = 9

_NR_SCMP_ERROR = -1
_MAX_ARGS = 6  # a Linux syscall has at most six arguments
_MAX_RET_DATA = 0xFFFF  # SECCOMP_RET_DATA is 16 bits; libseccomp would truncate silently
_MAX_U64 = 2**64 - 1
# runc's threshold for the binary-tree layout: libseccomp <= 2.5.4 misbehaves with it and no
# rules, and it only pays off on long rule lists.
_OPTIMIZE_MIN_RULES = 32
_PR_GET_SECCOMP = 21  # <linux/prctl.h>; syscalls.py has no constant for it

_ACTIONS: dict[str, int] = {
    "SCMP_ACT_KILL": _ACT_KILL_THREAD,
    "SCMP_ACT_KILL_THREAD": _ACT_KILL_THREAD,
    "SCMP_ACT_KILL_PROCESS": _ACT_KILL_PROCESS,
    "SCMP_ACT_TRAP": _ACT_TRAP,
    "SCMP_ACT_ALLOW": _ACT_ALLOW,
    "SCMP_ACT_LOG": _ACT_LOG,
}
_ERRNO_ACTIONS: dict[str, int] = {"SCMP_ACT_ERRNO": _ACT_ERRNO, "SCMP_ACT_TRACE": _ACT_TRACE}
_UNSUPPORTED_ACTIONS = frozenset({"SCMP_ACT_NOTIFY"})
# Actions that need libseccomp API level 3 (and kernel 4.14).
_API3_ACTIONS = frozenset({"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_LOG"})
# Rules with these actions may drop a syscall name libseccomp does not know (see module doc).
_SKIPPABLE_ACTIONS = frozenset({"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})

# enum scmp_compare, in its order from 1
_OPERATORS: dict[str, int] = {
    f"SCMP_CMP_{op}": value
    for value, op in enumerate(("NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"), start=1)
}

_FLAGS: dict[str, int] = {
    "SECCOMP_FILTER_FLAG_TSYNC": _ATTR_CTL_TSYNC,
    "SECCOMP_FILTER_FLAG_LOG": _ATTR_CTL_LOG,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": _ATTR_CTL_SSB,
}
_UNSUPPORTED_FLAGS = frozenset({"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"})

# The runtime-spec's SeccompArch enum; libseccomp spells them in lower case without the prefix.
# Kept dense (fmt: skip): one enum, not 23 lines of it.
_ARCHS = (
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
    "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
)  # fmt: skip


class _ArgCmp(ctypes.Structure):
    """struct scmp_arg_cmp from <seccomp.h>."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),  # enum scmp_compare
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class _Libseccomp:
    """The libseccomp 2.5 entry points this module calls, with their C prototypes.

    Failing calls return a negative errno, as libseccomp does. A new instance per prepare() or
    features() keeps no module state; dlopen of a library already loaded is a refcount.
    """

    def __init__(self) -> None:
        try:
            lib = ctypes.CDLL(_SONAME)
        except OSError as err:
            raise errdefs.FailedPrecondition(f"seccomp: cannot load {_SONAME}: {err}") from err
        u32, ptr, c_int, c_str = ctypes.c_uint32, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        for name, restype, argtypes in (
            # struct scmp_version is three unsigned ints: major, minor, micro
            ("seccomp_version", ctypes.POINTER(ctypes.c_uint * 3), []),
            ("seccomp_api_get", ctypes.c_uint, []),
            ("seccomp_init", ptr, [u32]),
            ("seccomp_release", None, [ptr]),
            ("seccomp_load", c_int, [ptr]),
            ("seccomp_arch_resolve_name", u32, [c_str]),
            ("seccomp_arch_add", c_int, [ptr, u32]),
            ("seccomp_attr_set", c_int, [ptr, c_int, u32]),
            ("seccomp_syscall_resolve_name", c_int, [c_str]),
            (
                "seccomp_rule_add_array",
                c_int,
                [ptr, u32, c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp)],
            ),
            ("seccomp_export_pfc", c_int, [ptr, c_int]),
        ):
            func = getattr(lib, name)
            func.restype = restype
            func.argtypes = argtypes
        self._lib = lib

    def call(self, func: str, *args: int) -> int:
        """Call one of the int-returning functions above (0 for a NULL context)."""
        return int(getattr(self._lib, func)(*args) or 0)

    def attr_set(self, ctx: int, attr: int, value: int) -> int:
        return self.call("seccomp_attr_set", ctx, attr, value)

    def version(self) -> str:
        return ".".join(str(n) for n in self._lib.seccomp_version().contents)

    def release(self, ctx: int) -> None:
        self._lib.seccomp_release(ctx)

    def arch_token(self, arch: str) -> int:
        """The token for a runtime-spec name such as SCMP_ARCH_X86_64; 0 when unknown."""
        raw = arch.removeprefix("SCMP_ARCH_").lower().encode()
        return int(self._lib.seccomp_arch_resolve_name(raw))

    def syscall_nr(self, name: str) -> int:
        """The native number (or a negative pseudo-number), or _NR_SCMP_ERROR when unknown."""
        return int(self._lib.seccomp_syscall_resolve_name(name.encode()))

    def rule_add(self, ctx: int, action: int, nr: int, conds: Sequence[_Condition]) -> int:
        array = (_ArgCmp * len(conds))(
            *(_ArgCmp(c.index, c.op, c.value, c.value_two) for c in conds)
        )
        return int(self._lib.seccomp_rule_add_array(ctx, action, nr, len(conds), array))


@record(frozen=True)
class _Condition:
    """One `args` comparison, in struct scmp_arg_cmp's field order (datum_a, datum_b are
    OCI's value, valueTwo)."""

    index: int
    op: int
    value: int
    value_two: int


@record(frozen=True)
class _Rule:
    """One `syscalls` entry; each condition set becomes one libseccomp rule per name."""

    names: tuple[str, ...]
    action_name: str
    action: int
    condition_sets: tuple[tuple[_Condition, ...], ...]


@record(frozen=True)
class _Profile:
    """A validated `linux.seccomp` object."""

    default_name: str
    default_action: int
    architectures: tuple[str, ...]
    flags: tuple[str, ...]
    rules: tuple[_Rule, ...]
    entries: int  # syscalls[] entries before skipping, for runc's optimisation threshold


class SeccompFilter:
    """A built libseccomp filter context, not yet installed.

    Made by `prepare()`; `load()` installs it into the calling process (once it has returned,
    that process can only make the syscalls the filter allows); `release()` frees the context
    and may be called any number of times, before or after `load()`.
    """

    def __init__(self, *, lib: _Libseccomp, ctx: int) -> None:
        self._lib = lib
        self._ctx = ctx

    def load(self) -> None:
        """seccomp_load(3): install the filter; it is inherited over fork and execve."""
        rc = self._lib.call("seccomp_load", self._live_ctx())
        if rc == -errno.EACCES:
            raise errdefs.FailedPrecondition(
                "seccomp: failed to load filter: no_new_privs is not set "
                "and the process lacks CAP_SYS_ADMIN"
            )
        if rc < 0:
            raise errdefs.FailedPrecondition(f"seccomp: failed to load filter: {os.strerror(-rc)}")

    def release(self) -> None:
        """seccomp_release(3); a no-op once released."""
        if self._ctx:
            self._lib.release(self._ctx)
            self._ctx = 0

    def export_pfc(self) -> str:
        """The filter as libseccomp's Pseudo Filter Code text, for debugging and tests."""
        fd = os.memfd_create("seccomp-pfc")
        try:
            rc = self._lib.call("seccomp_export_pfc", self._live_ctx(), fd)
            if rc < 0:
                raise errdefs.FailedPrecondition(f"seccomp: failed to export: {os.strerror(-rc)}")
            os.lseek(fd, 0, os.SEEK_SET)
            with os.fdopen(os.dup(fd), encoding="utf-8") as pfc:
                return pfc.read()
        finally:
            os.close(fd)

    def _live_ctx(self) -> int:
        if not self._ctx:
            raise errdefs.FailedPrecondition("seccomp: filter already released")
        return self._ctx


def prepare(seccomp: Mapping[str, Any]) -> SeccompFilter:
    """Validate the OCI `linux.seccomp` object and build a libseccomp filter context.

    Called in the container init BEFORE pivot_root (the library lives on the host). Installs
    nothing. Raises InvalidArgument for a malformed object and FailedPrecondition for what this
    host (library, kernel) or this runtime cannot do.
    """
    profile = _parse(seccomp)
    lib = _Libseccomp()
    ctx = lib.call("seccomp_init", profile.default_action)
    if not ctx:
        raise errdefs.FailedPrecondition(
            f'seccomp: libseccomp {lib.version()} refused default action "{profile.default_name}"'
        )
    filt = SeccompFilter(lib=lib, ctx=ctx)
    try:
        _build(lib, ctx, profile)
    except BaseException:
        filt.release()
        raise
    return filt


def features() -> dict[str, Any]:
    """The `linux.seccomp` object of `runtime features` (runtime-spec features-linux.json)."""
    try:
        lib = _Libseccomp()
        syscalls.prctl(_PR_GET_SECCOMP)  # EINVAL: the kernel lacks CONFIG_SECCOMP
    except (errdefs.FailedPrecondition, OSError):
        return {"enabled": False}
    api = lib.call("seccomp_api_get")
    actions = set(_ACTIONS) | set(_ERRNO_ACTIONS)
    if api < 3:
        actions -= _API3_ACTIONS
    supported: list[str] = []
    ctx = lib.call("seccomp_init", _ACT_ALLOW)
    if ctx:
        # Setting the attribute is how libseccomp checks both its API level and the kernel.
        supported = [flag for flag, attr in _FLAGS.items() if lib.attr_set(ctx, attr, 1) == 0]
        lib.release(ctx)
    return {
        "enabled": True,
        "actions": sorted(actions),
        "operators": sorted(_OPERATORS),
        "archs": sorted(arch for arch in _ARCHS if lib.arch_token(arch)),
        "knownFlags": sorted([*_FLAGS, *_UNSUPPORTED_FLAGS]),
        "supportedFlags": sorted(supported),
    }


def _build(lib: _Libseccomp, ctx: int, profile: _Profile) -> None:
    """Put a validated profile into a fresh context: architectures first, so rules cover them."""
    for arch in profile.architectures:
        token = lib.arch_token(arch)
        if not token:
            raise errdefs.FailedPrecondition(
                f'seccomp: architecture "{arch}" is not supported by libseccomp {lib.version()}'
            )
        rc = lib.call("seccomp_arch_add", ctx, token)
        if rc == -errno.EDOM:  # libseccomp's answer to mixing byte orders in one filter
            raise errdefs.FailedPrecondition(
                f'seccomp: architecture "{arch}" cannot share a filter with this host\'s: '
                "the byte order differs"
            )
        if rc < 0 and rc != -errno.EEXIST:  # EEXIST: the native arch is in every new context
            raise errdefs.FailedPrecondition(
                f'seccomp: failed to add architecture "{arch}": {os.strerror(-rc)}'
            )
    for flag in profile.flags:
        rc = lib.attr_set(ctx, _FLAGS[flag], 1)
        if rc < 0:
            raise errdefs.FailedPrecondition(
                f'seccomp: flag "{flag}" is not supported here: {os.strerror(-rc)}'
            )
    # no_new_privs is the init's decision (process.noNewPrivileges), not the filter's; and
    # raw kernel errors let load() tell EACCES (no CAP_SYS_ADMIN) from the rest.
    for attr, value in ((_ATTR_CTL_NNP, 0), (_ATTR_API_SYSRAWRC, 1)):
        if lib.attr_set(ctx, attr, value) < 0:
            raise errdefs.FailedPrecondition(f"seccomp: libseccomp {lib.version()} is too old")
    if profile.entries > _OPTIMIZE_MIN_RULES:
        lib.attr_set(ctx, _ATTR_CTL_OPTIMIZE, 2)  # best effort: only speed is at stake
    for rule in profile.rules:
        for name in rule.names:
            nr = lib.syscall_nr(name)
            if nr == _NR_SCMP_ERROR:
                if rule.action_name in _SKIPPABLE_ACTIONS:
                    continue
                raise errdefs.InvalidArgument(f'seccomp: unknown syscall "{name}"')
            for conds in rule.condition_sets:
                rc = lib.rule_add(ctx, rule.action, nr, conds)
                if rc < 0:
                    raise errdefs.InvalidArgument(
                        f'seccomp: failed to add rule for syscall "{name}": {os.strerror(-rc)}'
                    )


def _parse(seccomp: Mapping[str, Any]) -> _Profile:
    """Validate the raw JSON object into a _Profile; needs no library."""
    if not isinstance(seccomp, dict):
        raise errdefs.InvalidArgument("seccomp: linux.seccomp must be an object")
    if seccomp.get("listenerPath"):
        raise errdefs.FailedPrecondition(
            "seccomp: listenerPath is not supported: dockyard-runtime has no seccomp agent support"
        )
    if "defaultAction" not in seccomp:
        raise errdefs.InvalidArgument("seccomp: defaultAction is required")
    default_name, errno_ret = seccomp["defaultAction"], seccomp.get("defaultErrnoRet")
    default = _action(default_name, errno_ret, where="defaultAction", errno_field="defaultErrnoRet")
    architectures = _strings(seccomp.get("architectures"), "architectures")
    for arch in architectures:
        if arch not in _ARCHS:
            raise errdefs.InvalidArgument(f'seccomp: unknown architecture "{arch}"')
    flags = _strings(seccomp.get("flags"), "flags")
    for flag in flags:
        if flag in _UNSUPPORTED_FLAGS:
            raise errdefs.FailedPrecondition(f'seccomp: flag "{flag}" is not supported')
        if flag not in _FLAGS:
            raise errdefs.InvalidArgument(f'seccomp: unknown flag "{flag}"')
    entries = seccomp.get("syscalls") or []
    if not isinstance(entries, list):
        raise errdefs.InvalidArgument("seccomp: syscalls must be an array")
    rules = [_rule(entry, i) for i, entry in enumerate(entries)]
    return _Profile(
        default_name=default_name,
        default_action=default,
        architectures=architectures,
        flags=flags,
        # libseccomp refuses a rule whose action is the default one; it would change nothing.
        rules=tuple(rule for rule in rules if rule.action != default),
        entries=len(entries),
    )


def _rule(entry: object, i: int) -> _Rule:
    where = f"syscalls[{i}]"
    if not isinstance(entry, dict):
        raise errdefs.InvalidArgument(f"seccomp: {where} must be an object")
    names = _strings(entry.get("names"), f"{where}.names")
    if not names or not all(names):
        raise errdefs.InvalidArgument(f"seccomp: {where}.names must list syscall names")
    where = f'{where} ("{names[0]}"{"..." if len(names) > 1 else ""})'
    action_name = entry.get("action")
    action = _action(
        action_name, entry.get("errnoRet"), where=where, errno_field=f"{where} errnoRet"
    )
    args = entry.get("args") or []
    if not isinstance(args, list):
        raise errdefs.InvalidArgument(f"seccomp: {where} args must be an array")
    conds = [_condition(arg, f"{where} args[{j}]") for j, arg in enumerate(args)]
    sets: tuple[tuple[_Condition, ...], ...] = (tuple(conds),)
    if len({c.index for c in conds}) < len(conds):
        # libseccomp cannot compare one argument twice in a rule (EINVAL); like runc, give
        # every comparison a rule of its own (OR'ed), those on other indexes included.
        sets = tuple((c,) for c in conds)
    return _Rule(names=names, action_name=str(action_name), action=action, condition_sets=sets)


def _action(name: object, errno_ret: object, *, where: str, errno_field: str) -> int:
    """The libseccomp value of an action; `where` and `errno_field` name fields in messages."""
    if not isinstance(name, str):
        raise errdefs.InvalidArgument(f"seccomp: {where} action must be a string, not {name!r}")
    if name in _UNSUPPORTED_ACTIONS:
        raise errdefs.FailedPrecondition(
            f'seccomp: action "{name}" in {where} is not supported: there is no seccomp agent'
        )
    if name in _ERRNO_ACTIONS:
        if errno_ret is None:
            return _ERRNO_ACTIONS[name] | errno.EPERM  # runc's default, as the spec says
        return _ERRNO_ACTIONS[name] | _uint(errno_ret, _MAX_RET_DATA, errno_field)
    if name not in _ACTIONS:
        raise errdefs.InvalidArgument(f'seccomp: unknown action "{name}" in {where}')
    if errno_ret is not None:
        raise errdefs.InvalidArgument(
            f'seccomp: {errno_field} needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "{name}"'
        )
    return _ACTIONS[name]


def _condition(arg: object, where: str) -> _Condition:
    if not isinstance(arg, dict):
        raise errdefs.InvalidArgument(f"seccomp: {where} must be an object")
    op = arg.get("op")
    if not isinstance(op, str) or op not in _OPERATORS:
        raise errdefs.InvalidArgument(f'seccomp: unknown operator "{op}" in {where}')
    return _Condition(
        index=_uint(arg.get("index"), _MAX_ARGS - 1, f"{where}.index"),
        op=_OPERATORS[op],
        value=_uint(arg.get("value"), _MAX_U64, f"{where}.value"),
        value_two=_uint(arg.get("valueTwo", 0), _MAX_U64, f"{where}.valueTwo"),
    )


def _uint(value: object, maximum: int, where: str) -> int:
    # bool is an int in Python but `true` is no number in JSON.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise errdefs.InvalidArgument(
            f"seccomp: {where} must be an integer from 0 to {maximum}, not {value!r}"
        )
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errdefs.InvalidArgument(f"seccomp: {where} must be an array of strings")
    return tuple(value)
