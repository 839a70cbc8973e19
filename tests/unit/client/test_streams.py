"""Multiplexed frames and streamed JSON, whatever the chunking."""

from __future__ import annotations

import io

import pytest

from dockyard.client.streams import StreamError, demux, frame, json_values


def test_demux_reads_frames_from_short_reads() -> None:
    data = frame(1, b"out") + frame(2, b"") + frame(2, b"err" * 1000) + frame(0, b"in")
    src = io.BytesIO(data)

    def dribble(n: int) -> bytes:  # a socket that hands out 5 bytes at most
        return src.read(min(n, 5))

    assert list(demux(dribble)) == [(1, b"out"), (2, b""), (2, b"err" * 1000), (0, b"in")]


def test_demux_rejects_a_tty_stream() -> None:
    with pytest.raises(StreamError, match="Unrecognized input header: 104"):
        list(demux(io.BytesIO(b"hello world, not multiplexed").read))


def test_demux_truncated_payload_yields_what_arrived() -> None:
    data = frame(1, b"abcdef")[:-2]
    assert list(demux(io.BytesIO(data).read)) == [(1, b"abcd")]


def test_demux_truncated_header_is_an_error() -> None:
    with pytest.raises(StreamError):
        list(demux(io.BytesIO(b"\x01\x00\x00").read))


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_json_values_newline_or_concatenated_any_split(size: int) -> None:
    text = '{"status":"Pulling","id":"é✓"}\n{"a":[1,2,{"b":null}]}{"c":"}{"}\r\n\n  {"d":1.5}\n'
    data = text.encode()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert list(json_values(chunks)) == [
        {"status": "Pulling", "id": "é✓"},
        {"a": [1, 2, {"b": None}]},
        {"c": "}{"},
        {"d": 1.5},
    ]


def test_json_values_yields_each_value_before_the_stream_ends() -> None:
    def stream():  # type: ignore[no-untyped-def]
        yield b'{"n":1}\n{"n":'
        raise AssertionError("read past what was needed")

    assert next(json_values(stream())) == {"n": 1}


def test_json_values_bad_json_is_an_error() -> None:
    with pytest.raises(StreamError, match="bad JSON"):
        list(json_values([b'{"a":1}\n{"b":', b"nope}\n"]))
