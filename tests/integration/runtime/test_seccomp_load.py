"""Integration tests: filters from dockyard.runtime.seccomp installed in a real process.

Each test forks a child that does what the container init does at the end (optionally drop
CAP_SYS_ADMIN, set no_new_privs, `prepare(...).load()`) and then execs Debian's static busybox,
whose output and wait status show what the kernel enforced.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dockyard.runtime.seccomp import prepare
from dockyard.runtime.syscalls import PR_SET_NO_NEW_PRIVS, capget, capset, prctl
from tests.unit.runtime.test_seccomp import (
    DOCKER_DEFAULT_CAPS,
    MOBY_TEMPLATE,
    NATIVE_ARCH,
    moby_template_to_oci,
)

pytestmark = [
    pytest.mark.root,
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/bin/busybox").exists(), reason="apt-get install busybox-static"),
]

BUSYBOX = "/bin/busybox"
CAP_SYS_ADMIN = 21
PER_LINUX = 0x0000
PER_LINUX32 = 0x0008
ALLOW = "SCMP_ACT_ALLOW"
ERRNO = "SCMP_ACT_ERRNO"


@dataclass(frozen=True)
class Result:
    """How a confined busybox ended: its wait status and what it wrote to stdout+stderr."""

    status: int
    output: str

    @property
    def exit_code(self) -> int | None:
        return os.waitstatus_to_exitcode(self.status) if os.WIFEXITED(self.status) else None

    @property
    def signal(self) -> int | None:
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None


def run_confined(
    seccomp: Mapping[str, Any],
    *argv: str,
    no_new_privs: bool = True,
    drop_cap_sys_admin: bool = False,
) -> Result:
    """Fork; in the child confine itself with `seccomp` and exec `busybox argv...`."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(read_end)
            os.dup2(write_end, 1)
            os.dup2(write_end, 2)
            # A child killed by SIGSYS would otherwise dump core, which is slow.
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if drop_cap_sys_admin:
                effective, permitted, inheritable = capget()
                capset(effective & ~(1 << CAP_SYS_ADMIN), permitted, inheritable)
            if no_new_privs:
                prctl(PR_SET_NO_NEW_PRIVS, 1)
            filt = prepare(seccomp)
            filt.load()
            os.execv(BUSYBOX, [BUSYBOX, *argv])
        except BaseException as err:
            os.write(2, f"child: {type(err).__name__}: {err}\n".encode())
        finally:
            os._exit(127)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as out:
        output = out.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    return Result(status=status, output=output)


def deny(*names: str, action: str = ERRNO, **fields: Any) -> dict[str, Any]:
    """A default-allow profile with one rule for `names`."""
    return {
        "defaultAction": ALLOW,
        "syscalls": [{"names": list(names), "action": action, **fields}],
    }


def status_field(text: str, field: str) -> str:
    return next(
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith(f"{field}:")
    )


def test_loaded_filter_shows_in_proc_status() -> None:
    before = int(status_field(Path("/proc/self/status").read_text(), "Seccomp_filters"))
    result = run_confined(deny("mkdir", "mkdirat"), "cat", "/proc/self/status")
    assert result.exit_code == 0, result.output
    assert "Seccomp:\t2\n" in result.output  # SECCOMP_MODE_FILTER
    assert int(status_field(result.output, "Seccomp_filters")) == before + 1


def test_filter_flags_are_accepted_by_the_kernel() -> None:
    flags = [
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    ]
    result = run_confined(deny("mkdir", "mkdirat") | {"flags": flags}, "true")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("errno_ret", "expected"), [(errno.EROFS, errno.EROFS), (None, errno.EPERM)]
)
def test_errno_rule_fails_the_syscall_with_errno_ret(
    tmp_path: Path, errno_ret: int | None, expected: int
) -> None:
    fields: dict[str, Any] = {} if errno_ret is None else {"errnoRet": errno_ret}
    result = run_confined(deny("mkdir", "mkdirat", **fields), "mkdir", str(tmp_path / "d"))
    assert result.exit_code == 1
    assert os.strerror(expected) in result.output
    assert not (tmp_path / "d").exists()


def test_args_condition_only_hits_matching_calls() -> None:
    eq_linux32 = {"index": 0, "value": PER_LINUX32, "op": "SCMP_CMP_EQ"}
    profile = deny("personality", errnoRet=errno.EACCES, args=[eq_linux32])
    hit = run_confined(profile, "linux32", "true")  # personality(PER_LINUX32)
    assert hit.exit_code != 0
    assert os.strerror(errno.EACCES) in hit.output
    missed = run_confined(profile, "linux64", "true")  # personality(PER_LINUX)
    assert missed.exit_code == 0, missed.output


def test_args_on_one_index_are_ored_like_runc() -> None:
    args = [
        {"index": 0, "value": PER_LINUX32, "op": "SCMP_CMP_EQ"},
        {"index": 0, "value": PER_LINUX, "op": "SCMP_CMP_EQ"},
    ]
    profile = deny("personality", errnoRet=errno.EACCES, args=args)
    for applet in ("linux32", "linux64"):
        result = run_confined(profile, applet, "true")
        assert os.strerror(errno.EACCES) in result.output, applet


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"])
def test_kill_and_trap_rules_end_the_process_with_sigsys(tmp_path: Path, action: str) -> None:
    result = run_confined(deny("mkdir", "mkdirat", action=action), "mkdir", str(tmp_path / "d"))
    assert result.signal == signal.SIGSYS, result
    assert not (tmp_path / "d").exists()


def test_load_needs_no_new_privs_without_cap_sys_admin() -> None:
    refused = run_confined(deny("mkdir"), "true", no_new_privs=False, drop_cap_sys_admin=True)
    assert refused.exit_code == 127
    assert "FailedPrecondition" in refused.output
    assert "no_new_privs is not set" in refused.output
    allowed = run_confined(deny("mkdir"), "true", no_new_privs=True, drop_cap_sys_admin=True)
    assert allowed.exit_code == 0, allowed.output


def test_cap_sys_admin_alone_allows_load() -> None:
    result = run_confined(deny("mkdir"), "true", no_new_privs=False)
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not MOBY_TEMPLATE.exists(), reason="needs ../shared/spec")
@pytest.mark.skipif(not NATIVE_ARCH, reason="archMap entry of this machine unknown")
def test_docker_default_profile_runs_busybox_and_denies_unshare() -> None:
    template = json.loads(MOBY_TEMPLATE.read_text())
    profile = moby_template_to_oci(template, native_arch=NATIVE_ARCH, caps=DOCKER_DEFAULT_CAPS)
    result = run_confined(profile, "sh", "-c", "echo alive; unshare -U true")
    assert result.output.startswith("alive\n"), result.output
    assert os.strerror(errno.EPERM) in result.output  # unshare(2) needs CAP_SYS_ADMIN's rule
    assert result.exit_code != 0
