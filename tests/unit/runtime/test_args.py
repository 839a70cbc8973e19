from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.runtime.args import Flag, parse

FLAGS = (
    Flag("bundle", short="b", value=True),
    Flag("detach", short="d"),
    Flag("env", short="e", value=True, repeat=True),
)


def test_single_and_double_dash_long_flags_are_the_same_flag() -> None:
    assert parse(["-bundle", "x", "id"], FLAGS).text("bundle") == "x"
    assert parse(["--bundle=y", "id"], FLAGS).text("bundle") == "y"
    assert parse(["-b", "z", "id"], FLAGS).text("bundle") == "z"


def test_parsing_stops_at_the_first_positional_argument() -> None:
    p = parse(["-d", "id", "sh", "-c", "echo -d"], FLAGS)
    assert p.flag("detach")
    assert p.args == ["id", "sh", "-c", "echo -d"]


def test_boolean_flags_take_go_style_values() -> None:
    assert parse(["--detach=false"], FLAGS).flag("detach") is False
    assert parse(["--detach=true"], FLAGS).flag("detach") is True
    with pytest.raises(errdefs.InvalidArgument):
        parse(["--detach=maybe"], FLAGS)


def test_repeated_flags_collect_values() -> None:
    p = parse(["-e", "A=1", "--env", "B=2", "id"], FLAGS)
    assert p.many("env") == ["A=1", "B=2"]


def test_unknown_flag_and_missing_value_are_refused() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="not defined: --nope"):
        parse(["--nope"], FLAGS)
    with pytest.raises(errdefs.InvalidArgument, match="needs an argument"):
        parse(["--bundle"], FLAGS)


def test_double_dash_ends_flags() -> None:
    assert parse(["--", "-d"], FLAGS, stop_at_positional=False).args == ["-d"]
