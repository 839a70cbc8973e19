"""Contexts: create, ls, inspect, use (switching daemons), update, export/import, rm — in
docker's store layout under a private config directory."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from dockyard.cli.format.display import natural_key
from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]

NOWHERE = "unix:///nonexistent/dockyard.sock"


def _cli(config: Path, *args: str, host: str = "") -> tuple[int, str, str]:
    # No DOCKYARD_HOST: the context decides which daemon answers.
    result = run_cli(host, *args, config_dir=config, env={} if host else {"DOCKYARD_HOST": ""})
    return result.returncode, result.stdout, result.stderr


def test_contexts_switch_daemons(dockyardd: Dockyardd, tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    good, bad = f"t-{secrets.token_hex(3)}", f"t-{secrets.token_hex(3)}"
    status, out, err = _cli(
        cfg, "context", "create", good, "--docker", f"host={dockyardd.host}",
        "--description", "the test daemon",
    )  # fmt: skip
    assert (status, out, err) == (0, f"{good}\n", f'Successfully created context "{good}"\n')
    assert _cli(cfg, "context", "create", bad, "--docker", f"host={NOWHERE}")[0] == 0

    status, out, _ = _cli(cfg, "context", "ls")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "DESCRIPTION", "DOCKER", "ENDPOINT", "ERROR"]
    names = [line.split()[0] for line in lines[1:]]
    # docker sorts contexts in natural order: "t-91d767" before "t-821693"
    assert names == sorted([good, bad, "default"], key=natural_key)
    assert any(line.startswith("default *") for line in lines)

    assert _cli(cfg, "context", "use", good)[1:] == (
        f"{good}\n",
        f'Current context is now "{good}"\n',
    )
    assert json.loads((cfg / "config.json").read_text())["currentContext"] == good
    status, out, _ = _cli(cfg, "version", "--format", "{{.Server.Version}} {{.Client.Context}}")
    assert (status, out) == (0, f"0.1.0 {good}\n")
    assert _cli(cfg, "context", "show")[1] == f"{good}\n"
    status, out, _ = _cli(cfg, "context", "ls", "--format", "{{.Name}} {{.Current}}")
    assert f"{good} true" in out.splitlines()

    assert _cli(cfg, "context", "use", bad)[0] == 0
    status, _, err = _cli(cfg, "ps")
    assert status == 1
    assert err.startswith(f"Cannot connect to the dockyard daemon at {NOWHERE}")
    # --context overrides the current one; -H overrides both.
    assert _cli(cfg, "--context", good, "info", "-f", "{{.OSType}}")[1] == "linux\n"
    assert _cli(cfg, "-H", dockyardd.host, "info", "-f", "{{.OSType}}")[1] == "linux\n"

    status, _, err = _cli(cfg, "context", "rm", bad)
    assert (status, err) == (1, f'context "{bad}" is in use, set -f flag to force remove\n')
    assert _cli(cfg, "context", "rm", "-f", bad)[:2] == (0, f"{bad}\n")
    assert _cli(cfg, "context", "show")[1] == "default\n"
    assert _cli(cfg, "context", "rm", good, "default")[2] == 'context "default" cannot be removed\n'
    status, _, err = _cli(cfg, "context", "rm", good)
    assert (status, err) == (1, f'context "{good}" does not exist\n')


def test_context_inspect_update_export_import(dockyardd: Dockyardd, tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    name, copy = f"t-{secrets.token_hex(3)}", f"t-{secrets.token_hex(3)}"
    assert _cli(cfg, "context", "create", name, "--docker", f"host={dockyardd.host}")[0] == 0
    status, out, _ = _cli(cfg, "context", "inspect", name)
    assert status == 0
    [obj] = json.loads(out)
    assert obj["Name"] == name
    assert obj["Endpoints"]["docker"] == {"Host": dockyardd.host, "SkipTLSVerify": False}
    assert obj["Storage"]["MetadataPath"].startswith(str(cfg / "contexts" / "meta"))

    assert _cli(cfg, "context", "update", name, "--description", "changed")[0] == 0
    fmt = "{{.Metadata.Description}} {{.Endpoints.docker.Host}}"
    assert _cli(cfg, "context", "inspect", "-f", fmt, name)[1] == f"changed {dockyardd.host}\n"

    archive = tmp_path / "ctx.tar"
    status, _, err = _cli(cfg, "context", "export", name, str(archive))
    assert (status, err) == (0, f'Written file "{archive}"\n')
    assert _cli(cfg, "context", "import", copy, str(archive))[:2] == (0, f"{copy}\n")
    status, out, _ = _cli(cfg, "--context", copy, "version", "-f", "{{.Server.Version}}")
    assert (status, out) == (0, "0.1.0\n")

    status, _, err = _cli(cfg, "context", "create", name)
    assert (status, err) == (1, f'context "{name}" already exists\n')
    status, _, err = _cli(cfg, "context", "create", "x-y", "--docker", "bogus=1")
    assert status == 1
    assert "unrecognized config key: bogus" in err
    status, out, err = _cli(cfg, "context", "inspect", "no-such-context")
    assert (status, out) == (1, "[]\n")
    assert err.startswith('context "no-such-context": context not found: ')


def test_context_create_without_docker_copies_the_current_one(
    dockyardd: Dockyardd, tmp_path: Path
) -> None:
    cfg = tmp_path / "config"
    name = f"t-{secrets.token_hex(3)}"
    result = run_cli(dockyardd.host, "context", "create", name, config_dir=cfg)
    assert result.returncode == 0, result.stderr
    host = run_cli(
        dockyardd.host, "context", "inspect", "-f", "{{.Endpoints.docker.Host}}", name,
        config_dir=cfg,
    )  # fmt: skip
    assert host.stdout == f"{dockyardd.host}\n"
    ls = run_cli(dockyardd.host, "context", "ls", "-q", config_dir=cfg)
    assert ls.stdout.split() == sorted(["default", name])
    assert ls.stderr.startswith("Warning: DOCKYARD_HOST environment variable overrides")
