"""version, info, events, system df, system prune and the generic inspect against the
session's dockyardd, compared with the docker 28 CLI where both can talk to it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]

DOCKER = "/usr/local/bin/docker"


def _docker(daemon: Dockyardd, *args: str) -> subprocess.CompletedProcess[str]:
    if not os.access(DOCKER, os.X_OK):
        pytest.skip("no docker 28 CLI at /usr/local/bin/docker")
    env = {**daemon.env, "DOCKER_CONFIG": "/nonexistent-docker-config"}
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, env=env, timeout=60)


def _create(daemon: Dockyardd, name: str) -> str:
    created = daemon.api_json(
        "POST", f"/containers/create?name={name}", {"Image": "busybox", "Cmd": ["true"]}
    )
    return str(created["Id"])


def _remove(daemon: Dockyardd, name: str) -> None:
    daemon.api("DELETE", f"/containers/{name}?force=1")


def test_version_prints_client_and_server(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Client:"
    assert lines[1].startswith(" Version:           0.1.0")
    assert " Context:           default" in lines
    server = lines[lines.index("") + 1 :]
    assert server[0].startswith("Server:")
    assert server[1] == " Engine:"
    assert server[2] == "  Version:          0.1.0"
    # The Server half is docker's own rendering of the same /version answer.
    theirs = _docker(dockyardd, "version").stdout
    assert result.stdout.split("\n\n", 1)[1] == theirs.split("\n\n", 1)[1]


def test_version_format(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "version", "--format", "{{.Server.Version}}")
    assert result.stdout == "0.1.0\n"
    data = json.loads(run_cli(dockyardd.host, "version", "-f", "json").stdout)
    assert data["Client"]["Version"] == "0.1.0"
    assert data["Server"]["ApiVersion"]
    bad = run_cli(dockyardd.host, "version", "-f", "{{.Foo")
    assert bad.returncode == 64
    assert bad.stderr.startswith("template parsing error: ")


def _map_order(lines: list[str]) -> list[str]:
    """docker prints the runtimes in Go map order (random): compare them as a set."""
    prefix = " Runtimes: "
    return [
        prefix + " ".join(sorted(line[len(prefix) :].split())) if line.startswith(prefix) else line
        for line in lines
    ]


def test_info_server_section_is_dockers(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "info")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Client:\n Version:    0.1.0\n Context:    default\n Debug Mode: false\n\nServer:\n"
    )
    theirs = _docker(dockyardd, "info")
    assert theirs.returncode == 0, theirs.stderr
    # Containers/Images counts can move between the two calls when other tests run; the
    # rest of the section is docker's text exactly.
    ours = _map_order(result.stdout.split("\nServer:\n", 1)[1].splitlines())
    want = _map_order(theirs.stdout.split("\nServer:\n", 1)[1].splitlines())
    assert ours[5:] == want[5:]
    assert ours[0].startswith(" Containers: ")


def test_info_format(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "info", "--format", "{{.OSType}}/{{.ClientInfo.Context}}")
    assert (result.returncode, result.stdout) == (0, "linux/default\n")
    data = json.loads(run_cli(dockyardd.host, "info", "-f", "json").stdout)
    assert data["ClientInfo"]["Version"] == "0.1.0"
    assert "ServerVersion" in data


def test_events_since_until_show_a_created_container(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    start = int(time.time()) - 1
    cid = _create(dockyardd, name)
    try:
        time.sleep(1.1)  # --until is whole seconds here
        until = str(int(time.time()) + 1)
        result = run_cli(
            dockyardd.host,
            "events",
            "--since",
            str(start),
            "--until",
            until,
            "--filter",
            f"container={name}",
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines, result
        assert f" container create {cid} (image=busybox, name={name})" in lines[0]
        assert lines[0][:4].isdigit() and lines[0][10] == "T"
        formatted = run_cli(
            dockyardd.host,
            "events",
            "--since",
            str(start),
            "--until",
            until,
            "-f",
            f"container={name}",
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        )
        assert formatted.stdout.splitlines()[0] == f"container create {name}"
        as_json = run_cli(
            dockyardd.host, "events", "--since", str(start), "--until", until,
            "-f", f"container={name}", "--format", "json",
        )  # fmt: skip
        assert json.loads(as_json.stdout.splitlines()[0])["Actor"]["ID"] == cid
    finally:
        _remove(dockyardd, name)


def test_events_streams_until_interrupted(dockyardd: Dockyardd) -> None:
    import signal

    from tests.support.cli import MAIN, cli_env

    env = cli_env(dockyardd.host, config_dir="/nonexistent-config")
    proc = subprocess.Popen(
        [*MAIN, "events", "--format", "{{.Action}} {{.Actor.Attributes.name}}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    name = f"t-{secrets.token_hex(3)}"
    try:
        time.sleep(1.5)
        _create(dockyardd, name)
        deadline = time.monotonic() + 20
        assert proc.stdout is not None
        line = ""
        while time.monotonic() < deadline and name not in line:
            line = proc.stdout.readline()
        assert line == f"create {name}\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _remove(dockyardd, name)


def test_system_df(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "system", "df")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert [line.split("  ")[0] for line in lines[1:]] == [
        "Images",
        "Containers",
        "Local Volumes",
        "Build Cache",
    ]
    verbose = run_cli(dockyardd.host, "system", "df", "-v")
    assert "Images space usage:" in verbose.stdout
    assert "busybox" in verbose.stdout
    rows = [
        json.loads(x)
        for x in run_cli(dockyardd.host, "system", "df", "--format", "json").stdout.splitlines()
    ]
    assert [r["Type"] for r in rows] == ["Images", "Containers", "Local Volumes", "Build Cache"]


def test_system_prune_prompt_can_be_declined(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    _create(dockyardd, name)
    try:
        result = run_cli(dockyardd.host, "system", "prune", input="n\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout == (
            "WARNING! This will remove:\n"
            "  - all stopped containers\n"
            "  - all networks not used by at least one container\n"
            "  - all dangling images\n"
            "  - unused build cache\n"
            "\nAre you sure you want to continue? [y/N] "
        )
        status, _, _ = dockyardd.api("GET", f"/containers/{name}/json")
        assert status == 200
    finally:
        _remove(dockyardd, name)


def test_system_prune_force_removes_stopped_containers(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    label = f"t-prune-{secrets.token_hex(3)}"
    created = dockyardd.api_json(
        "POST",
        f"/containers/create?name={name}",
        {"Image": "busybox", "Cmd": ["true"], "Labels": {label: "1"}},
    )
    net = dockyardd.api_json(
        "POST", "/networks/create", {"Name": name, "Internal": True, "Labels": {label: "1"}}
    )
    try:
        result = run_cli(dockyardd.host, "system", "prune", "-f", "--filter", f"label={label}")
        assert result.returncode == 0, result.stderr
        assert result.stdout == (
            f"Deleted Containers:\n{created['Id']}\n\n"
            f"Deleted Networks:\n{name}\n\n"
            "Total reclaimed space: 0B\n"
        )
        status, _, _ = dockyardd.api("GET", f"/networks/{net['Id']}")
        assert status == 404
    finally:
        _remove(dockyardd, name)
        dockyardd.api("DELETE", f"/networks/{net['Id']}")


def test_system_prune_until_with_volumes_is_refused(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "system", "prune", "-f", "--volumes", "--filter", "until=1h")
    assert (result.returncode, result.stderr) == (
        1,
        'ERROR: The "until" filter is not supported with "--volumes"\n',
    )


def test_inspect_finds_containers_and_images(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    cid = _create(dockyardd, name)
    try:
        result = run_cli(dockyardd.host, "inspect", name, "busybox")
        assert result.returncode == 0, result.stderr
        objects = json.loads(result.stdout)
        assert objects[0]["Id"] == cid
        assert objects[1]["RepoTags"] == ["busybox:latest"]
        assert result.stdout.startswith("[\n    {\n")
        typed = run_cli(dockyardd.host, "inspect", "--type", "image", "-f", "{{.Id}}", "busybox")
        assert typed.stdout.startswith("sha256:")
        sized = run_cli(dockyardd.host, "inspect", "-s", "-f", "{{.Id}}", "busybox")
        assert sized.stderr == "WARNING: --size ignored for image\n"
    finally:
        _remove(dockyardd, name)


def test_inspect_errors(dockyardd: Dockyardd) -> None:
    missing = run_cli(dockyardd.host, "inspect", "no-such-thing")
    assert (missing.returncode, missing.stdout) == (1, "[]\n")
    assert missing.stderr == "Error: No such object: no-such-thing\n"
    typed = run_cli(dockyardd.host, "inspect", "--type", "container", "no-such-thing")
    assert typed.stderr == "Error response from daemon: No such container: no-such-thing\n"
    partial = run_cli(dockyardd.host, "inspect", "-f", "{{.Id}}", "nope", "busybox")
    assert partial.returncode == 1
    assert partial.stdout.startswith("sha256:")
    assert partial.stderr == "Error: No such object: nope\n"
    bad_type = run_cli(dockyardd.host, "inspect", "--type", "foo", "x")
    assert bad_type.returncode == 1
    assert bad_type.stderr.startswith('unknown type: "foo": must be one of "config", ')
