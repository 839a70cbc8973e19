"""docker's jsonmessage rendering, byte for byte, on a terminal and off one."""

from __future__ import annotations

import io
from typing import Any

import pytest

from dockyard.cli import progress

PULL: list[dict[str, Any]] = [
    {"status": "Pulling from library/busybox", "id": "latest"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "aaa"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "bbb"},
    {"status": "Downloading", "progressDetail": {"current": 500000, "total": 1000000}, "id": "aaa"},
    {"status": "Pull complete", "progressDetail": {}, "id": "aaa"},
    {"status": "Pull complete", "progressDetail": {}, "id": "bbb"},
    {"status": "Digest: sha256:1234"},
    {"status": "Status: Downloaded newer image for busybox:latest"},
]

BAR = "[" + "=" * 25 + ">" + " " * 25 + "] " + "   500kB/1MB"


def render(messages: list[dict[str, Any]], *, terminal: bool, width: int = 200) -> str:
    out = io.StringIO()
    progress.display(messages, out, terminal=terminal, width=width, now_ns=lambda: 0)
    return out.getvalue()


def test_pull_off_a_terminal_prints_each_status_once_without_bars() -> None:
    assert render(PULL, terminal=False) == (
        "latest: Pulling from library/busybox\n"
        "aaa: Pulling fs layer\n"
        "bbb: Pulling fs layer\n"
        "aaa: Pull complete\n"
        "bbb: Pull complete\n"
        "Digest: sha256:1234\n"
        "Status: Downloaded newer image for busybox:latest\n"
    )


def test_pull_on_a_terminal_redraws_each_layer_line_in_place() -> None:
    clear = "\x1b[2K\r"
    assert render(PULL, terminal=True) == (
        "latest: Pulling from library/busybox\n"
        # aaa: a new line at the bottom, then up 1 to it and back down
        f"\n\x1b[1A{clear}aaa: Pulling fs layer \r\x1b[1B"
        # bbb: a second line; aaa is now 2 lines up
        f"\n\x1b[1A{clear}bbb: Pulling fs layer \r\x1b[1B"
        f"\x1b[2A{clear}aaa: Downloading {BAR}\r\x1b[2B"
        f"\x1b[2A{clear}aaa: Pull complete \r\x1b[2B"
        f"\x1b[1A{clear}bbb: Pull complete \r\x1b[1B"
        "Digest: sha256:1234\n"
        "Status: Downloaded newer image for busybox:latest\n"
    )


def test_narrow_terminal_drops_the_bar_but_keeps_the_counts() -> None:
    message = {"status": "Downloading", "progressDetail": {"current": 1, "total": 4}, "id": "a"}
    text = render([message], terminal=True, width=80)
    assert text.endswith("a: Downloading       1B/4B\r\x1b[1B")


@pytest.mark.parametrize(
    ("detail", "width", "expected"),
    [
        ({}, 200, ""),
        ({"current": 2048}, 200, " 2.048kB"),
        ({"current": 3, "units": "items"}, 200, "3 items"),
        ({"current": 5, "total": 3}, 40, "      5B"),
        ({"current": 1, "total": 2, "units": "layers"}, 40, "1/2 layers"),
        ({"current": 1, "total": 2, "hidecounts": True}, 40, ""),
        ({"current": 12_300_000, "total": 45_600_000}, 60, "  12.3MB/45.6MB"),
        ({"current": 2, "total": 2}, 111, "[" + "=" * 50 + ">] " + "      2B/2B"),
    ],
)
def test_progress_bar_text_matches_jsonprogress_string(
    detail: dict[str, Any], width: int, expected: str
) -> None:
    assert progress.render_progress(detail, width=width, now_ns=lambda: 0) == expected


def test_time_left_is_estimated_from_the_start_time() -> None:
    # 10 s for the first quarter: 30 s to go.
    detail = {"current": 250, "total": 1000, "start": 100}
    text = progress.render_progress(detail, width=60, now_ns=lambda: 110 * 1_000_000_000)
    assert text == "    250B/1kB 30s"


def test_an_error_in_the_stream_stops_and_raises_its_message() -> None:
    out = io.StringIO()
    messages = [
        {"status": "Pulling fs layer", "progressDetail": {}, "id": "a"},
        {"errorDetail": {"message": "manifest unknown", "code": 3}, "error": "manifest unknown"},
        {"status": "never shown"},
    ]
    with pytest.raises(progress.StreamError) as caught:
        progress.display(messages, out, terminal=False)
    assert (caught.value.message, caught.value.code) == ("manifest unknown", 3)
    assert out.getvalue() == "a: Pulling fs layer\n"


def test_aux_messages_go_to_the_callback_and_print_nothing() -> None:
    seen: list[Any] = []
    out = io.StringIO()
    messages = [
        {"status": "latest: digest: sha256:ab size: 527"},
        {"progressDetail": {}, "aux": {"Tag": "latest", "Digest": "sha256:ab", "Size": 527}},
    ]
    progress.display(messages, out, terminal=False, aux=lambda m: seen.append(m["aux"]))
    assert out.getvalue() == "latest: digest: sha256:ab size: 527\n"
    assert seen == [{"Tag": "latest", "Digest": "sha256:ab", "Size": 527}]


def test_build_stream_text_is_printed_as_is() -> None:
    messages = [{"stream": "Step 1/2 : FROM busybox\n"}, {"stream": " ---> 1a2b3c\n"}]
    assert render(messages, terminal=True) == "Step 1/2 : FROM busybox\n ---> 1a2b3c\n"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0B"), (999, "999B"), (1000, "1kB"), (1_980_000, "1.98MB"), (6656, "6.656kB")],
)
def test_human_size_is_go_units_human_size(size: int, text: str) -> None:
    assert progress.human_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (45, "45s"), (120, "2m0s"), (3605, "1h0m5s"), (-5, "-5s")]
)
def test_go_duration_of_whole_seconds(seconds: int, text: str) -> None:
    assert progress.go_duration_seconds(seconds) == text
