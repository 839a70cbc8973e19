"""Docker's default seccomp profile and its conversion to OCI linux.seccomp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers import seccomp_default, security

REFERENCE = Path("/work/shared/spec/moby-seccomp-default.json")
DEFAULT_CAPS = list(security.DEFAULT_CAPS)


@pytest.mark.skipif(not REFERENCE.exists(), reason="moby reference profile not available")
def test_default_profile_equals_mobys_default_json() -> None:
    assert seccomp_default.default_profile() == json.loads(REFERENCE.read_text())


def _names(oci: dict[str, object]) -> set[str]:
    return {n for rule in oci["syscalls"] for n in rule["names"]}  # type: ignore[attr-defined]


def test_amd64_keeps_its_arch_map_and_arch_rules() -> None:
    oci = seccomp_default.to_oci(
        seccomp_default.default_profile(), bounding_caps=DEFAULT_CAPS, arch="amd64", kernel=(6, 1)
    )
    assert oci is not None
    assert oci["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert oci["defaultAction"] == "SCMP_ACT_ERRNO" and oci["defaultErrnoRet"] == 1
    names = _names(oci)
    assert "arch_prctl" in names  # includes arches amd64
    assert "s390_pci_mmio_read" not in names
    assert not any("includes" in r or "excludes" in r for r in oci["syscalls"])


def test_cap_filtered_rules_follow_the_bounding_set() -> None:
    profile = seccomp_default.default_profile()
    plain = seccomp_default.to_oci(profile, bounding_caps=DEFAULT_CAPS, arch="amd64", kernel=(6, 1))
    admin = seccomp_default.to_oci(
        profile, bounding_caps=[*DEFAULT_CAPS, "CAP_SYS_ADMIN"], arch="amd64", kernel=(6, 1)
    )
    assert plain is not None and admin is not None
    assert "mount" not in _names(plain) and "mount" in _names(admin)
    # clone3 answers ENOSYS without CAP_SYS_ADMIN (the rule is excluded with it)
    clone3 = [r for r in plain["syscalls"] if r["names"] == ["clone3"]]
    assert clone3 == [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
    assert not [r for r in admin["syscalls"] if r["names"] == ["clone3"]]


def test_min_kernel_rules_drop_on_old_kernels() -> None:
    profile = seccomp_default.default_profile()
    old = seccomp_default.to_oci(profile, bounding_caps=DEFAULT_CAPS, arch="amd64", kernel=(4, 4))
    new = seccomp_default.to_oci(profile, bounding_caps=DEFAULT_CAPS, arch="amd64", kernel=(4, 8))
    assert old is not None and new is not None
    assert len(new["syscalls"]) == len(old["syscalls"]) + 1


def test_load_profile_errors_are_dockers() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="Decoding seccomp profile failed"):
        seccomp_default.load_profile("{not json", bounding_caps=[])
    both = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"]}]}
    with pytest.raises(errdefs.InvalidArgument, match="both 'name' and 'names'"):
        seccomp_default.load_profile(json.dumps(both), bounding_caps=[])
    arches = {"defaultAction": "X", "architectures": ["A"], "archMap": [{"architecture": "A"}]}
    with pytest.raises(errdefs.InvalidArgument, match="both 'architectures' and 'archMap'"):
        seccomp_default.load_profile(json.dumps(arches), bounding_caps=[])


def test_empty_profile_means_no_filter_and_name_becomes_names() -> None:
    assert seccomp_default.load_profile("{}", bounding_caps=[]) is None
    text = json.dumps(
        {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                {
                    "name": "chmod",
                    "action": "SCMP_ACT_ERRNO",
                    "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}],
                }
            ],
        }
    )
    oci = seccomp_default.load_profile(text, bounding_caps=[], arch="amd64")
    assert oci == {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {
                "names": ["chmod"],
                "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}],
            }
        ],
    }
