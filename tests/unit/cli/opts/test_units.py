"""go-units' size parsing and Go's time.ParseDuration as the flags read them.

Expected values are go-units' own tests (github.com/docker/go-units size_test.go) and Go's.
"""

from __future__ import annotations

import pytest

from dockyard.cli.opts import units


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("0 B", 0),
        ("32", 32),
        ("32b", 32),
        ("32k", 32 * 1000),
        ("32Kb", 32 * 1000),
        ("32.5 kB", 32500),
        ("32.5 B", 32),
        (".3kB", 300),
        ("32.", 32),
        ("-0", 0),
        ("0 ", 0),
    ],
)
def test_from_human_size(text: str, size: int) -> None:
    assert units.from_human_size(text) == size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("32", 32),
        ("32k", 32 * 1024),
        ("32Kib", 32 * 1024),
        ("32KIB", 32 * 1024),
        ("32Mb", 32 * 1024**2),
        ("32P", 32 * 1024**5),
        ("32.3", 32),
        ("1g", 1024**3),
    ],
)
def test_ram_in_bytes(text: str, size: int) -> None:
    assert units.ram_in_bytes(text) == size


@pytest.mark.parametrize("text", [" 0", "0b ", "", "32kbb", "32bb", "-1", "abc", "32 xb"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        units.ram_in_bytes(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m30s", 90.0),
        ("1.5h", 5400.0),
        ("-300ms", -0.3),
        ("0", 0.0),
        ("2h45m", 9900.0),
        ("10us", 1e-5),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert units.duration_ns(text) / 1e9 == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1", "1x", "m", "1..5s"])
def test_parse_duration_refuses_go_refusals(text: str) -> None:
    with pytest.raises(ValueError, match="time: "):
        units.duration_ns(text)


def test_a_too_long_suffix_is_named_as_given() -> None:
    # go-units checks the length before lower-casing: docker prints 'GIBX', not 'gibx'
    with pytest.raises(ValueError, match="invalid suffix: 'GIBX'"):
        units.ram_in_bytes("1GIBX")
    with pytest.raises(ValueError, match="invalid suffix: 'kbb'"):
        units.ram_in_bytes("1KBB")
