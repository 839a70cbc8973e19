"""Platform parsing, normalisation, matching and manifest-list selection (containerd's rules)."""

from __future__ import annotations

import os

import pytest

from dockyard import errdefs
from dockyard.distribution.platforms import (
    Platform,
    host_platform,
    matches,
    normalize,
    parse_platform,
    select_manifest,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/x86_64", Platform("linux", "amd64")),
        ("linux/arm64", Platform("linux", "arm64")),
        ("linux/aarch64", Platform("linux", "arm64")),
        ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/arm", Platform("linux", "arm")),
        ("linux/armhf", Platform("linux", "arm")),
        ("linux/armel", Platform("linux", "arm", "v6")),
        ("linux/i386", Platform("linux", "386")),
        ("Linux/AMD64", Platform("linux", "amd64")),
        ("arm64", Platform("linux", "arm64")),
        ("windows(10.0.17763)/amd64", Platform("windows", "amd64", "", "10.0.17763")),
    ],
)
def test_parse_platform_normalises_like_containerd(text: str, expected: Platform) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["", "linux/amd64/v1/x", "linux/am d64", "plan10", "*", "../x"])
def test_parse_platform_refuses_junk(text: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="invalid platform"):
        parse_platform(text)


def test_platform_formats_as_docker_prints_it() -> None:
    assert str(Platform("linux", "arm64", "v8")) == "linux/arm64/v8"
    assert str(Platform("linux", "amd64")) == "linux/amd64"


def test_host_platform_names_this_machine_as_go_does() -> None:
    expected = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine)
    host = host_platform()
    assert host.os == "linux"
    if expected:
        assert host.architecture == expected
    if host.architecture == "arm64":
        assert host.variant == "v8"


@pytest.mark.parametrize(
    ("want", "candidate", "ok"),
    [
        ("linux/arm64/v8", "linux/arm64", True),  # v8 is arm64's default variant
        ("linux/arm64", "linux/arm64/v8", True),
        ("linux/arm64", "linux/arm/v7", True),  # arm64 runs 32-bit arm
        ("linux/arm/v7", "linux/arm/v6", True),
        ("linux/arm/v6", "linux/arm/v7", False),
        ("linux/amd64", "linux/386", True),
        ("linux/amd64", "linux/arm64", False),
        ("linux/amd64", "windows/amd64", False),
        ("linux/arm", "linux/arm/v7", True),
    ],
)
def test_matches_accepts_what_the_platform_runs(want: str, candidate: str, ok: bool) -> None:
    assert matches(parse_platform(want), parse_platform(candidate)) is ok


def test_normalize_drops_default_variants() -> None:
    assert normalize(Platform("linux", "aarch64", "8")) == Platform("linux", "arm64")
    assert normalize(Platform("linux", "arm")) == Platform("linux", "arm", "v7")


def _entry(digest: str, os_name: str, arch: str, variant: str = "") -> dict[str, object]:
    platform = {"os": os_name, "architecture": arch}
    if variant:
        platform["variant"] = variant
    return {"digest": digest, "platform": platform}


def test_select_manifest_prefers_the_exact_platform_over_a_compatible_one() -> None:
    entries = [
        _entry("a", "linux", "386"),
        _entry("b", "linux", "amd64"),
        _entry("c", "linux", "arm", "v6"),
        _entry("d", "linux", "arm", "v7"),
        _entry("e", "linux", "arm64", "v8"),
        {"digest": "att", "platform": {"os": "unknown", "architecture": "unknown"}},
        {"digest": "no-platform"},
    ]
    assert select_manifest(entries, parse_platform("linux/amd64"))["digest"] == "b"
    assert select_manifest(entries, parse_platform("linux/arm/v7"))["digest"] == "d"
    assert select_manifest(entries, parse_platform("linux/arm64"))["digest"] == "e"
    assert select_manifest(entries[:4], parse_platform("linux/arm64"))["digest"] == "d"


def test_select_manifest_takes_the_first_of_equal_matches() -> None:
    entries = [_entry("first", "linux", "amd64"), _entry("second", "linux", "amd64")]
    assert select_manifest(entries, parse_platform("linux/amd64"))["digest"] == "first"


def test_select_manifest_says_what_it_looked_for() -> None:
    with pytest.raises(errdefs.NotFound) as err:
        select_manifest([_entry("a", "linux", "s390x")], parse_platform("linux/arm64/v8"))
    assert str(err.value) == "no matching manifest for linux/arm64/v8 in the manifest list entries"
