"""The shim splits output into log messages as Docker's copier does."""

from __future__ import annotations

from dockyard.shim.logs.splitter import BUF_SIZE, LineSplitter


def test_complete_lines_keep_their_newline_and_leftovers_wait() -> None:
    s = LineSplitter()
    assert s.feed(b"one\ntwo\nthr", 1) == [(b"one\n", 1), (b"two\n", 1)]
    assert s.feed(b"ee\n", 2) == [(b"three\n", 2)]
    assert s.flush(3) == []


def test_a_line_longer_than_16k_is_split_into_partials_sharing_the_first_timestamp() -> None:
    s = LineSplitter()
    data = b"x" * (2 * BUF_SIZE + 10) + b"\n"
    out = s.feed(data[: BUF_SIZE + 5], 100) + s.feed(data[BUF_SIZE + 5 :], 200)
    assert [len(d) for d, _ in out] == [BUF_SIZE, BUF_SIZE, 11]
    assert [ts for _, ts in out] == [100, 100, 100]
    assert out[-1][0].endswith(b"\n") and not out[0][0].endswith(b"\n")
    # the next line gets its own time again
    assert s.feed(b"next\n", 300) == [(b"next\n", 300)]


def test_a_line_of_exactly_16k_is_one_partial_then_the_newline_alone() -> None:
    # moby's buffer fills before the newline is seen, whatever the read sizes
    s = LineSplitter()
    out = s.feed(b"y" * BUF_SIZE + b"\n", 7)
    assert out == [(b"y" * BUF_SIZE, 7), (b"\n", 7)]


def test_unterminated_output_at_eof_is_one_partial_message() -> None:
    s = LineSplitter()
    assert s.feed(b"no newline", 1) == []
    assert s.flush(2) == [(b"no newline", 2)]
    assert s.flush(3) == []


def test_split_does_not_depend_on_how_the_bytes_arrive() -> None:
    data = b"".join(b"line %d " % i * (i % 50) + b"\n" for i in range(400)) + b"z" * 40000
    whole, bytewise = LineSplitter(), LineSplitter()
    a = whole.feed(data, 0) + whole.flush(0)
    b = [m for i in range(0, len(data), 777) for m in bytewise.feed(data[i : i + 777], 0)]
    b += bytewise.flush(0)
    assert a == b
    assert b"".join(d for d, _ in a) == data
