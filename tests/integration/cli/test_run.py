"""`dockyard run` / `create` against a real dockyardd: exit codes, stdin, and the create
body as inspect shows it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def names(dockyardd: Dockyardd) -> Iterator[list[str]]:
    """Names to give containers; every one is removed afterwards."""
    made: list[str] = []
    yield made
    for name in made:
        run_cli(dockyardd.host, "rm", "-f", name)


def unique(names: list[str]) -> str:
    name = f"t-{secrets.token_hex(3)}"
    names.append(name)
    return name


def inspect(dockyardd: Dockyardd, name: str) -> dict[str, object]:
    """The container as the API shows it (`dockyard inspect` is another helper's; the body
    our CLI sent is what is under test here)."""
    found = dockyardd.api_json("GET", f"/containers/{name}/json")
    assert isinstance(found, dict)
    return found


def exists(dockyardd: Dockyardd, name: str) -> bool:
    return dockyardd.api("GET", f"/containers/{name}/json")[0] == 200


def test_run_rm_echo(dockyardd: Dockyardd, names: list[str]) -> None:
    name = unique(names)
    result = run_cli(dockyardd.host, "run", "--rm", "--name", name, "busybox", "echo", "hello")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "")
    assert not exists(dockyardd, name)  # --rm removed it


def test_exit_status_is_the_containers(dockyardd: Dockyardd, names: list[str]) -> None:
    result = run_cli(
        dockyardd.host, "run", "--name", unique(names), "busybox", "sh", "-c", "exit 3"
    )
    assert result.returncode == 3


def test_stdout_and_stderr_stay_apart(dockyardd: Dockyardd, names: list[str]) -> None:
    result = run_cli(
        dockyardd.host, "run", "--name", unique(names), "busybox", "sh", "-c", "echo o; echo e >&2"
    )
    assert (result.stdout, result.stderr) == ("o\n", "e\n")


def test_missing_command_is_127(dockyardd: Dockyardd, names: list[str]) -> None:
    result = run_cli(dockyardd.host, "run", "--name", unique(names), "busybox", "nosuchcommand")
    assert result.returncode == 127
    assert result.stderr.startswith("dockyard: Error response from daemon: ")
    assert "executable file not found" in result.stderr
    assert result.stderr.endswith("\n\nRun 'dockyard run --help' for more information\n")


def test_bad_flag_is_125(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "run", "--bogus", "busybox")
    assert result.returncode == 125
    assert result.stderr.startswith("unknown flag: --bogus")
    result = run_cli(dockyardd.host, "run", "-p", "80/xx", "busybox")
    assert result.returncode == 125
    assert result.stderr == (
        "dockyard: invalid proto: xx\n\nRun 'dockyard run --help' for more information\n"
    )
    result = run_cli(dockyardd.host, "run", "--ulimit", "bogus=1", "busybox")
    assert result.returncode == 125
    assert result.stderr.startswith(
        'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus\n\nUsage:'
    )


def test_stdin_is_piped_and_half_closed(dockyardd: Dockyardd, names: list[str]) -> None:
    result = run_cli(
        dockyardd.host, "run", "-i", "--name", unique(names), "busybox", "cat", input="hi\nthere\n"
    )
    assert (result.returncode, result.stdout) == (0, "hi\nthere\n")


def test_detached_then_logs(dockyardd: Dockyardd, names: list[str]) -> None:
    name = unique(names)
    result = run_cli(dockyardd.host, "run", "-d", "--name", name, "busybox", "echo", "bg")
    assert result.returncode == 0, result.stderr
    cid = result.stdout.strip()
    assert len(cid) == 64
    assert run_cli(dockyardd.host, "wait", name).stdout == "0\n"
    assert run_cli(dockyardd.host, "logs", name).stdout == "bg\n"


def test_env_and_labels_land_in_inspect(
    dockyardd: Dockyardd, names: list[str], tmp_path: Path
) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=1\n\n")
    label_file = tmp_path / "labels"
    label_file.write_text("lf=yes\n")
    name = unique(names)
    result = run_cli(
        dockyardd.host,
        "create", "--name", name, "-e", "A=b c", "--env-file", str(env_file), "-l", "k=v",
        "--label-file", str(label_file), "busybox",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = inspect(dockyardd, name)
    config = info["Config"]
    assert isinstance(config, dict)
    assert "A=b c" in config["Env"] and "FROM_FILE=1" in config["Env"]
    assert config["Labels"] == {"k": "v", "lf": "yes"}


def test_host_config_as_inspect_shows_it(dockyardd: Dockyardd, names: list[str]) -> None:
    name = unique(names)
    result = run_cli(
        dockyardd.host,
        "create", "--name", name, "--tmpfs", "/run:size=1m", "--ulimit", "nofile=1024:2048",
        "--cap-add", "net_admin", "--cap-drop", "mknod", "--device", "/dev/null:/dev/xnull:r",
        "-v", "/tmp:/hosttmp:ro", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m",
        "-m", "64m", "--pids-limit", "50", "--restart", "on-failure:2", "-h", "box",
        "-w", "/tmp", "--entrypoint", "sh", "busybox", "-c", "true",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = inspect(dockyardd, name)
    hc = info["HostConfig"]
    assert isinstance(hc, dict)
    assert hc["Tmpfs"] == {"/run": "size=1m"}
    assert hc["Ulimits"] == [{"Name": "nofile", "Hard": 2048, "Soft": 1024}]
    assert hc["CapAdd"] == ["CAP_NET_ADMIN"] and hc["CapDrop"] == ["CAP_MKNOD"]
    assert hc["Devices"] == [
        {"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull", "CgroupPermissions": "r"}
    ]
    assert hc["Binds"] == ["/tmp:/hosttmp:ro"]
    assert hc["Mounts"][0]["Type"] == "tmpfs" and hc["Mounts"][0]["Target"] == "/t"
    assert (hc["Memory"], hc["PidsLimit"]) == (64 << 20, 50)
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    config = info["Config"]
    assert isinstance(config, dict)
    assert (config["Hostname"], config["WorkingDir"], config["Entrypoint"]) == (
        "box",
        "/tmp",
        ["sh"],
    )


def test_publish_lands_in_inspect_or_is_refused_as_docker(
    dockyardd: Dockyardd, names: list[str]
) -> None:
    name = unique(names)
    result = run_cli(
        dockyardd.host, "create", "--name", name, "-p", "127.0.0.1:18080:80", "--expose", "90",
        "busybox",
    )  # fmt: skip
    if result.returncode != 0:  # ports arrive with the networking issue
        assert result.returncode == 1 and result.stderr.startswith("Error response from daemon:")
        return
    info = inspect(dockyardd, name)
    assert info["HostConfig"]["PortBindings"] == {  # type: ignore[index]
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]
    }
    assert set(info["Config"]["ExposedPorts"]) == {"80/tcp", "90/tcp"}  # type: ignore[index]


def test_named_volume_refused_or_accepted(dockyardd: Dockyardd, names: list[str]) -> None:
    name = unique(names)
    result = run_cli(dockyardd.host, "run", "--name", name, "-v", "vol1:/x", "busybox", "true")
    if result.returncode != 0:  # named volumes arrive with the volumes issue
        assert result.returncode == 125
        assert result.stderr.startswith("dockyard: Error response from daemon: ")
        assert result.stderr.endswith("Run 'dockyard run --help' for more information\n")


def test_name_conflict(dockyardd: Dockyardd, names: list[str]) -> None:
    name = unique(names)
    assert run_cli(dockyardd.host, "create", "--name", name, "busybox").returncode == 0
    result = run_cli(dockyardd.host, "run", "--name", name, "busybox", "true")
    assert result.returncode == 125
    assert "Conflict" in result.stderr and name in result.stderr
    result = run_cli(dockyardd.host, "create", "--name", name, "busybox")
    assert result.returncode == 1
    assert result.stderr.startswith("Error response from daemon: Conflict")


def test_create_prints_id_and_cidfile(
    dockyardd: Dockyardd, names: list[str], tmp_path: Path
) -> None:
    name = unique(names)
    cidfile = tmp_path / "cid"
    result = run_cli(dockyardd.host, "create", "--name", name, "--cidfile", str(cidfile), "busybox")
    assert result.returncode == 0, result.stderr
    assert cidfile.read_text() == result.stdout.strip()
    again = run_cli(dockyardd.host, "create", "--cidfile", str(cidfile), "busybox")
    assert again.returncode == 1
    assert "container ID file found" in again.stderr


def test_missing_image_is_pulled_as_docker_does(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "create", "--pull", "missing", "no-such-image-xyz:1")
    assert result.returncode != 0
    assert result.stderr.startswith("Unable to find image 'no-such-image-xyz:1' locally\n")
    result = run_cli(dockyardd.host, "create", "--pull", "never", "no-such-image-xyz:1")
    assert "Unable to find image" not in result.stderr and result.returncode == 1


def test_start_attach_returns_the_status(dockyardd: Dockyardd, names: list[str]) -> None:
    name = unique(names)
    made = run_cli(
        dockyardd.host, "create", "--name", name, "busybox", "sh", "-c", "echo out; exit 2"
    )
    assert made.returncode == 0, made.stderr
    result = run_cli(dockyardd.host, "start", "-a", name)
    assert (result.returncode, result.stdout) == (2, "out\n")


def test_start_several_and_a_missing_one(dockyardd: Dockyardd, names: list[str]) -> None:
    a, b = unique(names), unique(names)
    for name in (a, b):
        assert (
            run_cli(dockyardd.host, "create", "--name", name, "busybox", "sleep", "30").returncode
            == 0
        )
    result = run_cli(dockyardd.host, "start", a, "nosuch-xyz", b)
    assert result.returncode == 1
    assert result.stdout == f"{a}\n{b}\n"
    assert "No such container: nosuch-xyz" in result.stderr
    assert result.stderr.endswith("Error: failed to start containers: nosuch-xyz\n")
