"""Unpack throughput of a ~100 MB synthetic layer (10 000 small files and a few large ones)
into real snapshots, gzip and zstd, on disk and on tmpfs. Run with -s to see the MB/s.

Beside each, "raw writes" creates the same files with bare open/write/close (no tar, no
decompression, no metadata): the filesystem's own floor. On this shared VM the disk (ext4
with online discard) swings tenfold from minute to minute, so only the tmpfs figure, which is
our own cost, is asserted, against a floor far below what it does.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard

from dockyard.snapshots.layers import unpack_layer
from dockyard.snapshots.overlay import OverlaySnapshotter

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.slow]

FLOOR_MB_S = 30.0
WORDS = [os.urandom(4).hex() for _ in range(2000)]


def _text(rng: random.Random, size: int) -> bytes:
    # compresses about 3:1 under gzip, like binaries and text in real layers
    out = " ".join(rng.choices(WORDS, k=size // 9 + 1)).encode()
    return out[:size]


def _synthetic_layer(path: Path, sizes: list[int]) -> int:
    rng = random.Random(42)
    content = 0
    with (
        open(path, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for d in range(100):
            info = tarfile.TarInfo(f"usr/share/pkg{d}/")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
            for f in range(100):
                data = _text(rng, rng.randint(200, 9000))
                info = tarfile.TarInfo(f"usr/share/pkg{d}/file{f}.txt")
                info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
                tar.addfile(info, io.BytesIO(data))
                content += len(data)
                sizes.append(len(data))
        for i in range(4):
            data = _text(rng, 6 << 20) + os.urandom(6 << 20)
            info = tarfile.TarInfo(f"opt/lib{i}.so")
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
            content += len(data)
            sizes.append(len(data))
    return content


def _raw_writes(dest: Path, sizes: list[int]) -> float:
    """Seconds to create files of `sizes` (100 per directory) with bare syscalls."""
    data = os.urandom(max(sizes))
    dest.mkdir(parents=True)
    start = time.perf_counter()
    for i, size in enumerate(sizes):
        if i % 100 == 0:
            os.mkdir(dest / str(i))
        fd = os.open(dest / str(i - i % 100) / str(i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data[:size])
        os.close(fd)
    return time.perf_counter() - start


def _targets(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield "disk", tmp_path / "disk"
    if os.path.isdir("/dev/shm"):  # tmpfs: our own cost, without the disk's
        shm = Path(tempfile.mkdtemp(prefix="dockyard-unpack-", dir="/dev/shm"))
        try:
            yield "tmpfs", shm
        finally:
            shutil.rmtree(shm)


def test_unpack_throughput(tmp_path: Path) -> None:
    plain = tmp_path / "layer.tar"
    sizes: list[int] = []
    content = _synthetic_layer(plain, sizes)
    blobs = {
        "gzip": gzip.compress(plain.read_bytes(), compresslevel=1),
        "zstd": zstandard.ZstdCompressor(level=3).compress(plain.read_bytes()),
    }
    for name, data in blobs.items():
        (tmp_path / f"layer.{name}").write_bytes(data)
    rows = []
    for where, root in _targets(tmp_path):
        # Nothing is removed until all is measured: deleting 10 000 files slows the next
        # creates on this machine's ext4 for seconds.
        raw = _raw_writes(root / "raw", sizes)
        rows.append((where, "raw writes", raw, content / raw / 1e6, 0.0))
        for name, data in blobs.items():
            # one snapshotter each: the same layer twice in one is found, not unpacked
            with OverlaySnapshotter(str(root / name)) as sn:
                start = time.perf_counter()
                done = unpack_layer(sn, str(tmp_path / f"layer.{name}"))
                elapsed = time.perf_counter() - start
            assert done.created and done.size == content
            rows.append((where, name, elapsed, content / elapsed / 1e6, len(data) / elapsed / 1e6))
    print(f"\nunpack of {content / 1e6:.0f} MB of files (10 000 small, 4 of 12 MB):")
    for where, name, elapsed, mb_s, blob_mb_s in rows:
        blob = f"  {blob_mb_s:4.0f} MB/s of blob" if blob_mb_s else ""
        print(f"  {where:5} {name:10}: {elapsed:5.2f} s  {mb_s:4.0f} MB/s of files{blob}")
    ours = [row for row in rows if row[0] == "tmpfs" and row[1] != "raw writes"]
    assert all(row[3] > FLOOR_MB_S for row in ours), rows
