"""Docker's default seccomp profile, and the conversion of a Docker profile to OCI linux.seccomp.

The profile is Docker's (moby/profiles/seccomp default.json, v0.2.x as vendored by Docker 28)
kept as our own data: `default_profile()` returns it as the JSON document Docker ships, so a
user's `--security-opt seccomp=profile.json` and the default go through one conversion.

A Docker profile is an OCI `linux.seccomp` object plus three things the runtime never sees:
`archMap` (architectures per native arch), and per rule `includes`/`excludes` filters on the
arch, the container's capabilities and the kernel version. `to_oci` applies them as moby's
setupSeccomp does: the native arch selects its archMap entry (it and its sub-architectures),
and a rule is kept only when its filters match this host and the container's bounding set.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs

# Go's GOARCH spelling of uname machines, then moby's "native" names (goToNative).
_NATIVE_ARCH = {
    "x86_64": "amd64", "i386": "x86", "i686": "x86", "aarch64": "arm64", "armv7l": "arm",
    "armv6l": "arm", "ppc64le": "ppc64le", "ppc64": "ppc64", "s390x": "s390x",
    "riscv64": "riscv64", "loongarch64": "loongarch64", "mips64": "mips64",
}  # fmt: skip
_NATIVE_TO_SECCOMP = {
    "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "arm": "SCMP_ARCH_ARM",
    "arm64": "SCMP_ARCH_AARCH64", "loongarch64": "SCMP_ARCH_LOONGARCH64",
    "mips64": "SCMP_ARCH_MIPS64", "ppc": "SCMP_ARCH_PPC", "ppc64": "SCMP_ARCH_PPC64",
    "ppc64le": "SCMP_ARCH_PPC64LE", "riscv64": "SCMP_ARCH_RISCV64", "s390": "SCMP_ARCH_S390",
    "s390x": "SCMP_ARCH_S390X",
}  # fmt: skip

_ARCH_MAP: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SCMP_ARCH_X86_64", ("SCMP_ARCH_X86", "SCMP_ARCH_X32")),
    ("SCMP_ARCH_AARCH64", ("SCMP_ARCH_ARM",)),
    ("SCMP_ARCH_MIPS64", ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32")),
    ("SCMP_ARCH_MIPS64N32", ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64")),
    ("SCMP_ARCH_MIPSEL64", ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32")),
    ("SCMP_ARCH_MIPSEL64N32", ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64")),
    ("SCMP_ARCH_S390X", ("SCMP_ARCH_S390",)),
    ("SCMP_ARCH_RISCV64", ()),
    ("SCMP_ARCH_LOONGARCH64", ()),
)

# One entry per rule of the profile, in its order: (names, the rest of the rule).
_RULES: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown "
        "chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
        "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
        "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
        "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
        "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
        "fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr "
        "flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 "
        "fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv "
        "futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid "
        "geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp "
        "getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 "
        "getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid "
        "gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init "
        "inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents "
        "io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule "
        "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
        "listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr "
        "lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore "
        "mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr "
        "mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
        "mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock "
        "munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 "
        "pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll "
        "ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 "
        "pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv "
        "recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat "
        "rename renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction "
        "rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait "
        "rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam "
        "sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval "
        "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
        "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
        "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 "
        "setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority "
        "setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 "
        "setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid "
        "setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
        "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
        "statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time "
        "timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
        "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
        "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
        "uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid "
        "write writev",
        {"action": "SCMP_ACT_ALLOW"},
    ),
    (
        "process_vm_readv process_vm_writev ptrace",
        {"action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    ),
    (
        "socket",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}]},
    ),
    (
        "socket",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 39, "op": "SCMP_CMP_EQ"}]},
    ),
    (
        "socket",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]},
    ),
    (
        "personality",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
    ),
    (
        "personality",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    ),
    (
        "personality",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"}]},
    ),
    (
        "personality",
        {"action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}]},
    ),
    (
        "personality",
        {
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}],
        },
    ),
    (
        "sync_file_range2 swapcontext",
        {"action": "SCMP_ACT_ALLOW", "includes": {"arches": ["ppc64le"]}},
    ),
    (
        "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
        {"action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
    ),
    (
        "arch_prctl",
        {"action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    ),
    (
        "modify_ldt",
        {"action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32", "x86"]}},
    ),
    (
        "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
        {"action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390", "s390x"]}},
    ),
    (
        "riscv_flush_icache",
        {"action": "SCMP_ACT_ALLOW", "includes": {"arches": ["riscv64"]}},
    ),
    (
        "open_by_handle_at",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_DAC_READ_SEARCH"]}},
    ),
    (
        "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
        "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount "
        "open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog "
        "umount umount2 unshare",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    ),
    (
        "clone",
        {
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
            "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]},
        },
    ),
    (
        "clone",
        {
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 1, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
            "comment": "s390 parameter ordering for clone is different",
            "includes": {"arches": ["s390", "s390x"]},
            "excludes": {"caps": ["CAP_SYS_ADMIN"]},
        },
    ),
    (
        "clone3",
        {"action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    ),
    (
        "reboot",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
    ),
    (
        "chroot",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    ),
    (
        "delete_module init_module finit_module",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_MODULE"]}},
    ),
    (
        "acct",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PACCT"]}},
    ),
    (
        "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}},
    ),
    (
        "iopl ioperm",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_RAWIO"]}},
    ),
    (
        "settimeofday stime clock_settime clock_settime64",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_TIME"]}},
    ),
    (
        "vhangup",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_TTY_CONFIG"]}},
    ),
    (
        "get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_NICE"]}},
    ),
    (
        "syslog",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYSLOG"]}},
    ),
    (
        "bpf",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_BPF"]}},
    ),
    (
        "perf_event_open",
        {"action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_PERFMON"]}},
    ),
)


def default_profile() -> dict[str, Any]:
    """Docker's default profile as the JSON document (a fresh copy each call)."""
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            {"architecture": arch, "subArchitectures": list(subs) if subs else None}
            for arch, subs in _ARCH_MAP
        ],
        "syscalls": [{"names": names.split(), **copy.deepcopy(rest)} for names, rest in _RULES],
    }


def native_arch() -> str:
    """This host's architecture in moby's "native" spelling (amd64, arm64, ...)."""
    machine = os.uname().machine
    return _NATIVE_ARCH.get(machine, machine)


def kernel_version() -> tuple[int, int]:
    """(major, minor) of the running kernel."""
    return _parse_kernel(os.uname().release)


def _parse_kernel(release: str) -> tuple[int, int]:
    parts = release.split("-", 1)[0].split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise errdefs.InvalidArgument(f"failed to parse kernel version {release!r}") from None


def load_profile(
    text: str,
    *,
    bounding_caps: Sequence[str],
    arch: str | None = None,
    kernel: tuple[int, int] | None = None,
) -> dict[str, Any] | None:
    """A profile given as JSON text (`--security-opt seccomp=<json>`) converted for OCI."""
    try:
        profile = json.loads(text)
    except ValueError as err:
        raise errdefs.InvalidArgument(f"Decoding seccomp profile failed: {err}") from None
    if not isinstance(profile, dict):
        raise errdefs.InvalidArgument(
            "Decoding seccomp profile failed: json: cannot unmarshal into Go value of type "
            "seccomp.Seccomp"
        )
    return to_oci(profile, bounding_caps=bounding_caps, arch=arch, kernel=kernel)


def to_oci(
    profile: Mapping[str, Any],
    *,
    bounding_caps: Sequence[str],
    arch: str | None = None,
    kernel: tuple[int, int] | None = None,
) -> dict[str, Any] | None:
    """OCI linux.seccomp for a Docker profile; None when the profile is empty (no filter)."""
    arch = arch or native_arch()
    syscalls = _list(profile.get("syscalls"), "syscalls")
    if not profile.get("defaultAction") and not syscalls:
        return None
    if profile.get("architectures") and profile.get("archMap"):
        raise errdefs.InvalidArgument(
            "both 'architectures' and 'archMap' are specified in the seccomp profile, "
            "use either 'architectures' or 'archMap'"
        )
    out: dict[str, Any] = {"defaultAction": profile.get("defaultAction", "")}
    for key in ("defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"):
        if profile.get(key) not in (None, "", []):
            out[key] = profile[key]
    architectures = list(_list(profile.get("architectures"), "architectures"))
    wanted = _NATIVE_TO_SECCOMP.get(arch)
    for entry in _list(profile.get("archMap"), "archMap"):
        if isinstance(entry, dict) and entry.get("architecture") == wanted:
            architectures += [entry["architecture"], *(entry.get("subArchitectures") or [])]
            break
    if architectures:
        out["architectures"] = architectures
    rules = []
    for rule in syscalls:
        if not isinstance(rule, dict):
            raise errdefs.InvalidArgument("Decoding seccomp profile failed: bad syscall entry")
        names = _names(rule)
        if _applies(rule, arch=arch, caps=bounding_caps, kernel=kernel):
            rules.append(_oci_rule(rule, names))
    out["syscalls"] = rules
    return out


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise errdefs.InvalidArgument(
            f"Decoding seccomp profile failed: json: cannot unmarshal {where} into a list"
        )
    return value


def _names(rule: Mapping[str, Any]) -> list[str]:
    name, names = rule.get("name") or "", rule.get("names") or []
    if name:
        if names:
            raise errdefs.InvalidArgument(
                "both 'name' and 'names' are specified in the seccomp profile, "
                "use either 'name' or 'names'"
            )
        return [name]
    return list(names)


def _applies(
    rule: Mapping[str, Any], *, arch: str, caps: Sequence[str], kernel: tuple[int, int] | None
) -> bool:
    """moby's includes/excludes: excludes any match drops the rule, includes need all."""
    excludes = rule.get("excludes") or {}
    if arch in (excludes.get("arches") or []):
        return False
    if any(c in caps for c in excludes.get("caps") or []):
        return False
    if excludes.get("minKernel") and _kernel_at_least(excludes["minKernel"], kernel):
        return False
    includes = rule.get("includes") or {}
    if includes.get("arches") and arch not in includes["arches"]:
        return False
    if any(c not in caps for c in includes.get("caps") or []):
        return False
    return not (includes.get("minKernel") and not _kernel_at_least(includes["minKernel"], kernel))


def _kernel_at_least(minimum: str, kernel: tuple[int, int] | None) -> bool:
    return (kernel or kernel_version()) >= _parse_kernel(str(minimum))


def _oci_rule(rule: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"names": names, "action": rule.get("action", "")}
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    args = []
    for arg in rule.get("args") or []:
        oci_arg = {"index": arg.get("index", 0), "value": arg.get("value", 0), "op": arg["op"]}
        if arg.get("valueTwo"):
            oci_arg["valueTwo"] = arg["valueTwo"]
        args.append(oci_arg)
    if args:
        out["args"] = args
    return out
