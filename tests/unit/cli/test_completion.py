"""`dockyard completion bash|zsh`: the generated script, driven by bash as a shell drives it
(COMP_WORDS / COMP_CWORD set, the completion function called, COMPREPLY read)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dockyard.cli.completion import bash_script, zsh_script

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="no bash")

# A stand-in for the CLI at completion time: it records its arguments and answers as
# `ps -a --format {{.Names}}` / `images --format ...` would.
FAKE_CLI = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
case " $* " in
  *" ps "*) printf 'web\\nworker\\ndb\\n' ;;
  *" images "*) printf 'busybox:latest\\nalpine:3.20\\n<none>:<none>\\n' ;;
esac
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("completion") / "dockyard.bash"
    path.write_text(bash_script())
    return path


@pytest.fixture
def fake_cli(tmp_path: Path) -> Path:
    cli = tmp_path / "dockyard"
    cli.write_text(FAKE_CLI)
    cli.chmod(0o755)
    return cli


def complete(script: Path, words: list[str]) -> list[str]:
    assert BASH is not None
    prog = (
        f'source "{script}"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _dockyard; '
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    result = subprocess.run(
        [BASH, "-c", prog, "bash", *words], capture_output=True, text=True, check=True
    )
    assert result.stderr == ""
    return result.stdout.split()


def test_commands_and_group_verbs(script: Path) -> None:
    assert complete(script, ["dockyard", "con"]) == ["container", "context"]
    assert complete(script, ["dockyard", "sys"]) == ["system"]
    assert complete(script, ["dockyard", "system", ""]) == ["df", "events", "info", "prune"]
    assert complete(script, ["dockyard", "context", "u"]) == ["update", "use"]
    assert complete(script, ["dockyard", "-D", "--context", "x", "ver"]) == ["version"]
    assert complete(script, ["dockyard", "completion", ""]) == ["bash", "zsh"]
    assert complete(script, ["dockyard", "help", "imag"]) == ["image", "images"]


def test_flags_per_verb(script: Path) -> None:
    assert complete(script, ["dockyard", "system", "prune", "--"]) == [
        "--force",
        "--all",
        "--volumes",
        "--filter",
        "--help",
    ]
    assert complete(script, ["dockyard", "--tls"]) == [
        "--tls",
        "--tlscacert",
        "--tlscert",
        "--tlskey",
        "--tlsverify",
    ]
    assert complete(script, ["dockyard", "inspect", "--t"]) == ["--type"]


def test_names_come_from_the_cli_with_the_global_flags(script: Path, fake_cli: Path) -> None:
    words = [str(fake_cli), "-H", "tcp://h:2375", "inspect", "w"]
    assert complete(script, words) == ["web", "worker"]
    calls = (fake_cli.parent / "calls").read_text()
    assert calls == "-H tcp://h:2375 ps -a --format {{.Names}}\n"
    assert complete(script, [str(fake_cli), "rmi", ""]) == ["busybox:latest", "alpine:3.20"]
    assert complete(script, [str(fake_cli), "system", "df", ""]) == []


def test_zsh_script_wraps_the_bash_one() -> None:
    text = zsh_script()
    assert text.startswith("#compdef dockyard\n")
    assert "bashcompinit" in text
    assert text.endswith(bash_script())
