"""`dockyard version` shows the engine's build time as docker's reformatDate does (Go's
ANSIC layout), parsed by hand rather than with datetime."""

from __future__ import annotations

from datetime import datetime

import pytest

from dockyard.cli.commands.system.version import reformat_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-30T12:07:14.000000000+00:00", "Fri May 30 12:07:14 2025"),
        ("2025-06-02T11:54:28Z", "Mon Jun  2 11:54:28 2025"),
        ("2000-02-29T23:59:59-05:30", "Tue Feb 29 23:59:59 2000"),
    ],
)
def test_rfc3339_becomes_ansic_in_its_own_zone(value: str, expected: str) -> None:
    assert reformat_date(value) == expected


def test_agrees_with_datetime_across_a_century() -> None:
    for year in range(1990, 2100, 7):
        for month in range(1, 13):
            when = datetime(year, month, 28, 1, 2, 3)
            want = when.strftime("%a %b 28 01:02:03 %Y")
            assert reformat_date(f"{year}-{month:02d}-28T01:02:03Z") == want


@pytest.mark.parametrize(
    "value", ["", "2025-01-01", "2025-13-01T00:00:00Z", "2025-01-01T00:00:00", "not a date"]
)
def test_anything_else_is_left_as_it_is(value: str) -> None:
    assert reformat_date(value) == value
