"""Sizes and durations as go-units prints and parses them.

Expected values are go-units' own tests (github.com/docker/go-units size_test.go and
duration_test.go) and what docker 28.2.2 printed in golden/docker_28.json.
"""

from __future__ import annotations

import pytest

from dockyard.cli.format import units

# go-units' test names for these spans
day = 24 * 3600
week = 7 * day
month = 30 * day
year = 365 * day


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (450 * 0.001, "Less than a second"),
        (1 * 1, "1 second"),
        (45 * 1, "45 seconds"),
        (46 * 1, "46 seconds"),
        (59 * 1, "59 seconds"),
        (60 * 1, "About a minute"),
        (1 * 60, "About a minute"),
        (3 * 60, "3 minutes"),
        (35 * 60, "35 minutes"),
        (35 * 60 + 40 * 1, "35 minutes"),
        (45 * 60, "45 minutes"),
        (45 * 60 + 40 * 1, "45 minutes"),
        (46 * 60, "46 minutes"),
        (59 * 60, "59 minutes"),
        (1 * 3600, "About an hour"),
        (1 * 3600 + 29 * 60, "About an hour"),
        (1 * 3600 + 31 * 60, "2 hours"),
        (1 * 3600 + 59 * 60, "2 hours"),
        (3 * 3600, "3 hours"),
        (3 * 3600 + 29 * 60, "3 hours"),
        (3 * 3600 + 31 * 60, "4 hours"),
        (3 * 3600 + 59 * 60, "4 hours"),
        (3 * 3600 + 60 * 60, "4 hours"),
        (24 * 3600, "24 hours"),
        (1 * day + 12 * 3600, "36 hours"),
        (2 * day, "2 days"),
        (7 * day, "7 days"),
        (13 * day + 5 * 3600, "13 days"),
        (2 * week, "2 weeks"),
        (2 * week + 4 * day, "2 weeks"),
        (3 * week, "3 weeks"),
        (4 * week, "4 weeks"),
        (4 * week + 3 * day, "4 weeks"),
        (1 * month, "4 weeks"),
        (1 * month + 2 * week, "6 weeks"),
        (2 * month, "2 months"),
        (2 * month + 2 * week, "2 months"),
        (3 * month, "3 months"),
        (3 * month + 1 * week, "3 months"),
        (5 * month + 2 * week, "5 months"),
        (13 * month, "13 months"),
        (23 * month, "23 months"),
        (24 * month, "24 months"),
        (24 * month + 2 * week, "2 years"),
        (3 * year + 2 * month, "3 years"),
    ],
)
def test_human_duration_matches_go_units(seconds: float, text: str) -> None:
    assert units.human_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1000, "1kB"),
        (1024, "1.024kB"),
        (1000000, "1MB"),
        (1048576, "1.049MB"),
        (3.42 * 1000**3, "3.42GB"),
        (5.372 * 1000**4, "5.372TB"),
        (10000000000000 * 1000**5, "1e+04YB"),
        (0, "0B"),
    ],
)
def test_human_size_matches_go_units(size: float, text: str) -> None:
    assert units.human_size(size) == text


def test_human_size_with_precision_3_as_docker_ps() -> None:
    # docker images / ps --size printed these for a 1984385-byte image
    assert units.human_size(1984385, 3) == "1.98MB"
    assert units.human_size(1984385) == "1.984MB"
    assert units.human_size(999500, 3) == "1e+03kB"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1024, "1KiB"),
        (1024 * 1024, "1MiB"),
        (3.42 * 1024**3, "3.42GiB"),
        (5.372 * 1024**4, "5.372TiB"),
        (2.22 * 1024**5, "2.22PiB"),
        (1024**5 * 1024**5, "1.049e+06YiB"),
        (487424, "476KiB"),
    ],
)
def test_bytes_size_matches_go_units(size: float, text: str) -> None:
    assert units.bytes_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (90.0, "1m30s"),
        (3600.0, "1h0m0s"),
        (1.5, "1.5s"),
        (0.3, "300ms"),
        (0.0, "0s"),
        (1e-6, "1µs"),
    ],
)
def test_format_duration_as_go(seconds: float, text: str) -> None:
    assert units.format_duration(seconds) == text


def test_parse_rfc3339_reads_daemon_timestamps() -> None:
    assert units.parse_rfc3339("1970-01-01T00:01:00Z") == 60
    assert units.parse_rfc3339("1970-01-01T01:00:00.5+01:00") == 0.5


def test_go_time_string_of_rfc3339() -> None:
    # docker network ls --format '{{.CreatedAt}}' printed this (golden/docker_28.json)
    text = "2026-11-28T11:17:41.721158443Z"
    assert units.go_time_string_rfc(text) == "2026-11-28 11:17:41.721158443 +0000 UTC"
    assert units.go_time_string_rfc("2026-11-28T11:17:41.5+02:00") == (
        "2026-11-28 11:17:41.5 +0200 +0200"
    )
