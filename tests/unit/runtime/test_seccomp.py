"""Unit tests for dockyard.runtime.seccomp: validation, filter shape, features().

Building a libseccomp context needs no root; the filter's shape is read back from libseccomp's
Pseudo Filter Code (`SeccompFilter.export_pfc()`). Nothing here installs a filter.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.runtime.seccomp import features, prepare

SPEC = Path(__file__).resolve().parents[3].parent / "shared" / "spec"
MOBY_TEMPLATE = SPEC / "moby-seccomp-default.json"
NATIVE_ARCH = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}.get(
    platform.machine(), ""
)
ALLOW = "SCMP_ACT_ALLOW"
ERRNO = "SCMP_ACT_ERRNO"
UNKNOWN = "no_such_syscall"


GOARCH = {"SCMP_ARCH_X86_64": "amd64", "SCMP_ARCH_AARCH64": "arm64"}
# Docker's default capability set (moby oci/caps/defaults.go), for resolving `caps` conditions.
DOCKER_DEFAULT_CAPS = frozenset(
    {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    }
)


def moby_template_to_oci(
    template: Mapping[str, Any], *, native_arch: str, caps: frozenset[str] | None = None
) -> dict[str, Any]:
    """Resolve moby's seccomp template into plain OCI `linux.seccomp`, as dockerd does.

    The native arch's archMap entry gives `architectures`. With `caps=None` every rule with an
    includes/excludes condition is dropped; with a capability set, conditions are resolved as
    dockerd does for a container holding those capabilities on this machine and kernel.
    """
    architectures: list[str] = []
    for entry in template.get("archMap") or []:
        if entry["architecture"] == native_arch:
            architectures = [native_arch, *(entry.get("subArchitectures") or [])]
    syscalls = [
        {key: rule[key] for key in ("names", "action", "errnoRet", "args") if key in rule}
        for rule in template["syscalls"]
        if _applies(rule, native_arch=native_arch, caps=caps)
    ]
    oci: dict[str, Any] = {"defaultAction": template["defaultAction"]}
    if "defaultErrnoRet" in template:
        oci["defaultErrnoRet"] = template["defaultErrnoRet"]
    return oci | {"architectures": architectures, "syscalls": syscalls}


def _applies(rule: Mapping[str, Any], *, native_arch: str, caps: frozenset[str] | None) -> bool:
    includes, excludes = rule.get("includes") or {}, rule.get("excludes") or {}
    if caps is None:
        return not includes and not excludes
    kernel = tuple(int(n) for n in platform.release().split("-")[0].split(".")[:2])
    min_kernel = tuple(int(n) for n in includes.get("minKernel", "0.0").split("."))
    arch = GOARCH.get(native_arch, "")
    return (
        kernel >= min_kernel
        and arch in includes.get("arches", [arch])
        and set(includes.get("caps", [])) <= caps
        and arch not in excludes.get("arches", [])
        and not set(excludes.get("caps", [])) & caps
    )


def profile(*syscalls: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"defaultAction": ALLOW, "syscalls": list(syscalls), **fields}


def pfc(config: Mapping[str, Any]) -> str:
    filt = prepare(config)
    try:
        return filt.export_pfc()
    finally:
        filt.release()


def native_section(text: str) -> str:
    """The PFC block of the first (native) architecture."""
    return text.split("# filter for arch ")[1]


def syscall_block(text: str, name: str) -> str:
    """The PFC lines of one syscall in the native section."""
    block = native_section(text).split(f'# filter for syscall "{name}"')[1]
    return block.split("# filter for syscall")[0].split("# default action")[0]


def test_importing_does_not_load_libseccomp() -> None:
    code = (
        "import dockyard.runtime.seccomp, sys; "
        "sys.exit(any('libseccomp' in line for line in open('/proc/self/maps')))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_prepare_installs_nothing() -> None:
    def status() -> str:
        return Path("/proc/self/status").read_text()

    before = status()
    pfc(profile({"names": ["mkdir"], "action": ERRNO}))
    assert status().count("Seccomp") == before.count("Seccomp")
    assert [ln for ln in status().splitlines() if ln.startswith("Seccomp")] == [
        ln for ln in before.splitlines() if ln.startswith("Seccomp")
    ]


@pytest.mark.parametrize(
    "config",
    [
        {"defaultAction": "SCMP_ACT_FOO"},
        profile({"names": ["mkdir"], "action": "SCMP_ACT_FOO"}),
    ],
    ids=["default", "rule"],
)
def test_prepare_rejects_unknown_action(config: dict[str, Any]) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=r'^seccomp: unknown action "SCMP_ACT_FOO"'):
        prepare(config)


def test_prepare_rejects_unknown_operator() -> None:
    arg = {"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}
    with pytest.raises(errdefs.InvalidArgument, match='unknown operator "SCMP_CMP_FOO"'):
        prepare(profile({"names": ["personality"], "action": ERRNO, "args": [arg]}))


def test_prepare_rejects_unknown_architecture() -> None:
    with pytest.raises(errdefs.InvalidArgument, match='unknown architecture "SCMP_ARCH_FOO"'):
        prepare(profile(architectures=["SCMP_ARCH_FOO"]))


def test_prepare_refuses_spec_architecture_the_library_lacks() -> None:
    schema = json.loads((SPEC / "oci-runtime-spec-schema" / "defs-linux.json").read_text())
    lacking = set(schema["definitions"]["SeccompArch"]["enum"]) - set(features()["archs"])
    if not lacking:
        pytest.skip("this libseccomp knows every architecture of the runtime-spec")
    arch = sorted(lacking)[0]
    with pytest.raises(errdefs.FailedPrecondition, match=f'architecture "{arch}" is not supp'):
        prepare(profile(architectures=[arch]))


def test_prepare_rejects_unknown_flag() -> None:
    with pytest.raises(errdefs.InvalidArgument, match=r'^seccomp: unknown flag "FLAG_FOO"$'):
        prepare(profile(flags=["FLAG_FOO"]))


def test_prepare_refuses_wait_killable_recv_flag() -> None:
    with pytest.raises(errdefs.FailedPrecondition, match=r"WAIT_KILLABLE_RECV.*not supported"):
        prepare(profile(flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))


def test_prepare_accepts_every_supported_flag() -> None:
    flags = features()["supportedFlags"]
    assert set(flags) == {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    }
    pfc(profile({"names": ["mkdir"], "action": ERRNO}, flags=flags))


@pytest.mark.parametrize(
    "config",
    [
        {"defaultAction": "SCMP_ACT_NOTIFY"},
        profile({"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}),
        profile(listenerPath="/run/agent.sock"),
    ],
    ids=["default", "rule", "listenerPath"],
)
def test_prepare_refuses_seccomp_notify(config: dict[str, Any]) -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="not supported"):
        prepare(config)


@pytest.mark.parametrize(
    "action",
    [ERRNO, "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"],
)
def test_unknown_syscall_in_deny_rule_is_rejected(action: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=f'^seccomp: unknown syscall "{UNKNOWN}"$'):
        prepare(profile({"names": ["mkdir", UNKNOWN], "action": action}))


@pytest.mark.parametrize("action", [ALLOW, "SCMP_ACT_LOG"])
def test_unknown_syscall_in_allow_rule_is_skipped(action: str) -> None:
    text = pfc(
        {"defaultAction": ERRNO, "syscalls": [{"names": [UNKNOWN, "mkdir"], "action": action}]}
    )
    assert '"mkdir"' in text
    assert UNKNOWN not in text


@pytest.mark.parametrize(("action", "shown"), [(ERRNO, "ERRNO(1)"), ("SCMP_ACT_TRACE", "TRACE(1)")])
def test_errno_ret_defaults_to_eperm(action: str, shown: str) -> None:
    assert f"action {shown};" in syscall_block(
        pfc(profile({"names": ["mkdir"], "action": action})), "mkdir"
    )


def test_errno_ret_is_returned() -> None:
    text = pfc(profile({"names": ["mkdir"], "action": ERRNO, "errnoRet": 30}))
    assert "action ERRNO(30);" in syscall_block(text, "mkdir")


def test_default_errno_ret_is_returned() -> None:
    text = pfc({"defaultAction": ERRNO, "defaultErrnoRet": 38})
    assert "action ERRNO(38);" in native_section(text)


@pytest.mark.parametrize(
    "config",
    [
        profile({"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1}),
        {"defaultAction": ALLOW, "defaultErrnoRet": 1},
    ],
    ids=["rule", "default"],
)
def test_errno_ret_needs_an_errno_action(config: dict[str, Any]) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="needs SCMP_ACT_ERRNO or SCMP_ACT_TRACE"):
        prepare(config)


@pytest.mark.parametrize("errno_ret", [65536, -1, True, "1"])
def test_errno_ret_must_fit_sixteen_bits(errno_ret: object) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="errnoRet must be an integer"):
        prepare(profile({"names": ["mkdir"], "action": ERRNO, "errnoRet": errno_ret}))


def test_rule_with_the_default_action_is_skipped() -> None:
    text = pfc(
        {
            "defaultAction": ERRNO,
            "syscalls": [
                {"names": ["mkdir"], "action": ERRNO},  # ERRNO(EPERM), as the default
                {"names": ["rmdir"], "action": ERRNO, "errnoRet": 38},
            ],
        }
    )
    assert '"mkdir"' not in text
    assert "action ERRNO(38);" in syscall_block(text, "rmdir")


def test_kill_is_kill_thread_so_a_kill_thread_rule_under_kill_is_skipped() -> None:
    text = pfc(
        {
            "defaultAction": "SCMP_ACT_KILL",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL_THREAD"}],
        }
    )
    assert '"mkdir"' not in text


def arg(index: int, value: int, op: str = "SCMP_CMP_EQ", **extra: int) -> dict[str, Any]:
    return {"index": index, "value": value, "op": op, **extra}


def test_args_on_distinct_indexes_are_anded_in_one_rule() -> None:
    rule = {"names": ["personality"], "action": ERRNO, "args": [arg(0, 8), arg(1, 1)]}
    block = syscall_block(pfc(profile(rule)), "personality")
    assert block.count("action ERRNO(1);") == 1
    assert "$a0" in block and "$a1" in block


def test_args_sharing_an_index_become_one_rule_each_like_runc() -> None:
    # runc: once an index repeats, every comparison is a rule of its own, the one on a1 too.
    rule = {"names": ["personality"], "action": ERRNO, "args": [arg(0, 8), arg(0, 9), arg(1, 1)]}
    block = syscall_block(pfc(profile(rule)), "personality")
    assert block.count("action ERRNO(1);") == 3


def test_masked_eq_takes_mask_then_value() -> None:
    rule = {
        "names": ["personality"],
        "action": ERRNO,
        "args": [arg(0, 0xFF, "SCMP_CMP_MASKED_EQ", valueTwo=8)],
    }
    assert "$a0.lo32 & 0x000000ff == 8" in syscall_block(pfc(profile(rule)), "personality")


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (arg(6, 1), "index"),
        (arg(0, 2**64), "value"),
        (arg(0, 1, valueTwo=-1), "valueTwo"),
        ({"index": 0, "op": "SCMP_CMP_EQ"}, "value"),
        ({"index": 0, "value": 1}, "operator"),
    ],
)
def test_args_are_validated(bad: dict[str, Any], field: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=field):
        prepare(profile({"names": ["personality"], "action": ERRNO, "args": [bad]}))


@pytest.mark.parametrize(
    "config",
    [
        {},
        profile({"action": ERRNO}),
        profile({"names": [], "action": ERRNO}),
        profile({"names": [""], "action": ERRNO}),
        profile({"names": ["mkdir"]}),
        {"defaultAction": ALLOW, "syscalls": {"names": ["mkdir"]}},
        profile(architectures="SCMP_ARCH_X86"),
    ],
)
def test_malformed_objects_are_rejected(config: dict[str, Any]) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=r"^seccomp: "):
        prepare(config)


@pytest.mark.skipif(NATIVE_ARCH != "SCMP_ARCH_X86_64", reason="x86 sub-architectures")
def test_architectures_are_added_beside_the_native_one() -> None:
    config = profile(
        {"names": ["mkdir"], "action": ERRNO},
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    )
    text = pfc(config)
    for arch in ("x86_64", "x86", "x32"):
        assert f"# filter for arch {arch} (" in text


def test_release_is_idempotent_and_load_after_release_fails() -> None:
    filt = prepare(profile())
    filt.release()
    filt.release()
    with pytest.raises(errdefs.FailedPrecondition, match="released"):
        filt.load()


def test_features_shape() -> None:
    schema = json.loads((SPEC / "oci-runtime-spec-schema" / "defs-linux.json").read_text())
    enums = {k: set(v.get("enum", ())) for k, v in schema["definitions"].items()}
    got = features()
    assert set(got) == {
        "enabled",
        "actions",
        "operators",
        "archs",
        "knownFlags",
        "supportedFlags",
    }
    assert got["enabled"] is True
    assert set(got["actions"]) <= enums["SeccompAction"]
    assert "SCMP_ACT_NOTIFY" not in got["actions"]
    assert {ERRNO, ALLOW, "SCMP_ACT_KILL"} <= set(got["actions"])
    assert set(got["operators"]) == enums["SeccompOperators"]
    assert set(got["archs"]) <= enums["SeccompArch"]
    assert NATIVE_ARCH in got["archs"] or not NATIVE_ARCH
    assert set(got["knownFlags"]) <= enums["SeccompFlag"]
    assert set(got["supportedFlags"]) <= set(got["knownFlags"])
    for key in ("actions", "operators", "archs", "knownFlags", "supportedFlags"):
        assert got[key] == sorted(got[key])


def test_prepare_accepts_everything_features_reports() -> None:
    got = features()
    for action in got["actions"]:
        pfc(profile({"names": ["mkdir"], "action": action}))
    pfc(profile(flags=got["supportedFlags"]))
    for arch in got["archs"]:
        try:
            pfc(profile(architectures=[arch]))
        except errdefs.FailedPrecondition as err:
            assert "byte order" in str(err)  # libseccomp cannot mix endianness in a filter


@pytest.mark.skipif(not MOBY_TEMPLATE.exists(), reason="needs ../shared/spec")
@pytest.mark.skipif(not NATIVE_ARCH, reason="archMap entry of this machine unknown")
def test_docker_default_profile_is_accepted() -> None:
    template = json.loads(MOBY_TEMPLATE.read_text())
    config = moby_template_to_oci(template, native_arch=NATIVE_ARCH)
    if NATIVE_ARCH == "SCMP_ARCH_X86_64":
        assert config["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    text = pfc(config)
    native = native_section(text)
    assert "action ERRNO(1);" in native.split("# default action")[1]
    assert "action ALLOW;" in syscall_block(text, "read")
    assert '"unshare"' not in native  # CAP_SYS_ADMIN only: a conditional rule, dropped


@pytest.mark.skipif(not MOBY_TEMPLATE.exists(), reason="needs ../shared/spec")
@pytest.mark.skipif(not NATIVE_ARCH, reason="archMap entry of this machine unknown")
def test_docker_default_profile_resolved_for_default_caps_is_accepted() -> None:
    template = json.loads(MOBY_TEMPLATE.read_text())
    text = pfc(moby_template_to_oci(template, native_arch=NATIVE_ARCH, caps=DOCKER_DEFAULT_CAPS))
    assert "action ERRNO(38);" in syscall_block(text, "clone3")  # ENOSYS without CAP_SYS_ADMIN
    assert '"unshare"' not in native_section(text)
