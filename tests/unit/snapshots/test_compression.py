"""Layer blobs are sniffed, not trusted: gzip, zstd and plain tar read the same."""

from __future__ import annotations

import bz2
import gzip
import io
import os

import pytest
import zstandard

from dockyard import errdefs
from dockyard.snapshots.compression import counting, open_layer
from dockyard.snapshots.unpack import apply_layer

PAYLOAD = os.urandom(300_000) + b"\0" * 3_000_000


class _Pipe:
    """A non-seekable stream handing out small reads, like a socket."""

    def __init__(self, data: bytes, step: int = 7777) -> None:
        self._data = data
        self._pos = 0
        self._step = step

    def read(self, n: int = -1, /) -> bytes:
        n = self._step if n < 0 else min(n, self._step)
        chunk = self._data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk


def _read_all(stream: object) -> bytes:
    out = bytearray()
    while True:
        chunk = stream.read(65536)  # type: ignore[attr-defined]
        if not chunk:
            return bytes(out)
        out += chunk


@pytest.mark.parametrize(
    "blob",
    [
        PAYLOAD,
        gzip.compress(PAYLOAD),
        zstandard.ZstdCompressor().compress(PAYLOAD),
    ],
    ids=["plain", "gzip", "zstd"],
)
@pytest.mark.parametrize("seekable", [True, False])
def test_every_compression_reads_back_the_payload(blob: bytes, seekable: bool) -> None:
    stream = io.BytesIO(blob) if seekable else _Pipe(blob)
    assert _read_all(open_layer(stream)) == PAYLOAD  # type: ignore[arg-type]


def test_multi_member_gzip_is_one_stream() -> None:
    blob = gzip.compress(PAYLOAD[:1000]) + gzip.compress(PAYLOAD[1000:])
    assert _read_all(open_layer(_Pipe(blob, step=100))) == PAYLOAD


def test_multi_frame_zstd_is_one_stream() -> None:
    z = zstandard.ZstdCompressor()
    blob = z.compress(PAYLOAD[:1000]) + z.compress(PAYLOAD[1000:])
    assert _read_all(open_layer(io.BytesIO(blob))) == PAYLOAD


def test_truncated_gzip_is_invalid() -> None:
    blob = gzip.compress(PAYLOAD)
    with pytest.raises(errdefs.InvalidArgument, match="truncated"):
        _read_all(open_layer(io.BytesIO(blob[: len(blob) // 2])))


def test_corrupt_gzip_is_invalid_when_applied(tmp_path: object) -> None:
    blob = bytearray(gzip.compress(PAYLOAD))
    blob[100:110] = b"\xff" * 10
    with pytest.raises(errdefs.InvalidArgument):
        apply_layer(str(tmp_path), io.BytesIO(bytes(blob)))


def test_bzip2_is_refused_by_name() -> None:
    with pytest.raises(errdefs.Unimplemented, match="bzip2"):
        open_layer(io.BytesIO(bz2.compress(b"x")))


def test_counting_reports_blob_bytes_read() -> None:
    seen: list[int] = []
    blob = gzip.compress(PAYLOAD)
    assert _read_all(open_layer(counting(io.BytesIO(blob), seen.append))) == PAYLOAD
    assert seen and seen[-1] == len(blob)
    assert seen == sorted(seen)


def test_truncated_zstd_is_invalid() -> None:
    blob = zstandard.ZstdCompressor().compress(PAYLOAD)
    with pytest.raises(errdefs.InvalidArgument, match="truncated"):
        _read_all(open_layer(io.BytesIO(blob[: len(blob) // 2])))


def test_zstd_skippable_frames_yield_nothing() -> None:
    # zstd:chunked appends its table of contents as a skippable frame
    skippable = (0x184D2A50).to_bytes(4, "little") + (5).to_bytes(4, "little") + b"index"
    z = zstandard.ZstdCompressor()
    blob = z.compress(PAYLOAD[:5000]) + skippable + z.compress(PAYLOAD[5000:]) + skippable
    assert _read_all(open_layer(_Pipe(blob))) == PAYLOAD
