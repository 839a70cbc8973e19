"""Golden tests: `dockyard` prints what the real docker CLI (28) prints, on the same daemon.

Both CLIs run back to back against one daemon: the session's dockyardd for containers,
images, inspect, history, version and port; networks and volumes on both the session's Debian
dockerd and dockyardd. Outputs must be byte for byte the same, exit statuses too. The
only tolerance: relative times ("5 seconds ago", "Up 3 seconds") can tick between the two
runs, so a pair that differs is run again (up to 3 times), and the last comparison replaces
those phrases on both sides with one placeholder; nothing else is normalised.

The containers are made by docker itself (the reference), so the fixtures never depend on
the CLI under test. Run alone (other tests creating containers meanwhile change `ps -a`).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator, Mapping

import pytest

from tests.support.cli import run_cli
from tests.support.dockerd import Docker
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.compat]

DOCKER = "/usr/local/bin/docker"  # docker 28.2; 20.10 (/usr/bin/docker) differs in places
_TIME = re.compile(r"(?:\d+|About an?|Less than a) (?:second|minute|hour)s?(?= ago|\s|$)")


def _docker(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKER, *args], env=dict(env), capture_output=True, text=True, timeout=60, check=False
    )


def _normalise_times(text: str) -> str:
    return _TIME.sub("<T>", text)


_API_VERSIONS: dict[str, str] = {}


def _docker_api_version(env: Mapping[str, str]) -> str:
    """The API version the reference CLI negotiates with this daemon (docker 28.2 speaks up to
    1.50). Ours is pinned to it: answers differ between versions (1.51 counts containers)."""
    host = env.get("DOCKER_HOST", "")
    if host not in _API_VERSIONS:
        out = _docker(env, "version", "--format", "{{.Client.APIVersion}}")
        _API_VERSIONS[host] = out.stdout.strip()
    return _API_VERSIONS[host]


def assert_same(host: str, env: Mapping[str, str], *args: str) -> str:
    """Run `docker ARGS` and `dockyard ARGS` back to back; same stdout, stderr and status."""
    pin = {"DOCKYARD_API_VERSION": _docker_api_version(env)}
    for _attempt in range(3):
        theirs = _docker(env, *args)
        ours = run_cli(host, *args, env=pin)
        got = (ours.returncode, ours.stdout, ours.stderr)
        want = (theirs.returncode, theirs.stdout, theirs.stderr)
        if got == want:
            return ours.stdout
    assert ours.returncode == theirs.returncode, f"{args}: {ours.stderr} / {theirs.stderr}"
    assert ours.stderr == theirs.stderr, args
    assert _normalise_times(ours.stdout) == _normalise_times(theirs.stdout), args
    return ours.stdout


@pytest.fixture(scope="module")
def daemon() -> Iterator[None]:
    if not os.access(DOCKER, os.X_OK):
        pytest.skip(f"needs {DOCKER}")
    yield None


@pytest.fixture(scope="module")
def containers(daemon: None, dockyardd: Dockyardd) -> Iterator[dict[str, str]]:
    """A running container (env, memory limit), a created one and an exited one, made by
    docker 28 on dockyardd; removed afterwards."""
    tag = secrets.token_hex(3)
    names = {
        "running": f"gold-run-{tag}",
        "created": f"gold-new-{tag}",
        "exited": f"gold-out-{tag}",
    }
    env = dockyardd.env
    try:
        made = [
            _docker(env, "run", "-d", "--name", names["running"], "-e", "A=1", "-e", "B=two",
                    "-m", "64m", "busybox", "sleep", "600"),
            _docker(env, "create", "--name", names["created"], "busybox", "echo", "hello world"),
            _docker(env, "run", "--name", names["exited"], "busybox", "true"),
        ]  # fmt: skip
        for result in made:
            assert result.returncode == 0, result.stderr
        yield names
    finally:
        _docker(env, "rm", "-f", *names.values())


# -- containers, images, inspect, history, version on dockyardd --------------------------------

PS_ARGS = [
    ("ps",),
    ("ps", "-a"),
    ("ps", "-a", "--no-trunc"),
    ("ps", "-a", "-q"),
    ("ps", "-a", "--format", "table {{.ID}}\t{{.Names}}\t{{.Status}}"),
    ("ps", "-a", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.State}}"),
    ("ps", "-a", "--format", "{{json .}}"),
    ("ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}"),
]


@pytest.mark.parametrize("args", PS_ARGS, ids=" ".join)
def test_ps_matches_docker(
    dockyardd: Dockyardd, containers: dict[str, str], args: tuple[str, ...]
) -> None:
    out = assert_same(dockyardd.host, dockyardd.env, *args)
    if "-a" in args:
        assert out.strip()


IMAGES_ARGS = [
    ("images",),
    ("images", "--digests"),
    ("images", "--no-trunc"),
    ("images", "-q"),
    ("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"),
    ("images", "--format", "table {{.Repository}}\t{{.Tag}}\t{{.CreatedSince}}"),
    ("image", "ls", "--format", "{{json .}}"),
]


@pytest.mark.parametrize("args", IMAGES_ARGS, ids=" ".join)
def test_images_matches_docker(dockyardd: Dockyardd, daemon: None, args: tuple[str, ...]) -> None:
    out = assert_same(dockyardd.host, dockyardd.env, *args)
    assert out


def test_inspect_format_of_a_container_matches_docker(
    dockyardd: Dockyardd, containers: dict[str, str]
) -> None:
    fmt = "{{.State.Status}} {{json .Config.Env}} {{.HostConfig.Memory}}"
    out = assert_same(
        dockyardd.host, dockyardd.env, "inspect", "--format", fmt, containers["running"]
    )
    assert out.startswith("running [") and out.endswith(" 67108864\n")
    fmt = "{{.Name}} {{.Config.Cmd}} {{.State.ExitCode}}"
    names = (containers["exited"], containers["created"])
    assert_same(dockyardd.host, dockyardd.env, "inspect", "-f", fmt, *names)
    assert_same(
        dockyardd.host,
        dockyardd.env,
        "container",
        "inspect",
        "-f",
        "{{json .Config}}",
        containers["created"],
    )


def test_inspect_format_of_an_image_matches_docker(dockyardd: Dockyardd, daemon: None) -> None:
    fmt = "{{.Id}} {{json .Config.Env}} {{.Os}}/{{.Architecture}} {{.Size}} {{.RepoTags}}"
    assert_same(dockyardd.host, dockyardd.env, "inspect", "--format", fmt, "busybox")
    assert_same(
        dockyardd.host, dockyardd.env, "image", "inspect", "-f", "{{json .RootFS}}", "busybox"
    )


def test_inspect_of_a_missing_object_matches_docker(dockyardd: Dockyardd, daemon: None) -> None:
    assert_same(
        dockyardd.host, dockyardd.env, "inspect", "--format", "{{.Id}}", "no-such-thing-xyz"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("history", "busybox"),
        ("history", "--no-trunc", "busybox"),
        ("history", "-q", "busybox"),
        ("history", "--format", "{{.ID}} {{.CreatedBy}} {{.Size}}", "busybox"),
    ],
    ids=" ".join,
)
def test_history_matches_docker(dockyardd: Dockyardd, daemon: None, args: tuple[str, ...]) -> None:
    assert_same(dockyardd.host, dockyardd.env, *args)


def test_version_format_matches_docker(dockyardd: Dockyardd, daemon: None) -> None:
    out = assert_same(
        dockyardd.host, dockyardd.env, "version", "--format", "{{.Server.APIVersion}}"
    )
    assert re.fullmatch(r"1\.\d+\n", out)


# -- networks and volumes on both daemons, ports on dockyardd ---------------------------------


@pytest.fixture(scope="module", params=["dockerd", "dockyardd"])
def objects(daemon: None, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A volume (with a label) and a network, made by docker 28 on the session's dockerd or
    on the session's dockyardd; "host" and the daemon's env ride along for the CLIs."""
    target: Docker | Dockyardd = request.getfixturevalue(request.param)
    env = target.env
    tag = secrets.token_hex(3)
    names = {"volume": f"gold-vol-{tag}", "network": f"gold-net-{tag}"}
    try:
        made = _docker(env, "volume", "create", "--label", "gold=1", names["volume"])
        assert made.returncode == 0, made.stderr
        # dockerd runs without a bridge here: a network of the null driver's kind is not
        # creatable, so an internal bridge is tried and the test lives without if refused.
        made = _docker(env, "network", "create", "--internal", names["network"])
        assert made.returncode == 0 or request.param == "dockerd", made.stderr
        yield {**names, "host": env["DOCKER_HOST"], "daemon": request.param}
    finally:
        _docker(env, "volume", "rm", "-f", names["volume"])
        _docker(env, "network", "rm", names["network"])


def _env(objects: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    return {**env, "DOCKER_HOST": objects["host"], "DOCKER_CONFIG": "/nonexistent-docker-config"}


@pytest.mark.parametrize(
    "args",
    [
        ("network", "ls"),
        ("network", "ls", "--no-trunc"),
        ("network", "ls", "-q"),
        ("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}}"),
        ("network", "ls", "--format", "table {{.Name}}\t{{.Driver}}"),
        ("network", "ls", "--filter", "driver=null", "--format", "{{.Name}}"),
        ("network", "ls", "--filter", "type=custom", "--format", "{{.Name}} {{.IPv6}}"),
    ],
    ids=" ".join,
)
def test_network_ls_matches_docker(objects: dict[str, str], args: tuple[str, ...]) -> None:
    out = assert_same(objects["host"], _env(objects), *args)
    assert out
    if objects["daemon"] == "dockyardd" and "type=custom" in args:
        assert objects["network"] in out


@pytest.mark.parametrize(
    "args",
    [
        ("volume", "ls"),
        ("volume", "ls", "-q"),
        ("volume", "ls", "--format", "{{.Name}}:{{.Driver}} {{.Labels}}"),
        ("volume", "ls", "--format", "table {{.Name}}\t{{.Mountpoint}}"),
        ("volume", "ls", "--filter", "label=gold"),
    ],
    ids=" ".join,
)
def test_volume_ls_matches_docker(objects: dict[str, str], args: tuple[str, ...]) -> None:
    out = assert_same(objects["host"], _env(objects), *args)
    assert objects["volume"] in out


@pytest.fixture(scope="module")
def published(daemon: None, dockyardd: Dockyardd) -> Iterator[str]:
    """busybox httpd with port 80 published on an ephemeral 127.0.0.1 port, made by docker
    28 on dockyardd; removed afterwards."""
    name = f"gold-port-{secrets.token_hex(3)}"
    try:
        made = _docker(
            dockyardd.env, "run", "-d", "--name", name, "-p", "127.0.0.1::80", "-p", "8081",
            "busybox", "httpd", "-f", "-p", "80",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        yield name
    finally:
        _docker(dockyardd.env, "rm", "-f", name)


@pytest.mark.parametrize(
    "args", [(), ("80",), ("80/tcp",), ("8081",), ("81",), ("80/udp",)], ids=" ".join
)
def test_port_matches_docker(dockyardd: Dockyardd, published: str, args: tuple[str, ...]) -> None:
    out = assert_same(dockyardd.host, dockyardd.env, "port", published, *args)
    if args in ((), ("80",)):
        assert re.search(r"^(80/tcp -> )?127\.0\.0\.1:\d+$", out, re.M), out


def test_port_of_a_missing_container_matches_docker(dockyardd: Dockyardd, daemon: None) -> None:
    assert_same(dockyardd.host, dockyardd.env, "port", "no-such-container-xyz")
