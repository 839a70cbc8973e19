"""Dispatch, exit statuses and docker's messages (cli/main.py), with fake verb modules."""

from __future__ import annotations

import io
import sys
import types

import pytest

from dockyard import errdefs
from dockyard.cli import main as cli_main
from dockyard.cli.command import Command, Flag, Options, StatusError, flags
from dockyard.client.errors import from_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

KILL = "dockyard.cli.commands.container.kill"


class Recorder:
    """A verb that records what it was run with and does what the test says."""

    def __init__(self, action: BaseException | int = 0) -> None:
        self.action = action
        self.calls: list[tuple[str, dict[str, object], list[str], tuple[str, ...]]] = []

    def __call__(self, cli: Cli, opts: Options, args: list[str]) -> int:
        values = {"signal": opts.string("signal"), "force": opts.boolean("force")}
        self.calls.append((cli.command_path, values, args, cli.options.hosts))
        cli.out.write("ran\n")
        if isinstance(self.action, BaseException):
            raise self.action
        return self.action


def _install(
    monkeypatch: pytest.MonkeyPatch,
    recorder: Recorder,
    *,
    min_args: int = 1,
    max_args: int | None = None,
    module: str = KILL,
) -> None:
    fake = types.ModuleType(module)
    fake.COMMAND = Command(  # type: ignore[attr-defined]
        name="kill",
        usage="[OPTIONS] CONTAINER [CONTAINER...]",
        short="Kill one or more running containers",
        run=recorder,
        min_args=min_args,
        max_args=max_args,
        flags=flags(
            Flag(name="signal", short="s", type="string", help="Signal to send"),
            Flag(name="force", short="f", help="Force"),
        ),
    )
    monkeypatch.setitem(sys.modules, module, fake)


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli_main.run(list(args), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_dispatches_shortcut_and_group_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    _install(monkeypatch, rec)
    assert _run("-H", "unix:///a", "-H", "unix:///b", "kill", "-fs", "HUP", "c1", "c2")[0] == 0
    assert _run("container", "kill", "c3")[0] == 0
    assert rec.calls == [
        (
            "dockyard kill",
            {"signal": "HUP", "force": True},
            ["c1", "c2"],
            ("unix:///a", "unix:///b"),
        ),
        ("dockyard container kill", {"signal": "", "force": False}, ["c3"], ()),
    ]


def test_flag_error_prints_usage_and_exits_125(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, Recorder())
    status, out, err = _run("kill", "--nope", "c")
    assert (status, out) == (125, "")
    assert err == (
        "unknown flag: --nope\n\nUsage:  dockyard kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
        "Run 'dockyard kill --help' for more information\n"
    )


def test_global_flags_only_before_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, Recorder())
    status, _, err = _run("kill", "-D", "c")
    assert status == 125
    assert err.startswith("unknown shorthand flag: 'D' in -D\n")
    status, _, err = _run("--nope", "kill")
    assert status == 125
    assert err == (
        "unknown flag: --nope\n\nUsage:  dockyard [OPTIONS] COMMAND [ARG...]\n\n"
        "Run 'dockyard --help' for more information\n"
    )


@pytest.mark.parametrize(
    ("bounds", "count", "message"),
    [
        ((1, None), 0, "'dockyard kill' requires at least 1 argument"),
        ((0, 0), 1, "'dockyard kill' accepts no arguments"),
        ((2, 2), 1, "'dockyard kill' requires 2 arguments"),
        ((0, 1), 2, "'dockyard kill' requires at most 1 argument"),
        ((1, 2), 3, "'dockyard kill' requires at least 1 and at most 2 arguments"),
    ],
)
def test_argument_counts_use_dockers_words(
    monkeypatch: pytest.MonkeyPatch, bounds: tuple[int, int | None], count: int, message: str
) -> None:
    rec = Recorder()
    _install(monkeypatch, rec, min_args=bounds[0], max_args=bounds[1])
    status, _, err = _run("kill", *[f"c{i}" for i in range(count)])
    assert status == 1
    assert rec.calls == []
    first, usage, more = err.split("\n\n")
    assert first == f"dockyard: {message}"
    assert usage == "Usage:  dockyard kill [OPTIONS] CONTAINER [CONTAINER...]"
    word = "See" if "at least" in message and "at most" not in message else "Run"
    assert more == f"{word} 'dockyard kill --help' for more information\n"


def test_daemon_errors_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, Recorder(from_status(404, "No such container: c")))
    assert _run("kill", "c") == (1, "ran\n", "Error response from daemon: No such container: c\n")


def test_local_errors_print_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, Recorder(errdefs.InvalidArgument("invalid signal: FOO")))
    assert _run("kill", "c") == (1, "ran\n", "invalid signal: FOO\n")


def test_status_error_sets_the_exit_status(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, Recorder(StatusError("dockyard: boom\nSee 'dockyard run --help'.", 125)))
    assert _run("kill", "c") == (125, "ran\n", "dockyard: boom\nSee 'dockyard run --help'.\n")
    _install(monkeypatch, Recorder(StatusError("", 3)))
    assert _run("kill", "c") == (3, "ran\n", "")
    _install(monkeypatch, Recorder(7))
    assert _run("kill", "c")[0] == 7


def test_ctrl_c_exits_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(monkeypatch, Recorder(KeyboardInterrupt()))
    assert cli_main.main(["kill", "c"]) == 130
    assert capsys.readouterr().err == ""


def test_help_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    _install(monkeypatch, rec)
    for argv in (
        ["kill", "--help"],
        ["kill", "-h"],
        ["help", "kill"],
        ["container", "kill", "--help", "x"],
    ):
        status, out, _ = _run(*argv)
        assert status == 0
        assert "Usage:  dockyard " in out and "kill [OPTIONS] CONTAINER [CONTAINER...]" in out
    assert rec.calls == []
    status, out, err = _run("container")
    assert (status, out) == (0, "")
    assert err.startswith("Usage:  dockyard container COMMAND\n")
    status, out, _ = _run("container", "--help")
    assert status == 0 and out.startswith("Usage:  dockyard container COMMAND\n")
    status, out, err = _run()
    assert status == 0 and out == "" and err.startswith("Usage:  dockyard [OPTIONS] COMMAND\n")
    assert _run("help", "nope") == (1, "", "unknown help topic: nope\n")


def test_unknown_commands() -> None:
    assert _run("nope") == (
        1,
        "",
        "dockyard: unknown command: dockyard nope\n\nRun 'dockyard --help' for more information\n",
    )
    assert _run("container", "nope") == (
        1,
        "",
        "dockyard: unknown command: dockyard container nope\n\nUsage:  dockyard container\n\n"
        "Run 'dockyard container --help' for more information\n",
    )
    status, _, err = _run("container", "--nope")
    assert status == 125
    assert err.startswith("unknown flag: --nope\n\nUsage:  dockyard container\n")


def test_alias_runs_under_the_verbs_name(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder()
    _install(monkeypatch, rec, min_args=0, module="dockyard.cli.commands.container.ls")
    assert _run("container", "list")[0] == 0
    assert _run("ps")[0] == 0
    assert [c[0] for c in rec.calls] == ["dockyard container ls", "dockyard ps"]


def test_version_flag_and_log_level() -> None:
    status, out, _ = _run("--version")
    assert status == 0
    assert out.startswith("Dockyard version 0.1.0, build ")
    assert _run("-l", "loud", "ps") == (1, "", "Unable to parse logging level: loud\n")
