"""`--help` in docker 28's layout (cli/help.py), checked against docker's own text."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess

import pytest

from dockyard.cli import help as helptext
from dockyard.cli import tree
from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.main import global_flags

DOCKER = shutil.which("docker", path="/usr/local/bin")

FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates"
)

PS = Command(
    name="ls",
    usage="[OPTIONS]",
    short="List containers",
    run=lambda cli, opts, args: 0,
    aliases=("list", "ps"),
    max_args=0,
    flags=flags(
        Flag(name="quiet", short="q", help="Only display container IDs"),
        Flag(name="size", short="s", help="Display total file sizes"),
        Flag(name="all", short="a", help="Show all containers (default shows just running)"),
        Flag(name="no-trunc", help="Don't truncate output"),
        Flag(
            name="latest",
            short="l",
            help="Show the latest created container (includes all states)",
        ),
        Flag(
            name="last",
            short="n",
            type="int",
            default=-1,
            help="Show n last created containers (includes all states)",
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(
            name="filter",
            short="f",
            type="filter",
            help="Filter output based on conditions provided",
        ),
        Flag(name="hidden-one", hidden=True, help="not shown"),
    ),
)

PS_HELP = """\
Usage:  dockyard ps [OPTIONS]

List containers

Aliases:
  dockyard container ls, dockyard container list, dockyard container ps, dockyard ps

Options:
  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
  -n, --last int        Show n last created containers (includes all
                        states) (default -1)
  -l, --latest          Show the latest created container (includes all
                        states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes
"""


def _docker(*args: str) -> str:
    assert DOCKER is not None
    out = subprocess.run([DOCKER, *args], capture_output=True, text=True, check=True).stdout
    # Only the program name in command paths: docker's descriptions keep their words.
    return re.sub(r"(Usage:  |'|, |^  )docker\b", r"\1dockyard", out, flags=re.MULTILINE)


def test_command_help_matches_docker_ps() -> None:
    text = helptext.command_help("dockyard ps", "dockyard.cli.commands.container.ls", PS, width=80)
    assert text == PS_HELP


@pytest.mark.skipif(DOCKER is None, reason="no docker 28 CLI at /usr/local/bin")
def test_command_help_is_byte_for_byte_dockers() -> None:
    text = helptext.command_help(
        "dockyard container ls", "dockyard.cli.commands.container.ls", PS, width=80
    )
    assert text == _docker("container", "ls", "--help")


def test_aliases_line_lists_group_form_aliases_shortcuts_then_other_groups() -> None:
    build = Command(name="build", usage="[OPTIONS] PATH", short="b", run=PS.run)
    assert helptext.command_aliases("dockyard build", "image.build", build) == (
        "dockyard image build, dockyard build, dockyard builder build"
    )
    df = Command(name="df", usage="[OPTIONS]", short="d", run=PS.run)
    assert helptext.command_aliases("dockyard system df", "system.df", df) == ""
    info = Command(name="info", usage="[OPTIONS]", short="d", run=PS.run)
    assert helptext.command_aliases("dockyard info", "system.info", info) == (
        "dockyard system info, dockyard info"
    )


def test_command_without_visible_flags_has_no_options_section() -> None:
    rename = Command(
        name="rename", usage="CONTAINER NEW_NAME", short="Rename a container", run=PS.run
    )
    assert helptext.command_help("dockyard rename", "container.rename", rename) == (
        "Usage:  dockyard rename CONTAINER NEW_NAME\n\nRename a container\n\n"
        "Aliases:\n  dockyard container rename, dockyard rename\n"
    )


@pytest.mark.skipif(DOCKER is None, reason="no docker 28 CLI at /usr/local/bin")
@pytest.mark.parametrize("group", ["container", "image", "network", "system", "context"])
def test_group_help_is_dockers(group: str) -> None:
    assert helptext.group_help(group) == _docker(group, "--help")


def _section(text: str, title: str) -> str:
    return text.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]


@pytest.mark.skipif(DOCKER is None, reason="no docker 28 CLI at /usr/local/bin")
def test_top_help_sections_are_dockers() -> None:
    ours = helptext.top_help(global_flags(), width=80)
    theirs = _docker("--help")
    assert ours.startswith("Usage:  dockyard [OPTIONS] COMMAND\n\nA self-sufficient runtime")
    for title in ("Common Commands", "Commands"):
        assert _section(ours, title) == _section(theirs, title)
    assert ours.endswith(theirs[theirs.index("\nRun 'dockyard COMMAND") :])
    theirs_global = _section(theirs, "Global Options").replace("DOCKER_HOST", "DOCKYARD_HOST")
    ours_global = _section(ours, "Global Options")
    # The context flag's help names DOCKYARD_HOST and is longer: it wraps on other words.
    drop = ("-c, --context", "daemon (overrides", "default context set")
    keep = [line for line in theirs_global.splitlines() if not any(d in line for d in drop)]
    assert [line for line in ours_global.splitlines() if not any(d in line for d in drop)] == keep


def test_every_verb_module_short_matches_the_table() -> None:
    """Modules that have landed must say what the help table says (docker's words)."""
    modules = {m for _, verbs in tree.GROUPS.values() for m in verbs.values()}
    modules |= set(tree.COMMON.values()) | set(tree.SHORTCUTS.values())
    assert modules <= set(helptext.SHORT)
    for module in sorted(modules):
        try:
            mod = importlib.import_module(tree.MODULE_PREFIX + module)
        except ImportError:
            continue
        assert mod.COMMAND.short.startswith(helptext.SHORT[module]), module


def test_flag_usages_default_texts() -> None:
    fl = flags(
        Flag(name="level", type="string", default="info", help="Level"),
        Flag(name="sig-proxy", default=True, help="Proxy"),
        Flag(name="stop", type="string", help_default='"SIGTERM"', help="Signal"),
        Flag(name="cpus", type="decimal", help="CPUs"),
        Flag(name="x", type="list", help="a `value` here"),
    )
    assert helptext.flag_usages(fl) == (
        "      --cpus decimal   CPUs\n"
        '      --level string   Level (default "info")\n'
        "      --sig-proxy      Proxy (default true)\n"
        '      --stop string    Signal (default "SIGTERM")\n'
        "      --x value        a value here\n"
    )
