"""Capabilities, security options, masked paths and device rules as Docker computes them."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.containers import security


def test_defaults_are_dockers_fourteen() -> None:
    caps = security.capabilities(cap_add=[], cap_drop=[], privileged=False)
    assert len(caps) == 14 and caps[0] == "CAP_CHOWN" and "CAP_SYS_ADMIN" not in caps


def test_add_and_drop_accept_both_spellings() -> None:
    caps = security.capabilities(
        cap_add=["sys_admin"], cap_drop=["CAP_NET_RAW", "chown"], privileged=False
    )
    assert "CAP_SYS_ADMIN" in caps and "CAP_NET_RAW" not in caps and "CAP_CHOWN" not in caps


def test_drop_all_keeps_only_adds_and_add_all_minus_drops() -> None:
    assert security.capabilities(cap_add=["KILL"], cap_drop=["ALL"], privileged=False) == [
        "CAP_KILL"
    ]
    caps = security.capabilities(cap_add=["all"], cap_drop=["SYS_ADMIN"], privileged=False)
    assert caps == [c for c in security.all_caps() if c != "CAP_SYS_ADMIN"]


def test_privileged_has_every_capability() -> None:
    assert (
        security.capabilities(cap_add=[], cap_drop=["ALL"], privileged=True) == security.all_caps()
    )


def test_unknown_capability_is_refused_with_dockers_message() -> None:
    with pytest.raises(
        errdefs.InvalidArgument, match='invalid CapAdd: unknown capability: "CAP_FOO"'
    ):
        security.validate_caps(["foo"], [])


def test_process_capabilities_have_no_inheritable_set() -> None:
    doc = security.process_capabilities(["CAP_KILL"])
    assert doc == {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}


def test_security_opt_parsing() -> None:
    opts = security.parse_security_opt(["no-new-privileges", "seccomp=unconfined", "apparmor:x"])
    assert opts.no_new_privileges and opts.seccomp_profile == "unconfined"
    assert opts.apparmor_profile == "x"
    assert not security.parse_security_opt(["no-new-privileges=false"]).no_new_privileges
    with pytest.raises(errdefs.InvalidArgument, match='invalid --security-opt 1: "bogus"'):
        security.parse_security_opt(["bogus"])
    with pytest.raises(errdefs.InvalidArgument, match='invalid --security-opt 2: "foo=bar"'):
        security.parse_security_opt(["foo=bar"])
    with pytest.raises(errdefs.InvalidArgument, match="invalid --security-opt 2"):
        security.parse_security_opt(["no-new-privileges=maybe"])


def test_masked_and_readonly_paths() -> None:
    masked = security.masked_paths()
    assert masked[:12] == list(security.BASE_MASKED_PATHS)
    assert "/proc/kcore" in masked and "/proc/sys" in security.READONLY_PATHS


def test_device_rules_deny_all_first() -> None:
    rules = security.default_device_rules()
    assert rules[0] == {"allow": False, "access": "rwm"}
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"} in rules
    assert rules[-1]["allow"] is False and rules[-1]["minor"] == 229
