"""Docker's JSON progress messages: sizes, bars, rate limiting and rendering."""

from __future__ import annotations

import pytest

from dockyard.distribution.progress import (
    ProgressOutput,
    human_size,
    progress_bar,
    render,
    short_id,
)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (512, "512B"),
        (999, "999B"),
        (1000, "1kB"),
        (1222, "1.222kB"),
        (1234567, "1.235MB"),
        (32_768, "32.77kB"),
        (2_811_969, "2.812MB"),
        (999_999, "1000kB"),
        (3_000_000_000, "3GB"),
    ],
)
def test_human_size_matches_go_units(size: int, text: str) -> None:
    assert human_size(size) == text


def test_progress_bar_is_what_the_daemon_sends() -> None:
    assert progress_bar(0, 0) == ""
    # "[" + 50 columns + ">] " then the numbers, the current one padded to 8 (Go's %8v).
    half = "[" + "=" * 25 + ">" + " " * 25 + "] "
    assert progress_bar(1_000_000, 2_000_000) == half + "     1MB/2MB"
    assert progress_bar(2_000_000, 2_000_000) == "[" + "=" * 50 + ">] " + "     2MB/2MB"
    assert progress_bar(3000, 0) == "     3kB"


def test_short_id_is_twelve_hex_digits() -> None:
    assert short_id("sha256:" + "ab" * 32) == "abababababab"


def test_byte_updates_are_rate_limited_but_the_last_goes_out() -> None:
    now = [0.0]
    sent: list[dict[str, object]] = []
    out = ProgressOutput(sent.append, clock=lambda: now[0])
    for current in (1, 2, 3):
        out.progress("abc", "Downloading", current, 10)
    now[0] = 0.2
    out.progress("abc", "Downloading", 5, 10)
    out.progress("abc", "Downloading", 10, 10)
    out.progress("abc", "Extracting", 1, 10)  # another action has its own clock
    assert [(m["status"], m["progressDetail"]) for m in sent] == [
        ("Downloading", {"current": 1, "total": 10}),
        ("Downloading", {"current": 5, "total": 10}),
        ("Downloading", {"current": 10, "total": 10}),
        ("Extracting", {"current": 1, "total": 10}),
    ]


def test_message_shapes_follow_moby() -> None:
    sent: list[dict[str, object]] = []
    out = ProgressOutput(sent.append)
    out.message("Pulling from library/alpine", id="latest")
    out.update("abcdef012345", "Pull complete")
    out.message("Digest: sha256:00")
    out.aux({"Tag": "v1", "Digest": "sha256:00", "Size": 3})
    assert sent == [
        {"status": "Pulling from library/alpine", "id": "latest"},
        {"status": "Pull complete", "progressDetail": {}, "id": "abcdef012345"},
        {"status": "Digest: sha256:00"},
        {"progressDetail": {}, "aux": {"Tag": "v1", "Digest": "sha256:00", "Size": 3}},
    ]
    assert list(sent[1]) == ["status", "progressDetail", "id"]  # Docker's key order


def test_render_skips_byte_counts_off_a_terminal() -> None:
    downloading = {
        "status": "Downloading",
        "progressDetail": {"current": 5, "total": 10},
        "progress": "[====>  ] 5B/10B",
        "id": "abc",
    }
    assert render(downloading, terminal=False) is None
    assert render(downloading, terminal=True) == "abc: Downloading " + progress_bar(5, 10)
    assert render(
        {"status": "Pull complete", "progressDetail": {}, "id": "abc"}, terminal=False
    ) == ("abc: Pull complete")
    assert render({"status": "Digest: sha256:00"}, terminal=False) == "Digest: sha256:00"
