"""pflag's grammar as docker commands read it (cli/flags.py)."""

from __future__ import annotations

import io

import pytest

from dockyard.cli.command import Flag, Options, flags
from dockyard.cli.flags import FlagError, convert, parse

FLAGS = flags(
    Flag(name="all", short="a"),
    Flag(name="interactive", short="i"),
    Flag(name="tty", short="t"),
    Flag(name="detach", short="d"),
    Flag(name="name", type="string"),
    Flag(name="publish", short="p", type="list"),
    Flag(name="env", short="e", type="list"),
    Flag(name="last", short="n", type="int", default=-1),
    Flag(name="memory", short="m", type="bytes"),
    Flag(name="timeout", type="duration"),
    Flag(name="cpus", type="decimal"),
    Flag(name="caps", type="stringSlice"),
    Flag(name="old", deprecated="use --new"),
)


def test_combined_short_switches() -> None:
    p = parse(FLAGS, ["-dit", "busybox"])
    assert p.values == {"detach": True, "interactive": True, "tty": True}
    assert p.args == ["busybox"]


def test_short_values_attached_after_equals_or_next_word() -> None:
    assert parse(FLAGS, ["-p80:80"]).values["publish"] == ["80:80"]
    assert parse(FLAGS, ["-e=X"]).values["env"] == ["X"]
    assert parse(FLAGS, ["-e", "X=1", "-e", "Y=2"]).values["env"] == ["X=1", "Y=2"]
    assert parse(FLAGS, ["-an5"]).values == {"all": True, "last": "5"}


def test_long_values_and_bool_forms() -> None:
    p = parse(FLAGS, ["--name=web", "--all=false", "--publish", "1:2"])
    assert p.values == {"name": "web", "all": False, "publish": ["1:2"]}
    assert parse(FLAGS, ["-a=false"]).values == {"all": False}
    assert parse(FLAGS, ["--name="]).values == {"name": ""}


def test_double_dash_ends_flags_and_dash_is_positional() -> None:
    p = parse(FLAGS, ["-a", "--", "-i", "x"])
    assert p.values == {"all": True}
    assert p.args == ["-i", "x"]
    assert parse(FLAGS, ["-", "-a"]).args == ["-"]


def test_not_interspersed_stops_at_the_first_positional() -> None:
    p = parse(FLAGS, ["-i", "busybox", "ls", "-l", "--all"], interspersed=False)
    assert p.values == {"interactive": True}
    assert p.args == ["busybox", "ls", "-l", "--all"]
    p = parse(FLAGS, ["busybox", "-a"])
    assert p.values == {"all": True}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--foo"], "unknown flag: --foo"),
        (["--foo=1"], "unknown flag: --foo"),
        (["-x"], "unknown shorthand flag: 'x' in -x"),
        (["-ax"], "unknown shorthand flag: 'x' in -x"),
        (["--name"], "flag needs an argument: --name"),
        (["-n"], "flag needs an argument: 'n' in -n"),
        (["-an"], "flag needs an argument: 'n' in -n"),
        (
            ["-n", "x"],
            'invalid argument "x" for "-n, --last" flag: '
            'strconv.ParseInt: parsing "x": invalid syntax',
        ),
        (
            ["-n="],
            'invalid argument "=" for "-n, --last" flag: '
            'strconv.ParseInt: parsing "=": invalid syntax',
        ),
        (
            ["--all=foo"],
            'invalid argument "foo" for "-a, --all" flag: '
            'strconv.ParseBool: parsing "foo": invalid syntax',
        ),
        (["-m", "x"], 'invalid argument "x" for "-m, --memory" flag: invalid size: \'x\''),
        (
            ["--timeout", "5"],
            'invalid argument "5" for "--timeout" flag: time: missing unit in duration "5"',
        ),
        (
            ["--cpus", "abc"],
            'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number',
        ),
        (["---x"], "bad flag syntax: ---x"),
    ],
)
def test_errors_carry_pflags_text(argv: list[str], message: str) -> None:
    with pytest.raises(FlagError) as info:
        parse(FLAGS, argv)
    assert str(info.value) == message


def test_numbers_follow_go_base_prefixes() -> None:
    assert convert("int", "010") == "8"
    assert convert("int", "0x10") == "16"
    assert convert("int", "-1") == "-1"
    assert convert("int", "1_000") == "1000"
    with pytest.raises(ValueError, match="value out of range"):
        convert("uint16", "70000")
    with pytest.raises(ValueError, match="invalid syntax"):
        convert("uint", "-1")
    assert convert("bytes", "1.5GiB") == "1.5GiB"
    assert convert("bytes", "-1") == "-1"
    assert convert("duration", "1m30s") == "1m30s"


def test_options_read_parsed_values_and_defaults() -> None:
    p = parse(FLAGS, ["-n", "0x10"])
    opts = Options(FLAGS, p.values)
    assert opts.integer("last") == 16
    assert opts.changed("last")
    assert not opts.changed("all")
    assert Options(FLAGS, {}).integer("last") == -1


def test_string_slice_reads_csv() -> None:
    assert parse(FLAGS, ["--caps", "a,b", "--caps", "c"]).values["caps"] == ["a", "b", "c"]


def test_help_flag_and_deprecated_short_h() -> None:
    err = io.StringIO()
    assert parse(FLAGS, ["--help"]).help
    assert not parse(FLAGS, ["--help=false"]).help
    assert parse(FLAGS, ["-ah"], err=err).help
    assert err.getvalue() == "Flag shorthand -h has been deprecated, use --help\n"
    own_h = flags(Flag(name="hostname", short="h", type="string"))
    p = parse(own_h, ["-h", "box"])
    assert p.values == {"hostname": "box"}
    assert not p.help


def test_deprecated_flag_warns() -> None:
    err = io.StringIO()
    assert parse(FLAGS, ["--old"], err=err).values == {"old": True}
    assert err.getvalue() == "Flag --old has been deprecated, use --new\n"
