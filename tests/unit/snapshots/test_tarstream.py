"""The layer tar reader against archives written by the stdlib's tarfile and by hand."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from dockyard import errdefs
from dockyard.snapshots import tarstream
from dockyard.snapshots.tarstream import TarReader
from tests.unit.snapshots import tars


def _entries(data: bytes) -> list[tuple[tarstream.Entry, bytes]]:
    reader = TarReader(io.BytesIO(data))
    out = []
    for entry in reader:
        r, w = os.pipe()
        try:
            if entry.size:
                reader.copy_to(w)
            os.close(w)
            w = -1
            with os.fdopen(r, "rb") as f:
                r = -1
                content = f.read()
        finally:
            for fd in (r, w):
                if fd >= 0:
                    os.close(fd)
        out.append((entry, content))
    return out


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_reads_names_types_modes_and_content_in_every_format(fmt: int) -> None:
    data = tars.layer(
        [
            tars.directory("etc/", mode=0o750, uid=5, gid=6),
            tars.file("etc/passwd", b"root:x:0:0\n", mode=0o4755, uid=1000, gid=1001),
            tars.symlink("etc/link", "/abs/target"),
            tars.hardlink("etc/hard", "etc/passwd"),
            tars.fifo("run/fifo"),
            tars.device("dev/null", 1, 3),
        ],
        fmt=fmt,
    )
    got = {e.name: (e, c) for e, c in _entries(data)}
    d, _ = got["etc/"]
    assert (d.type, d.mode, d.uid, d.gid) == (tarstream.DIR, 0o750, 5, 6)
    f, content = got["etc/passwd"]
    assert (f.type, f.mode, f.uid, f.gid, f.size) == (tarstream.REG, 0o4755, 1000, 1001, 11)
    assert content == b"root:x:0:0\n"
    assert f.mtime_ns == tars.MTIME * 1_000_000_000
    assert got["etc/link"][0].linkname == "/abs/target"
    assert got["etc/hard"][0].type == tarstream.LNK
    assert got["run/fifo"][0].type == tarstream.FIFO
    dev = got["dev/null"][0]
    assert (dev.type, dev.devmajor, dev.devminor) == (tarstream.CHR, 1, 3)


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_names_and_link_targets(fmt: int) -> None:
    name = "a" * 120 + "/" + "b" * 150
    target = "/" + "t" * 200
    data = tars.layer([tars.file(name, b"x"), tars.symlink("s", target)], fmt=fmt)
    entries = _entries(data)
    assert entries[0][0].name == name
    assert entries[1][0].linkname == target


def test_ustar_prefix_field_joins_the_name() -> None:
    name = "p" * 90 + "/" + "n" * 90
    entries = _entries(tars.layer([tars.file(name, b"1")], fmt=tarfile.USTAR_FORMAT))
    assert entries[0][0].name == name


def test_pax_records_xattrs_times_and_big_ids() -> None:
    cap = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    info, data = tars.file(
        "bin/ping", b"elf", uid=3_000_000, xattrs={"security.capability": cap, "user.k": b"v"}
    )
    info.pax_headers["mtime"] = "1700000000.123456789"
    entry, content = _entries(tars.layer([(info, data)]))[0]
    assert entry.xattrs == {"security.capability": cap, "user.k": b"v"}
    assert entry.uid == 3_000_000
    assert entry.mtime_ns == 1_700_000_000_123_456_789
    assert content == b"elf"


def test_non_utf8_names_survive_byte_for_byte() -> None:
    raw_name = b"caf\xe9"  # latin-1, not UTF-8
    name = raw_name.decode("utf-8", "surrogateescape")
    data = tars.layer([tars.file(name, b"x")], fmt=tarfile.GNU_FORMAT)
    entry = _entries(data)[0][0]
    assert os.fsencode(entry.name) == raw_name


def test_base256_numbers() -> None:
    info, data = tars.file("big-uid", b"")
    info.uid = 8**8 + 5  # does not fit 7 octal digits: GNU base-256
    entry = _entries(tars.layer([(info, data)], fmt=tarfile.GNU_FORMAT))[0][0]
    assert entry.uid == 8**8 + 5


def test_header_only_types_carry_no_data_whatever_their_size() -> None:
    # Go's archive/tar (Docker's reader) ignores the size of links, dirs and devices.
    raw = bytearray(
        tars.layer([tars.symlink("s", "t"), tars.file("f", b"data")], fmt=tarfile.USTAR_FORMAT)
    )
    raw[124:136] = b"00000001000\0"  # the symlink claims 512 bytes; fix the checksum
    raw[148:156] = b"        "
    raw[148:156] = b"%06o\0 " % sum(raw[:512])
    entries = _entries(bytes(raw))
    assert [e.name for e, _ in entries] == ["s", "f"]
    assert entries[0][0].size == 0
    assert entries[1][1] == b"data"


def test_pax_global_header_is_skipped() -> None:
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "git"}
    ) as tar:
        info, data = tars.file("f", b"1")
        tar.addfile(info, io.BytesIO(data))
    assert [e.name for e, _ in _entries(buf.getvalue())] == ["f"]


def test_stream_ending_on_a_block_boundary_is_complete() -> None:
    data = tars.layer([tars.file("f", b"1")])
    without_trailer = data[:1024]  # header + one data block, no zero blocks
    assert [e.name for e, _ in _entries(without_trailer)] == ["f"]


def test_truncated_content_is_invalid() -> None:
    data = tars.layer([tars.file("f", b"x" * 5000)])
    with pytest.raises(errdefs.InvalidArgument, match="truncated"):
        _entries(data[:2048])


def test_bad_checksum_is_invalid() -> None:
    data = bytearray(tars.layer([tars.file("f", b"1")]))
    data[0] ^= 0x01
    with pytest.raises(errdefs.InvalidArgument, match="checksum"):
        _entries(bytes(data))


def test_huge_pax_header_is_refused_without_reading_it() -> None:
    header = bytearray(tars.layer([tars.file("x", b"")], fmt=tarfile.USTAR_FORMAT)[:512])
    header[156] = ord("x")
    header[124:136] = b"%011o\0" % (1 << 30)
    header[148:156] = b"        "
    header[148:156] = b"%06o\0 " % sum(header)
    with pytest.raises(errdefs.InvalidArgument, match="extended header"):
        _entries(bytes(header) + bytes(1024))
