"""Reading layer blobs: gzip, zstd or plain tar, sniffed from the first bytes; read-ahead.

Docker and containerd sniff rather than trust the media type (a registry may serve a gzip blob
under a `.tar` media type); so do we. Readers are built for big sequential reads: zlib's
decompressobj directly (the `gzip` module adds a Python-level buffer and CRC pass on top of the
same C inflate), zstandard's decompressobj frame by frame (multi-frame blobs such as
zstd:chunked are one logical stream; skippable frames yield nothing).

Both detect a blob cut short (an incomplete last member or frame) and both bound the memory a
decompression bomb can take: zlib through max_length, zstd by feeding small input pieces
(zstandard's stream_reader would do that too, but returns a truncated stream as if complete).

`ReadAhead` decompresses and hashes (the diff_id) in a helper thread while its reader unpacks.
"""

from __future__ import annotations

import hashlib
import io
import queue
import threading
import typing
import zlib
from collections.abc import Callable
from typing import BinaryIO

import zstandard

from dockyard import errdefs
from dockyard.snapshots.tarstream import Readable

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_UNSUPPORTED = {b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}


def open_layer(stream: Readable) -> BinaryIO:
    """A reader of the uncompressed tar inside `stream` (gzip, zstd or already plain).

    `stream` is a BinaryIO or anything with `read(n)`; a seekable one is peeked with seek.
    """
    head, src = _peek(stream, 6)
    if head.startswith(GZIP_MAGIC):
        return io.BufferedReader(_GunzipRaw(src), CHUNK)
    if head.startswith(ZSTD_MAGIC):
        return io.BufferedReader(_UnzstdRaw(src), CHUNK)
    for magic, name in _UNSUPPORTED.items():
        if head.startswith(magic):
            raise errdefs.Unimplemented(f"{name}-compressed layers are not supported")
    return src


def counting(stream: Readable, progress: Callable[[int], None]) -> BinaryIO:
    """`stream`, calling `progress(total bytes read so far)` after each read (pull progress)."""
    return io.BufferedReader(_SourceRaw(stream, progress=progress), CHUNK)


def _peek(stream: Readable, n: int) -> tuple[bytes, BinaryIO]:
    """The first `n` bytes, and a stream that still yields them."""
    if isinstance(stream, io.IOBase) and stream.seekable():
        pos = stream.tell()
        head = stream.read(n)
        stream.seek(pos)
        return head, typing.cast(BinaryIO, stream)  # an IOBase that read() bytes
    head = b""
    while len(head) < n:
        more = stream.read(n - len(head))
        if not more:
            break
        head += more
    return head, io.BufferedReader(_SourceRaw(stream, prefix=head), CHUNK)


class _SourceRaw(io.RawIOBase):
    """A raw reader over a byte stream, replaying `prefix` first and reporting progress."""

    def __init__(
        self,
        stream: Readable,
        *,
        prefix: bytes = b"",
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._stream = stream
        self._prefix = prefix
        self._progress = progress
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # typeshed's Buffer union is wider than what BufferedReader passes
        if self._prefix:
            data, self._prefix = self._prefix[: len(buffer)], self._prefix[len(buffer) :]
        else:
            data = self._stream.read(len(buffer))
            if self._progress is not None and data:
                self._total += len(data)
                self._progress(self._total)
        buffer[: len(data)] = data
        return len(data)


class _GunzipRaw(io.RawIOBase):
    """gzip (RFC 1952, multi-member as `gzip -d` allows) decompressed with zlib directly."""

    def __init__(self, src: Readable) -> None:
        self._src = src
        self._z = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # see _SourceRaw
        want = len(buffer)
        try:
            while not self._finished:
                z = self._z
                if z.unconsumed_tail:
                    data = z.decompress(z.unconsumed_tail, want)
                elif z.eof:
                    data = self._next_member(z.unused_data, want)
                else:
                    chunk = self._src.read(CHUNK)
                    if not chunk:
                        raise errdefs.InvalidArgument("layer blob is truncated (gzip stream)")
                    data = z.decompress(chunk, want)
                if data:
                    buffer[: len(data)] = data
                    return len(data)
        except zlib.error as err:
            raise errdefs.InvalidArgument(f"layer blob is not valid gzip: {err}") from err
        return 0

    def _next_member(self, pending: bytes, want: int) -> bytes:
        if len(pending) < 2:
            pending += self._src.read(CHUNK)
        if not pending.startswith(GZIP_MAGIC):
            # The end; trailing bytes that are not another member are ignored, as gzip -d does
            # with zero padding (the blob's digest already covers them).
            self._finished = True
            return b""
        self._z = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        return self._z.decompress(pending, want)


class _UnzstdRaw(io.RawIOBase):
    """zstd (RFC 8878) frames, one after another, decompressed piece by piece."""

    # Input per decompress call: a call's output is unbounded (a hostile frame expands ~32000x),
    # so small pieces bound it (~128 MiB worst case) while costing little (~0.4 ms per 100 MB).
    _PIECE = 4096

    def __init__(self, src: Readable) -> None:
        self._src = src
        self._dctx = zstandard.ZstdDecompressor()
        self._z: zstandard.ZstdDecompressionObj | None = None
        self._in = b""
        self._in_pos = 0
        self._out = b""
        self._out_pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # see _SourceRaw
        while self._out_pos >= len(self._out):
            if not self._decompress_more():
                return 0
        n = min(len(buffer), len(self._out) - self._out_pos)
        buffer[:n] = self._out[self._out_pos : self._out_pos + n]
        self._out_pos += n
        return n

    def _decompress_more(self) -> bool:
        if self._in_pos >= len(self._in):
            self._in, self._in_pos = self._src.read(CHUNK), 0
            if not self._in:
                if self._z is not None:
                    raise errdefs.InvalidArgument("layer blob is truncated (zstd stream)")
                return False
        if self._z is None:
            self._z = self._dctx.decompressobj()
        piece = memoryview(self._in)[self._in_pos : self._in_pos + self._PIECE]
        self._in_pos += len(piece)
        try:
            self._out, self._out_pos = self._z.decompress(piece), 0
        except zstandard.ZstdError as err:
            raise errdefs.InvalidArgument(f"layer blob is not valid zstd: {err}") from err
        if self._z.eof:  # end of a frame: what follows is the next frame (or nothing)
            self._in, self._in_pos = self._z.unused_data + self._in[self._in_pos :], 0
            self._z = None
        return True


class ReadAhead:
    """The uncompressed stream, read and hashed (the diff_id) by a helper thread.

    zlib, zstd and sha256 release the GIL on big buffers, so on two cores decompression runs
    beside the tar parsing and file writing instead of before it. A bounded queue keeps at
    most a few chunks in memory. `close` stops the thread and waits for it.
    """

    _DEPTH = 4

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self._sha = hashlib.sha256()
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(self._DEPTH)
        self._stop = threading.Event()
        self._eof = False
        self._thread = threading.Thread(target=self._run, name="layer-read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                data = self._src.read(CHUNK)
                self._sha.update(data)
                self._put(data)
                if not data:
                    return
        except (zlib.error, zstandard.ZstdError) as err:
            self._put(errdefs.InvalidArgument(f"layer blob is corrupt: {err}"))
        except BaseException as err:  # handed to the reading thread, which raises it
            self._put(err)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, n: int = -1, /) -> bytes:
        """The next chunk (up to CHUNK bytes, whatever `n`); b"" at the end."""
        if self._eof:
            return b""
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._eof = True
            raise item
        self._eof = not item
        return item

    def hexdigest(self) -> str:
        return self._sha.hexdigest()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
