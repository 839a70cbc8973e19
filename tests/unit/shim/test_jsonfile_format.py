"""json-file writes exactly what Docker writes (moby's jsonlog tests and real log lines)."""

from __future__ import annotations

import json

import pytest

from dockyard.shim.logs.jsonfile import JSONFileCodec, quote
from dockyard.shim.logs.timefmt import format_rfc3339nano, parse_rfc3339nano

T = 1_795_856_400_123_456_789  # 2026-11-28T09:00:00.123456789Z


def test_line_matches_dockers_byte_for_byte() -> None:
    line = JSONFileCodec().encode("stdout", b"hi\n", T)
    assert line == b'{"log":"hi\\n","stream":"stdout","time":"2026-11-28T09:00:00.123456789Z"}\n'


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'"A log line with \\"', r'"\"A log line with \\\""'),
        (b"A log line with \r", r'"A log line with \r"'),
        (b"A log line with & < >", r'"A log line with \u0026 \u003c \u003e"'),
        ("utf8 : 🚀 ψ ω β".encode(), '"utf8 : 🚀 ψ ω β"'),
        ("\u2028 \u2029".encode(), r'"\u2028 \u2029"'),
        (b"\xaf", r'"\ufffd"'),
        (b"\x7f", '"\x7f"'),
        (b"tab\there", r'"tab\u0009here"'),
        (b"\x00\x1b[1m", r'"\u0000\u001b[1m"'),
        # a truncated UTF-8 sequence: Go rejects it one byte at a time
        (b"\xe2\x82A", r'"\ufffd\ufffdA"'),
        # a real U+FFFD in the input stays raw
        ("\ufffd".encode(), '"\ufffd"'),
    ],
)
def test_escaping_follows_moby_jsonlog(data: bytes, expected: str) -> None:
    assert quote(data) == expected


def test_every_line_is_valid_json_that_decodes_back() -> None:
    codec = JSONFileCodec()
    data = bytes(range(256)) + "ψ🚀".encode() + b"\n"
    line = codec.encode("stderr", data, T)
    doc = json.loads(line)
    assert doc["stream"] == "stderr"
    [entry], used = codec.decode(line)
    assert used == len(line)
    assert entry.stream == "stderr" and entry.time_ns == T
    # invalid bytes come back as U+FFFD, as from Docker's own reader
    assert entry.data.endswith("ψ🚀\n".encode())
    assert entry.data.count("\ufffd".encode()) == 128


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (T, "2026-11-28T09:00:00.123456789Z"),
        (1_795_856_400_000_000_000, "2026-11-28T09:00:00Z"),
        (1_795_856_400_100_000_000, "2026-11-28T09:00:00.1Z"),
        (1_433_041_262_000_000_003, "2015-05-31T03:01:02.000000003Z"),
        (0, "1970-01-01T00:00:00Z"),
    ],
)
def test_time_is_rfc3339nano_with_trailing_zeros_dropped(ns: int, text: str) -> None:
    assert format_rfc3339nano(ns) == text
    assert parse_rfc3339nano(text) == ns


def test_time_parsing_accepts_offsets_and_short_fractions() -> None:
    assert parse_rfc3339nano("2015-05-29T11:01:02.000000003+02:00") == parse_rfc3339nano(
        "2015-05-29T09:01:02.000000003Z"
    )
    assert parse_rfc3339nano("2000-02-29T00:00:00.5Z") == 951_782_400_500_000_000


def test_decoder_skips_damaged_lines_and_keeps_an_unterminated_one_for_later() -> None:
    codec = JSONFileCodec()
    good = codec.encode("stdout", b"a\n", T)
    buf = good + b"{not json}\n" + good + b'{"log":"half'
    entries, used = codec.decode(buf)
    assert [e.data for e in entries] == [b"a\n", b"a\n"]
    assert used == len(buf) - len(b'{"log":"half')


def test_decoder_reads_lines_docker_wrote_with_attrs() -> None:
    line = b'{"log":"x\\n","stream":"stdout","attrs":{"tag":"t"},"time":"2026-11-28T09:00:00Z"}\n'
    [entry], _ = JSONFileCodec().decode(line)
    assert entry.data == b"x\n" and entry.time_ns == 1_795_856_400_000_000_000
