"""Log files: rotation with Docker's names, reading with tail/since/until, polling across
rotations, for both file drivers (the same behaviour, two formats)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.shim import logs
from dockyard.shim.logs import Cursor

DRIVERS = ["json-file", "local"]


def _write(
    driver: str, path: Path, opts: dict[str, str], lines: list[tuple[str, bytes, int]]
) -> None:
    w = logs.open_writer(driver, str(path), opts)
    for stream, data, ts in lines:
        w.write(stream, data, ts)
    w.close()


def _lines(n: int, start: int = 0) -> list[tuple[str, bytes, int]]:
    return [
        ("stdout" if i % 3 else "stderr", b"message %05d\n" % i, 1_000 + i)
        for i in range(start, start + n)
    ]


@pytest.mark.parametrize("driver", DRIVERS)
def test_round_trip_keeps_stream_data_and_time(driver: str, tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    lines = [*_lines(5), ("stdout", b"partial, no newline", 2_000), ("stderr", b"\xff\n", 2_001)]
    _write(driver, path, {}, lines)
    entries, cursor = logs.open_reader(driver, str(path)).read()
    got = [(e.stream, e.data, e.time_ns) for e in entries]
    if driver == "json-file":
        lines[-1] = ("stderr", "\ufffd\n".encode(), 2_001)  # json has no raw bytes
    assert got == lines
    assert cursor == Cursor(os.stat(path).st_ino, os.path.getsize(path))


@pytest.mark.parametrize("driver", DRIVERS)
def test_rotation_uses_dockers_names_and_keeps_max_file_files(driver: str, tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    _write(driver, path, {"max-size": "1k", "max-file": "3"}, _lines(300))
    assert sorted(os.listdir(tmp_path)) == ["c.log", "c.log.1", "c.log.2"]
    for name in os.listdir(tmp_path):
        # rotation happens before the write that would start beyond max-size
        assert os.path.getsize(tmp_path / name) < 1000 + 100
    entries, _ = logs.open_reader(driver, str(path)).read()
    numbers = [int(e.data.split()[1]) for e in entries]
    assert numbers == list(range(numbers[0], 300))  # oldest dropped, the rest in order
    assert numbers[0] > 0


@pytest.mark.parametrize("driver", DRIVERS)
def test_max_file_1_starts_the_file_again(driver: str, tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    opts = {"max-size": "1k", "max-file": "1"} if driver == "json-file" else {}
    if driver == "local":
        opts = {"max-size": "1k", "max-file": "1", "compress": "false"}
    _write(driver, path, opts, _lines(100))
    assert os.listdir(tmp_path) == ["c.log"]
    entries, _ = logs.open_reader(driver, str(path)).read()
    assert entries[-1].data == b"message 00099\n"


@pytest.mark.parametrize("driver", DRIVERS)
def test_tail_counts_across_rotated_files(driver: str, tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    _write(driver, path, {"max-size": "1k", "max-file": "20"}, _lines(120))
    assert (tmp_path / "c.log.3").exists()
    reader = logs.open_reader(driver, str(path))
    for n in (0, 1, 7, 60, 119):
        entries, _ = reader.read(tail=n)
        assert [e.data for e in entries] == [b"message %05d\n" % i for i in range(120 - n, 120)]
    everything, _ = reader.read(tail=10_000)
    assert len(everything) == len(reader.read()[0])


@pytest.mark.parametrize("driver", DRIVERS)
def test_since_and_until_are_inclusive_and_apply_after_tail(driver: str, tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    _write(driver, path, {}, _lines(50))  # times 1000..1049
    reader = logs.open_reader(driver, str(path))
    entries, _ = reader.read(since_ns=1_010, until_ns=1_020)
    assert [e.time_ns for e in entries] == list(range(1_010, 1_021))
    entries, _ = reader.read(since_ns=1_045)
    assert [e.time_ns for e in entries] == list(range(1_045, 1_050))
    entries, _ = reader.read(tail=5, since_ns=1_040)
    assert [e.time_ns for e in entries] == list(range(1_045, 1_050))
    entries, _ = reader.read(tail=5, until_ns=1_046)
    assert [e.time_ns for e in entries] == [1_045, 1_046]


def test_since_stops_filtering_after_the_first_match(tmp_path: Path) -> None:
    # moby: timestamps need not be monotonic; once one entry passes, the rest follow
    path = tmp_path / "c.log"
    _write(
        "json-file", path, {}, [("stdout", b"a\n", 5), ("stdout", b"b\n", 9), ("stdout", b"c\n", 7)]
    )
    entries, _ = logs.open_reader("json-file", str(path)).read(since_ns=8)
    assert [e.data for e in entries] == [b"b\n", b"c\n"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_poll_returns_what_was_written_since_even_across_rotations(
    driver: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.log"
    opts = {"max-size": "1k", "max-file": "4"}
    w = logs.open_writer(driver, str(path), opts)
    reader = logs.open_reader(driver, str(path))
    seen: list[bytes] = []
    entries, cursor = reader.read()
    assert entries == []
    for batch in range(6):  # each batch is more than a whole file: rotations in between
        for stream, data, ts in _lines(25, start=batch * 25):
            w.write(stream, data, ts)
        entries, cursor = reader.poll(cursor)
        seen += [e.data for e in entries]
    assert seen == [b"message %05d\n" % i for i in range(150)]
    assert reader.poll(cursor)[0] == []
    w.close()


def test_poll_ignores_a_half_written_line_until_it_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    _write("json-file", path, {}, _lines(2))
    reader = logs.open_reader("json-file", str(path))
    _, cursor = reader.read()
    with open(path, "ab") as f:
        f.write(b'{"log":"late\\n","stream":"stdout",')
    assert reader.poll(cursor) == ([], cursor)
    with open(path, "ab") as f:
        f.write(b'"time":"2026-11-28T09:00:00Z"}\n')
    entries, _ = reader.poll(cursor)
    assert [e.data for e in entries] == [b"late\n"]


def test_missing_log_reads_as_empty_and_polls_once_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    reader = logs.open_reader("local", str(path))
    entries, cursor = reader.read()
    assert entries == [] and cursor == Cursor()
    _write("local", path, {}, _lines(3))
    assert len(reader.poll(cursor)[0]) == 3


def test_gzip_rotated_files_docker_wrote_are_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "c.log"
    _write("json-file", tmp_path / "old", {}, _lines(3))
    (tmp_path / "c.log.1.gz").write_bytes(gzip.compress((tmp_path / "old").read_bytes()))
    _write("json-file", path, {}, _lines(2, start=3))
    entries, _ = logs.open_reader("json-file", str(path)).read()
    assert [int(e.data.split()[1]) for e in entries] == [0, 1, 2, 3, 4]


def test_none_driver_writes_nothing_and_cannot_be_read(tmp_path: Path) -> None:
    _write("none", tmp_path / "c.log", {}, _lines(3))
    assert os.listdir(tmp_path) == []
    with pytest.raises(
        errdefs.Unimplemented, match=r"^configured logging driver does not support reading$"
    ):
        logs.open_reader("none", str(tmp_path / "c.log"))
