"""client/timetypes.py: `--since` / `--until` values as the docker CLI's Go client sends them."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.client import timetypes

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10m", str(int(NOW - 600))),
        ("1h30m", str(int(NOW - 5400))),
        ("1.5s", str(int(NOW - 1.5))),
        ("0", "0"),
        ("1700000000", "1700000000"),
        ("1700000000.5", "1700000000.5"),
        ("2023-11-14T22:13:20Z", "1700000000.000000000"),
        ("2023-11-14T22:13:20.25Z", "1700000000.250000000"),
        ("2023-11-14T23:13:20+01:00", "1700000000.000000000"),
        ("2023-11-14", "1699920000.000000000"),
    ],
)
def test_get_timestamp_matches_docker(
    value: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    assert timetypes.get_timestamp(value, NOW) == expected


def test_get_timestamp_refuses_garbage() -> None:
    with pytest.raises(
        errdefs.InvalidArgument, match='failed to parse value as time or duration: "xyz"'
    ):
        timetypes.get_timestamp("xyz", NOW)
