"""Log options are parsed and refused with Docker's words."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.shim import logs


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10m", 10_000_000),
        ("1k", 1_000),
        ("1kb", 1_000),
        ("1KiB", 1_000),  # go-units' FromHumanSize: the multiplier is decimal even with "i"
        ("20M", 20_000_000),
        ("1.5g", 1_500_000_000),
        ("10 MB", 10_000_000),
        ("123", 123),
        ("7b", 7),
    ],
)
def test_sizes_parse_like_go_units(text: str, size: int) -> None:
    assert logs.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "m", "10x", "-1", "1.2.3", "10mbb", "ten"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="invalid size"):
        logs.parse_size(text)


@pytest.mark.parametrize(
    ("driver", "opts", "message"),
    [
        ("json-file", {"max-buffer": "1"}, "unknown log opt 'max-buffer' for json-file log driver"),
        ("json-file", {"max-size": "0"}, "max-size must be a positive number"),
        ("json-file", {"max-file": "0"}, "max-file cannot be less than 1"),
        ("json-file", {"max-file": "x"}, 'strconv.Atoi: parsing "x": invalid syntax'),
        (
            "json-file",
            {"compress": "true", "max-file": "2"},
            "compress cannot be true when max-file is less than 2 or max-size is not set",
        ),
        ("local", {"foo": "1"}, "unknown log opt 'foo' for log driver local"),
        ("local", {"max-file": "1"}, "compression cannot be enabled when max file count is 1"),
        ("local", {"max-size": "big"}, "invalid value for max-size: big: invalid size: 'big'"),
        ("local", {"compress": "yes"}, "invalid boolean value for compress: strconv.ParseBool"),
    ],
)
def test_bad_options_are_refused_with_dockers_message(
    driver: str, opts: dict[str, str], message: str
) -> None:
    with pytest.raises(errdefs.InvalidArgument) as info:
        logs.validate_options(driver, opts)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("driver", "opts"),
    [
        ("json-file", {}),
        ("json-file", {"max-size": "10m", "max-file": "3", "compress": "false", "tag": "x"}),
        ("local", {}),
        ("local", {"max-file": "1", "compress": "false"}),
        ("none", {"anything": "goes"}),
    ],
)
def test_good_options_pass(driver: str, opts: dict[str, str]) -> None:
    logs.validate_options(driver, opts)


def test_unknown_driver_is_refused() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="no log driver named 'syslog9'"):
        logs.validate_options("syslog9", {})
