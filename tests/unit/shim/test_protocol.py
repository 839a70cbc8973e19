"""The shim protocol's lines and frames."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.shim import protocol


def test_frames_use_dockers_8_byte_header() -> None:
    assert protocol.frame(2, b"hey") == b"\x02\x00\x00\x00\x00\x00\x00\x03hey"
    assert protocol.parse_header(protocol.header(4, 70000)) == (4, 70000)


def test_errors_travel_as_their_kind() -> None:
    answer = protocol.decode(protocol.encode(protocol.failure(errdefs.NotFound("gone"))))
    assert answer == {"ok": False, "kind": "NotFound", "error": "gone"}
    with pytest.raises(errdefs.NotFound, match=r"^gone$"):
        protocol.check(answer)


def test_subclass_errors_travel_as_their_base_kind() -> None:
    class Special(errdefs.Unavailable):
        pass

    assert protocol.failure(Special("x"))["kind"] == "Unavailable"


def test_unknown_kinds_become_unknown() -> None:
    with pytest.raises(errdefs.Unknown, match="boom"):
        protocol.check({"ok": False, "kind": "Weird", "error": "boom"})


@pytest.mark.parametrize("line", [b"not json\n", b"[1, 2]\n", b""])
def test_malformed_lines_are_invalid_arguments(line: bytes) -> None:
    with pytest.raises(errdefs.InvalidArgument):
        protocol.decode(line)
