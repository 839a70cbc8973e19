"""The real docker CLI (Debian's 20.10, API 1.41, and 28.x where installed) against dockyardd.

Every test runs once per CLI. Expectations are Docker's observable behaviour (output, exit
codes, error messages); `DOCKYARD_COMPAT_REFERENCE=dockerd` runs the same tests against
Debian's dockerd to check the tests themselves (see conftest.py). Tests at the end compare
dockyardd with that dockerd side by side.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import secrets
import select
import signal
import struct
import subprocess
import tarfile
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.conftest import Engine, cli_params, failed, inspect, wait_for
from tests.support.dockerd import Docker

# SIGALRM timeouts fail the one test and still run the daemons' teardown; the thread method
# (the project default) ends the whole session and leaves daemons and shims behind.
pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(180, method="signal")]

IMAGE = "busybox:latest"
DEFAULT_CAPS = "00000000a80425fb"  # Docker's 14 default capabilities
# A loop that exits 0 on SIGTERM (PID 1 ignores signals it has no handler for).
SERVE = 'trap "exit 0" TERM; while true; do sleep 0.1; done'


@pytest.fixture(params=cli_params())
def docker(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Docker]:
    """The CLI under test pointed at the engine; removes what the test made by label."""
    cli = engine.docker(request.param)
    yield cli
    ids = cli("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if ids:
        cli("rm", "-f", *ids, check=False, timeout=120)


LABEL = "dockyard.test=compat-cli"


def name() -> str:
    return f"c{secrets.token_hex(5)}"


def run_d(docker: Docker, *args: str) -> str:
    """`docker run -d` labelled for cleanup; the full id."""
    cid = docker("run", "-d", "--label", LABEL, *args).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid), cid
    return cid


def client_api(docker: Docker) -> tuple[int, ...]:
    """The API version the CLI negotiated with the engine."""
    version = docker("version", "--format", "{{.Client.APIVersion}}").stdout.strip()
    return tuple(int(x) for x in version.split("."))


# -- system -------------------------------------------------------------------------------------


def test_version_reports_server_and_negotiated_api(docker: Docker, engine: Engine) -> None:
    proc = docker("version", "--format", "{{json .}}")
    doc = json.loads(proc.stdout)
    server = doc["Server"]
    assert server["Os"] == "linux" and server["Arch"], server
    api = tuple(int(x) for x in server["ApiVersion"].split("."))
    assert api >= (1, 41), server
    assert server["MinAPIVersion"] == "1.24" if engine.name == "dockyardd" else True
    client_api = tuple(int(x) for x in doc["Client"]["ApiVersion"].split("."))
    assert client_api <= api  # the CLI negotiated down to what the server speaks
    assert "error" not in proc.stderr.lower(), proc.stderr


def test_info_prints_without_errors(docker: Docker) -> None:
    proc = docker("info")
    assert "Server Version:" in proc.stdout, proc.stdout
    assert "ERROR" not in proc.stdout and "error" not in proc.stderr.lower(), failed(proc)
    doc = json.loads(docker("info", "--format", "{{json .}}").stdout)
    assert doc["OSType"] == "linux"
    assert doc["Images"] >= 1
    assert doc["Containers"] == (
        doc["ContainersRunning"] + doc["ContainersPaused"] + doc["ContainersStopped"]
    )
    assert doc["NCPU"] == os.cpu_count()


# -- run ----------------------------------------------------------------------------------------


def test_run_rm_passes_stdout_and_exit_code(docker: Docker) -> None:
    n = name()
    proc = docker(
        "run", "--rm", "--name", n, IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3",
        check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "out\n", "err\n"), failed(proc)
    # --rm: gone once run returns.
    assert docker("ps", "-aq", "--filter", f"name=^{n}$").stdout.strip() == ""


def test_run_passes_stdin(docker: Docker) -> None:
    proc = subprocess.run(
        [docker.cli, "run", "--rm", "-i", IMAGE, "tr", "a-z", "A-Z"],
        input="hello stdin\n",
        env=docker.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, "HELLO STDIN\n"), failed(proc)


def test_run_detached_shows_in_ps(docker: Docker) -> None:
    n = name()
    cid = run_d(docker, "--name", n, IMAGE, "sleep", "60")
    assert docker("ps", "-q", "--no-trunc").stdout.split().count(cid) == 1
    assert cid[:12] in docker("ps", "-q").stdout.split()
    line = docker("ps", "--filter", f"id={cid}", "--format", "{{.Names}}|{{.Status}}|{{.Command}}")
    names, status, command = line.stdout.strip().split("|")
    assert names == n
    assert status.startswith("Up "), status
    assert command == '"sleep 60"'
    assert inspect(docker, cid, "{{.State.Status}} {{.State.Running}}") == "running true"
    assert int(inspect(docker, cid, "{{.State.Pid}}")) > 0


def test_ps_all_and_filters(docker: Docker) -> None:
    tag = secrets.token_hex(4)
    running = run_d(docker, "--label", f"set={tag}", IMAGE, "sleep", "60")
    exited = run_d(docker, "--label", f"set={tag}", IMAGE, "sh", "-c", "exit 2")
    docker("wait", exited)
    by_label = docker("ps", "-aq", "--no-trunc", "--filter", f"label=set={tag}").stdout.split()
    assert sorted(by_label) == sorted([running, exited])
    # Without -a only running containers; newest first with -a.
    assert docker("ps", "-q", "--no-trunc", "--filter", f"label=set={tag}").stdout.split() == [
        running
    ]
    assert by_label == [exited, running]
    flt = ["--filter", f"label=set={tag}", "--filter", "status=exited"]
    assert docker("ps", "-aq", "--no-trunc", *flt).stdout.split() == [exited]
    assert docker("ps", "-aq", "--no-trunc", "--filter", f"label=set={tag}", "--filter",
                  "exited=2").stdout.split() == [exited]  # fmt: skip
    status = docker("ps", "-a", "--filter", f"id={exited}", "--format", "{{.Status}}")
    assert re.fullmatch(r"Exited \(2\) .* ago", status.stdout.strip()), status.stdout
    table = docker("ps", "-a", "--filter", f"label=set={tag}").stdout.splitlines()
    assert table[0].split() == [
        "CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"
    ]  # fmt: skip
    assert len(table) == 3


def test_logs_follow_until_exit(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "for i in 1 2 3 4; do echo line$i; sleep 0.3; done")
    start = time.monotonic()
    proc = docker("logs", "-f", cid, timeout=30)
    assert proc.stdout == "line1\nline2\nline3\nline4\n"
    assert time.monotonic() - start > 0.5  # it followed, it did not just read what was there
    assert docker("logs", "--tail", "2", cid).stdout == "line3\nline4\n"
    stamped = docker("logs", "-t", cid).stdout.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line1", stamped[0]), stamped


def test_logs_keep_streams_apart(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "echo to-out; echo to-err >&2")
    docker("wait", cid)
    proc = docker("logs", cid)
    assert (proc.stdout, proc.stderr) == ("to-out\n", "to-err\n")


# -- interactive: exec -it and attach under a pty -------------------------------------------------


class Terminal:
    """A docker CLI process on a pseudo-terminal, as a user at a shell runs it."""

    def __init__(self, docker: Docker, *args: str) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(
            [docker.cli, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=docker.env | {"TERM": "xterm"},
            start_new_session=True,
        )
        os.close(slave)
        self.seen = b""

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def expect(self, pattern: bytes, timeout: float = 15) -> bytes:
        deadline = time.monotonic() + timeout
        while pattern not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} on the terminal; saw {self.seen!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: the process closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"terminal closed before {pattern!r}; saw {self.seen!r}")
                self.seen += chunk
        return self.seen

    def wait(self, timeout: float = 20) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        try:
            os.close(self.master)
        except OSError:
            pass


def test_exec_it_runs_a_shell_on_a_tty(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sleep", "120")
    term = Terminal(docker, "exec", "-it", cid, "sh")
    try:
        term.send(b"tty; echo sum-$((20+22))\r")
        seen = term.expect(b"sum-42")
        assert b"/dev/pts/" in seen, seen
        term.send(b"exit 4\r")
        assert term.wait() == 4
    finally:
        term.close()


def test_attach_detaches_with_ctrl_p_ctrl_q(docker: Docker) -> None:
    cid = run_d(docker, "-it", IMAGE, "sh")
    term = Terminal(docker, "attach", cid)
    try:
        time.sleep(0.5)  # the attach is in place once the CLI has switched the terminal
        term.send(b"echo attached-$((2+3))\r")
        term.expect(b"attached-5")
        term.send(b"\x10\x11")  # ctrl-p ctrl-q
        term.wait()
    finally:
        term.close()
    assert inspect(docker, cid, "{{.State.Running}}") == "true"


def test_exec_output_exit_code_env_user_workdir(docker: Docker) -> None:
    cid = run_d(docker, "-e", "FROM_RUN=1", IMAGE, "sleep", "120")
    proc = docker(
        "exec", "-e", "FROM_EXEC=2", "-u", "1000", "-w", "/tmp", cid,
        "sh", "-c", "echo $FROM_RUN$FROM_EXEC $(id -u) $(pwd)",
    )  # fmt: skip
    assert proc.stdout == "12 1000 /tmp\n"
    assert docker("exec", cid, "sh", "-c", "exit 5", check=False).returncode == 5
    missing = docker("exec", cid, "/no/such/binary", check=False)
    assert missing.returncode in (126, 127), failed(missing)


# -- lifecycle ----------------------------------------------------------------------------------


def test_stop_start_restart(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", SERVE)
    docker("stop", cid)
    assert inspect(docker, cid, "{{.State.Status}} {{.State.ExitCode}}") == "exited 0"
    docker("start", cid)
    assert inspect(docker, cid, "{{.State.Status}}") == "running"
    started = inspect(docker, cid, "{{.State.StartedAt}}")
    pid = inspect(docker, cid, "{{.State.Pid}}")
    docker("restart", "-t", "5", cid)
    assert inspect(docker, cid, "{{.State.Status}}") == "running"
    assert inspect(docker, cid, "{{.State.StartedAt}}") != started
    assert inspect(docker, cid, "{{.State.Pid}}") != pid
    # A restart asked for by the user is not a policy restart.
    assert inspect(docker, cid, "{{.RestartCount}}") == "0"


def test_stop_kills_after_timeout(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sleep", "120")  # sleep as PID 1 ignores SIGTERM
    start = time.monotonic()
    docker("stop", "-t", "1", cid)
    assert time.monotonic() - start < 10
    assert inspect(docker, cid, "{{.State.ExitCode}}") == "137"


def test_kill_with_signal(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", 'trap "exit 42" USR1; while true; do sleep 0.1; done')
    docker("kill", "-s", "USR1", cid)
    assert docker("wait", cid).stdout.strip() == "42"
    proc = docker("kill", cid, check=False)
    assert proc.returncode != 0 and "is not running" in proc.stderr, failed(proc)


def test_rm_force_removes_a_running_container(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sleep", "120")
    refused = docker("rm", cid, check=False)
    assert refused.returncode != 0, failed(refused)
    # Docker 20.10: "You cannot remove a running container <id>. Stop the container before
    # attempting removal or force remove"; 28: "cannot remove container "/<name>": container
    # is running: stop the container before removing or force remove".
    assert re.search(
        r"(?i)(cannot remove a running container|container is running).*force remove",
        refused.stderr,
    ), failed(refused)
    docker("rm", "-f", cid)
    gone = docker("inspect", cid, check=False)
    assert gone.returncode == 1 and f"No such object: {cid}" in gone.stderr, failed(gone)


def test_inspect_formats(docker: Docker) -> None:
    n = name()
    cid = run_d(docker, "--name", n, "-e", "A=b", "-w", "/tmp", IMAGE, "sleep", "120")
    assert inspect(docker, n, "{{.Id}}") == cid
    assert inspect(docker, cid, "{{.Name}}") == f"/{n}"
    assert inspect(docker, cid, "{{.Config.Image}}") == IMAGE
    assert inspect(docker, cid, "{{json .Config.Cmd}}") == '["sleep","120"]'
    assert inspect(docker, cid, "{{.Path}} {{json .Args}}") == 'sleep ["120"]'
    assert inspect(docker, cid, "{{.Config.WorkingDir}}") == "/tmp"
    assert "A=b" in json.loads(inspect(docker, cid, "{{json .Config.Env}}"))
    assert inspect(docker, cid, "{{.HostConfig.RestartPolicy.Name}}") == "no"
    assert inspect(docker, cid, "{{.HostConfig.LogConfig.Type}}") == "json-file"
    assert inspect(docker, cid, "{{.Config.Hostname}}") == cid[:12]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", inspect(docker, cid, "{{.Image}}"))
    assert inspect(docker, cid, "{{.Image}}") == inspect(docker, IMAGE, "{{.Id}}")
    assert inspect(docker, cid, "{{.LogPath}}").endswith(f"/containers/{cid}/{cid}-json.log")
    assert docker("exec", cid, "hostname").stdout.strip() == cid[:12]
    doc = json.loads(docker("inspect", cid).stdout)
    assert isinstance(doc, list) and doc[0]["Id"] == cid
    assert docker("container", "inspect", "--format", "{{.State.Status}}", n).stdout == "running\n"


def test_wait_prints_the_exit_code(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "sleep 0.5; exit 7")
    assert docker("wait", cid).stdout.strip() == "7"
    assert docker("wait", cid).stdout.strip() == "7"  # already exited: answered at once


def test_pause_unpause(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sleep", "120")
    docker("pause", cid)
    assert inspect(docker, cid, "{{.State.Status}} {{.State.Paused}}") == "paused true"
    refused = docker("exec", cid, "true", check=False)
    assert refused.returncode != 0 and "is paused" in refused.stderr, failed(refused)
    assert "(Paused)" in docker("ps", "--filter", f"id={cid}", "--format", "{{.Status}}").stdout
    docker("unpause", cid)
    assert inspect(docker, cid, "{{.State.Status}} {{.State.Paused}}") == "running false"
    docker("exec", cid, "true")


def test_rename(docker: Docker) -> None:
    old, new = name(), name()
    cid = run_d(docker, "--name", old, IMAGE, "sleep", "120")
    docker("rename", old, new)
    assert inspect(docker, cid, "{{.Name}}") == f"/{new}"
    assert docker("inspect", old, check=False).returncode == 1
    assert docker("ps", "--filter", f"id={cid}", "--format", "{{.Names}}").stdout.strip() == new


def test_run_name_conflict(docker: Docker) -> None:
    n = name()
    cid = docker("create", "--label", LABEL, "--name", n, IMAGE, "true").stdout.strip()
    proc = docker("run", "--label", LABEL, "--name", n, IMAGE, "true", check=False)
    assert proc.returncode == 125, failed(proc)
    assert (
        f'Conflict. The container name "/{n}" is already in use by container "{cid}". '
        "You have to remove (or rename) that container to be able to reuse that name."
    ) in proc.stderr


def test_unknown_image_tries_to_pull_and_fails(docker: Docker) -> None:
    ref = "127.0.0.1:1/nope/img:latest"  # nothing listens on port 1: fails at once, offline
    proc = docker("run", "--rm", ref, "true", check=False, timeout=60)
    assert proc.returncode == 125, failed(proc)
    assert f"Unable to find image '{ref}' locally" in proc.stderr
    assert "docker: Error response from daemon:" in proc.stderr
    assert "127.0.0.1:1" in proc.stderr.split("Error response from daemon:")[1]
    missing = docker("inspect", "--type", "image", ref, check=False)
    assert missing.returncode == 1


def test_bad_memory_is_refused_with_dockers_message(docker: Docker) -> None:
    proc = docker("run", "--rm", "--memory", "1k", IMAGE, "true", check=False)
    assert proc.returncode == 125, failed(proc)
    assert "Minimum memory limit allowed is 6MB" in proc.stderr


def test_rm_restart_always_is_refused(docker: Docker) -> None:
    proc = docker("run", "--rm", "--restart", "always", IMAGE, "true", check=False)
    assert proc.returncode == 125, failed(proc)
    # The CLI's own check: 20.10 "Conflicting options: --restart and --rm", 28 "conflicting
    # options: cannot specify both --restart and --rm".
    assert re.search(r"(?i)conflicting options: .*--restart and --rm", proc.stderr), failed(proc)


# -- files --------------------------------------------------------------------------------------


def test_cp_both_ways(docker: Docker, tmp_path: Path) -> None:
    cid = run_d(docker, IMAGE, "sleep", "120")
    src = tmp_path / "in.txt"
    src.write_text("from the host\n")
    docker("cp", str(src), f"{cid}:/tmp/in.txt")
    assert docker("exec", cid, "cat", "/tmp/in.txt").stdout == "from the host\n"
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_text("deep\n")
    docker("cp", str(tree), f"{cid}:/tmp/")
    assert docker("exec", cid, "cat", "/tmp/tree/sub/f").stdout == "deep\n"
    docker("exec", cid, "sh", "-c", "mkdir /out && echo made-inside > /out/file")
    docker("cp", f"{cid}:/out/file", str(tmp_path / "file"))
    assert (tmp_path / "file").read_text() == "made-inside\n"
    docker("cp", f"{cid}:/out", str(tmp_path / "outdir"))
    assert (tmp_path / "outdir" / "file").read_text() == "made-inside\n"
    missing = docker("cp", f"{cid}:/no/such", str(tmp_path), check=False)
    # 20.10 reports the 404 of its HEAD as "No such container:path: <id>:/no/such"; 28 shows
    # the daemon's "Could not find the file /no/such in container <name>".
    assert missing.returncode == 1, failed(missing)
    assert re.search(r"No such container:path|Could not find the file /no/such", missing.stderr)


def test_cp_to_stdout_is_a_tar(docker: Docker, tmp_path: Path) -> None:
    cid = run_d(docker, IMAGE, "sleep", "120")
    proc = subprocess.run(
        [docker.cli, "cp", f"{cid}:/etc/passwd", "-"], env=docker.env, capture_output=True,
        timeout=60, check=True,
    )  # fmt: skip
    (tmp_path / "x.tar").write_bytes(proc.stdout)
    with tarfile.open(tmp_path / "x.tar") as tar:
        assert tar.getnames() == ["passwd"]
        member = tar.extractfile("passwd")
        assert member is not None and member.read().startswith(b"root:x:0:0:")


def test_cp_into_a_created_container(docker: Docker, tmp_path: Path) -> None:
    cid = docker("create", "--label", LABEL, IMAGE, "cat", "/config").stdout.strip()
    (tmp_path / "config").write_text("set before start\n")
    docker("cp", str(tmp_path / "config"), f"{cid}:/config")
    assert docker("start", "-a", cid).stdout == "set before start\n"


def test_diff_lists_changes(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "echo x > /added; rm /bin/vi; sleep 120")
    assert wait_for(lambda: "/added" in docker("diff", cid).stdout)
    lines = set(docker("diff", cid).stdout.splitlines())
    assert {"A /added", "D /bin/vi", "C /bin"} <= lines, lines


def test_export_then_import(docker: Docker, tmp_path: Path) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "echo exported > /marker; sleep 120")
    assert wait_for(lambda: docker("exec", cid, "cat", "/marker", check=False).returncode == 0)
    out = tmp_path / "export.tar"
    docker("export", "-o", str(out), cid)
    with tarfile.open(out) as tar:
        names = {n.removeprefix("./").lstrip("/") for n in tar.getnames()}
    assert {"bin/busybox", "marker", "etc/passwd"} <= names
    tag = f"imported-{secrets.token_hex(3)}:v1"
    image_id = docker("import", str(out), tag).stdout.strip()
    try:
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", image_id), image_id
        assert docker("run", "--rm", tag, "cat", "/marker").stdout == "exported\n"
    finally:
        docker("rmi", "-f", tag, check=False)


def test_commit_then_run_the_new_image(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "echo committed > /marker; sleep 120")
    assert wait_for(lambda: docker("exec", cid, "cat", "/marker", check=False).returncode == 0)
    tag = f"committed-{secrets.token_hex(3)}:v1"
    image_id = docker("commit", "-c", 'CMD ["cat", "/marker"]', "-m", "msg", cid, tag)
    try:
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", image_id.stdout.strip()), image_id.stdout
        assert docker("run", "--rm", tag).stdout == "committed\n"
        assert inspect(docker, tag, "{{json .Config.Cmd}}") == '["cat","/marker"]'
        assert inspect(docker, tag, "{{.Comment}}") == "msg"
        if client_api(docker) < (1, 45):  # API 1.45 dropped Container from image inspect
            assert inspect(docker, tag, "{{.Container}}") == cid
        history = docker("history", "--no-trunc", "--format", "{{.Comment}}", tag).stdout
        assert history.splitlines()[0] == "msg"
    finally:
        docker("rmi", "-f", tag, check=False)


# -- observing ----------------------------------------------------------------------------------


def test_top_lists_the_processes(docker: Docker) -> None:
    cid = run_d(docker, IMAGE, "sh", "-c", "sleep 121 & sleep 122")
    assert wait_for(lambda: "sleep 121" in docker("top", cid).stdout)
    out = docker("top", cid).stdout.splitlines()
    assert out[0].split()[:3] == ["UID", "PID", "PPID"], out
    assert any(line.endswith("sleep 122") for line in out), out
    custom = docker("top", cid, "-o", "pid,comm").stdout.splitlines()
    assert custom[0].split() == ["PID", "COMMAND"], custom
    assert sum(line.split()[1] == "sleep" for line in custom[1:]) == 2, custom


def test_stats_no_stream(docker: Docker) -> None:
    cid = run_d(docker, "--memory", "64m", IMAGE, "sleep", "120")
    fmt = "{{.ID}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}"
    line = docker("stats", "--no-stream", "--format", fmt, cid).stdout.strip()
    short, cpu, mem, pids = line.split("|")
    assert short == cid[:12]
    assert re.fullmatch(r"\d+\.\d\d%", cpu), cpu
    assert re.fullmatch(r"[\d.]+[KMG]?i?B / 64MiB", mem), mem
    assert pids == "1"
    table = docker("stats", "--no-stream", cid).stdout.splitlines()
    assert table[0].split()[:3] == ["CONTAINER", "ID", "NAME"], table


def test_events_window_has_create_start_die(docker: Docker) -> None:
    n = name()
    since = f"{time.time() - 1:.3f}"
    docker("run", "--label", LABEL, "--name", n, IMAGE, "true")
    time.sleep(1.1)
    until = f"{time.time():.3f}"
    proc = docker(
        "events", "--since", since, "--until", until, "--filter", f"container={n}",
        "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        timeout=30,
    )  # fmt: skip
    actions = [line.split()[1] for line in proc.stdout.splitlines()]
    assert all(line.split()[::2] == ["container", n] for line in proc.stdout.splitlines())
    starts = [a for a in actions if a in ("create", "start", "die")]
    assert starts == ["create", "start", "die"], proc.stdout
    json_lines = docker(
        "events", "--since", since, "--until", until, "--filter", f"container={n}",
        "--filter", "event=die", "--format", "{{json .}}",
    ).stdout.splitlines()  # fmt: skip
    assert len(json_lines) == 1
    die = json.loads(json_lines[0])
    assert die["Actor"]["Attributes"]["exitCode"] == "0"
    assert die["Actor"]["Attributes"]["image"] == IMAGE


# -- security defaults and limits ---------------------------------------------------------------


def status_field(docker: Docker, key: str, *flags: str) -> str:
    out = docker("run", "--rm", *flags, IMAGE, "cat", "/proc/self/status").stdout
    return next(line.split()[1] for line in out.splitlines() if line.startswith(f"{key}:"))


def test_default_capabilities(docker: Docker) -> None:
    assert status_field(docker, "CapEff") == DEFAULT_CAPS
    assert status_field(docker, "CapBnd") == DEFAULT_CAPS
    assert status_field(docker, "Seccomp") == "2"
    assert status_field(docker, "NoNewPrivs") == "0"


def test_privileged_has_every_capability(docker: Docker, engine: Engine) -> None:
    # Docker gives every capability; on a host whose bounding set lacks some (as here) the
    # most a container can have is this process's bounding set.
    if engine.name == "dockerd":
        pytest.skip(
            "runc under dockerd 20.10 fails here: 'unable to apply caps: operation not "
            "permitted' (this host's bounding set lacks CAP_SYS_RESOURCE)"
        )
    host_bnd = next(
        line.split()[1]
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("CapBnd:")
    )
    assert status_field(docker, "CapEff", "--privileged") == host_bnd
    assert status_field(docker, "Seccomp", "--privileged") == "0"


def test_cap_drop_all_and_cap_add(docker: Docker) -> None:
    assert status_field(docker, "CapEff", "--cap-drop", "ALL") == "0000000000000000"
    # CAP_NET_ADMIN is bit 12.
    assert status_field(docker, "CapEff", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN") == (
        f"{1 << 12:016x}"
    )


def test_read_only_rootfs(docker: Docker) -> None:
    proc = docker("run", "--rm", "--read-only", IMAGE, "touch", "/x", check=False)
    assert proc.returncode == 1 and "Read-only file system" in proc.stderr, failed(proc)
    # /tmp is no tmpfs by default: read-only too; /dev/shm stays writable.
    docker("run", "--rm", "--read-only", IMAGE, "touch", "/dev/shm/x")


def test_user(docker: Docker) -> None:
    assert docker("run", "--rm", "--user", "1000", IMAGE, "id").stdout.strip() == (
        "uid=1000(tester) gid=1000(tester) groups=1000(tester)"
    )
    assert docker("run", "--rm", "--user", "1000:5", IMAGE, "id", "-g").stdout.strip() == "5"
    proc = docker("run", "--rm", "--user", "nosuchuser", IMAGE, "true", check=False)
    assert proc.returncode != 0
    assert "unable to find user nosuchuser: no matching entries in passwd file" in proc.stderr


def test_memory_pids_cpus_limits(docker: Docker) -> None:
    cid = run_d(
        docker, "--memory", "64m", "--pids-limit", "10", "--cpus", "0.5", IMAGE, "sleep", "120"
    )
    assert inspect(docker, cid, "{{.HostConfig.Memory}}") == str(64 << 20)
    assert inspect(docker, cid, "{{.HostConfig.PidsLimit}}") == "10"
    assert inspect(docker, cid, "{{.HostConfig.NanoCpus}}") == "500000000"
    limit = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", cid).stdout
    assert limit.strip().endswith("/ 64MiB"), limit
    # cgroup v1 (this host): the container sees its own cgroup at /sys/fs/cgroup/<controller>.
    files = {
        "memory/memory.limit_in_bytes": str(64 << 20),
        "pids/pids.max": "10",
        "cpu/cpu.cfs_quota_us": "50000",
        "cpu/cpu.cfs_period_us": "100000",
    }
    for rel, want in files.items():
        got = docker("exec", cid, "cat", f"/sys/fs/cgroup/{rel}").stdout.strip()
        assert got == want, rel
    forks = docker("exec", cid, "sh", "-c", "for i in $(seq 20); do sleep 5 & done; wait",
                   check=False)  # fmt: skip
    assert "can't fork" in forks.stderr or "Resource temporarily unavailable" in forks.stderr, (
        failed(forks)
    )


def test_init_is_pid_1(docker: Docker) -> None:
    assert docker("run", "--rm", "--init", IMAGE, "cat", "/proc/1/comm").stdout == "docker-init\n"
    ps = docker("run", "--rm", "--init", IMAGE, "ps", "-o", "pid,args").stdout.splitlines()
    assert ps[1].split()[:2] == ["1", "/sbin/docker-init"], ps
    assert docker("run", "--rm", IMAGE, "cat", "/proc/1/comm").stdout == "cat\n"


def test_healthcheck_turns_healthy_and_unhealthy(docker: Docker) -> None:
    good = run_d(docker, "--health-cmd", "true", "--health-interval", "1s", IMAGE, "sleep", "120")
    bad = run_d(
        docker, "--health-cmd", "exit 1", "--health-interval", "1s", "--health-retries", "1",
        IMAGE, "sleep", "120",
    )  # fmt: skip
    assert inspect(docker, good, "{{.State.Health.Status}}") in ("starting", "healthy")
    assert wait_for(lambda: inspect(docker, good, "{{.State.Health.Status}}") == "healthy")
    assert wait_for(lambda: inspect(docker, bad, "{{.State.Health.Status}}") == "unhealthy")
    log = json.loads(inspect(docker, good, "{{json .State.Health.Log}}"))
    assert log and log[-1]["ExitCode"] == 0
    assert "(healthy)" in docker("ps", "--filter", f"id={good}", "--format", "{{.Status}}").stdout
    assert int(inspect(docker, bad, "{{.State.Health.FailingStreak}}")) >= 1


# -- side by side with Debian's dockerd ---------------------------------------------------------


SIDE_BY_SIDE = {
    "caps": "grep ^Cap /proc/self/status",
    "mount targets": "cut -d' ' -f2,3 /proc/mounts | sort",
    "ulimits": "ulimit -a",
    "masked": "ls /proc/kcore /proc/keys /proc/timer_list /sys/firmware 2>&1; "
    "cat /proc/kcore 2>&1 | head -c 20 | wc -c",
    "dev": "ls /dev | sort",
    "etc files": "ls -l /etc/hostname /etc/hosts /etc/resolv.conf | cut -c1-10; "
    "grep -c localhost /etc/hosts",
    "env": "env | sort | grep -v HOSTNAME",
}


@pytest.mark.parametrize("what", list(SIDE_BY_SIDE))
def test_same_as_docker(what: str, engine: Engine, reference_docker: Docker | None) -> None:
    if reference_docker is None:
        pytest.skip("Debian's dockerd is not installed")
    if engine.name != "dockyardd":
        pytest.skip("comparing the reference with itself")
    ours = engine.docker(reference_docker.cli)
    script = SIDE_BY_SIDE[what]
    theirs = reference_docker("run", "--rm", IMAGE, "sh", "-c", script)
    mine = ours("run", "--rm", IMAGE, "sh", "-c", script)
    assert _since_20_10(mine.stdout) == theirs.stdout


# Docker 28 (API 1.51, what dockyardd implements) masks more than the 20.10 reference does.
MASKED_SINCE_20_10 = ("/proc/interrupts", "/sys/devices/virtual/powercap")


def _since_20_10(text: str) -> str:
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not any(line.startswith(f"{path} ") for path in MASKED_SINCE_20_10)
    )
