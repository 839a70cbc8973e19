"""Live restore: containers outlive a killed daemon, and the restarted daemon takes them back.

Each test has its own private dockyardd (live restore on, our default) and drives it with the
real docker CLI. While the daemon is down the container's json log is read straight from disk:
the shim, not the daemon, writes it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.compat.conftest import PrivateDaemon, inspect, wait_for
from tests.support.dockyardd import Dockyardd

# SIGALRM timeouts fail the one test and still run the daemons' teardown; the thread method
# (the project default) ends the whole session and leaves daemons and shims behind.
pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(240, method="signal")]

IMAGE = "busybox:latest"
COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done"


def log_numbers(path: Path) -> list[int]:
    """The counter values in a json-file log, checking each line is Docker's format."""
    numbers = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        assert set(entry) == {"log", "stream", "time"}, entry
        assert entry["stream"] == "stdout" and entry["time"].endswith("Z"), entry
        numbers.append(int(entry["log"]))
    return numbers


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_counter(d: Dockyardd) -> tuple[str, int, Path]:
    cid = d.cli("run", "-d", "--name", "counter", IMAGE, "sh", "-c", COUNTER).stdout.strip()
    pid = int(inspect(d.cli, cid, "{{.State.Pid}}"))
    log = Path(inspect(d.cli, cid, "{{.LogPath}}"))
    assert log == d.json_log(cid)
    assert wait_for(lambda: log.exists() and len(log_numbers(log)) >= 2)
    return cid, pid, log


def test_kill9_keeps_containers_and_restart_takes_them_back(
    private_daemon: PrivateDaemon,
) -> None:
    with private_daemon() as d:
        cid, pid, log = start_counter(d)
        short = d.cli("run", "-d", "--name", "short", IMAGE, "sh", "-c", "sleep 1.5; exit 7")
        short_id = short.stdout.strip()

        d.stop(kill9=True)
        assert not d.ping()
        # Down: the container runs on and its log grows, consecutive numbers, no gaps.
        count = len(log_numbers(log))
        time.sleep(2.5)  # and `short` exits meanwhile
        assert alive(pid)
        numbers = log_numbers(log)
        assert len(numbers) >= count + 5, (count, numbers[-5:])
        assert numbers == list(range(len(numbers)))
        assert "dockyard-shim" in " ".join(
            Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace") for p in d.shim_pids()
        )

        d.start()
        ps = d.cli("ps", "--no-trunc", "--format", "{{.ID}} {{.Status}}").stdout.splitlines()
        assert [line.split()[0] for line in ps] == [cid], ps
        assert inspect(d.cli, cid, "{{.State.Status}} {{.State.Pid}}") == f"running {pid}"
        # The container that exited while the daemon was away: exited, with its code.
        assert inspect(d.cli, short_id, "{{.State.Status}} {{.State.ExitCode}}") == "exited 7"
        assert d.cli("wait", short_id).stdout.strip() == "7"
        status = d.cli("ps", "-a", "--filter", "name=short", "--format", "{{.Status}}").stdout
        assert status.startswith("Exited (7)"), status

        # logs: everything, across the outage, and -f follows new lines.
        logged = [int(x) for x in d.cli("logs", cid).stdout.split()]
        assert logged == list(range(len(logged))) and len(logged) >= len(numbers)
        follow = subprocess.Popen(
            [d.cli.cli, "logs", "-f", "--tail", "1", cid],
            env=d.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert follow.stdout is not None
            first = int(follow.stdout.readline())
            second = int(follow.stdout.readline())
            third = int(follow.stdout.readline())
            assert (second, third) == (first + 1, first + 2)
        finally:
            follow.kill()
            follow.wait(timeout=10)

        # attach: sees the live output; the CLI going away leaves the container running.
        attach = subprocess.Popen(
            [d.cli.cli, "attach", "--no-stdin", "--sig-proxy=false", cid],
            env=d.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert attach.stdout is not None
            a = int(attach.stdout.readline())
            b = int(attach.stdout.readline())
            assert b == a + 1
        finally:
            attach.send_signal(signal.SIGKILL)
            attach.wait(timeout=10)
        assert inspect(d.cli, cid, "{{.State.Running}}") == "true"

        # exec into the restored container.
        assert d.cli("exec", cid, "cat", "/proc/1/comm").stdout == "sh\n"
        assert d.cli("exec", cid, "sh", "-c", "exit 3", check=False).returncode == 3

        # stop: sh as PID 1 ignores SIGTERM, so the daemon kills it after the timeout.
        d.cli("stop", "-t", "1", cid)
        assert inspect(d.cli, cid, "{{.State.Status}} {{.State.ExitCode}}") == "exited 137"
        assert wait_for(lambda: not alive(pid), timeout=5)
        assert wait_for(lambda: not d.shim_pids(), timeout=10), d.shim_pids()


def test_sigterm_with_live_restore_leaves_containers_running(
    private_daemon: PrivateDaemon,
) -> None:
    with private_daemon(live_restore=True) as d:
        cid, pid, log = start_counter(d)
        assert d.stop(kill9=False) == 0, d.log_tail()
        assert not d.pidfile.exists() and not d.socket.exists()
        assert alive(pid)
        count = len(log_numbers(log))
        assert wait_for(lambda: len(log_numbers(log)) > count + 3, timeout=5)
        d.start()
        assert inspect(d.cli, cid, "{{.State.Status}} {{.State.Pid}}") == f"running {pid}"


def test_restore_twice_and_remove(private_daemon: PrivateDaemon) -> None:
    with private_daemon() as d:
        cid, pid, _ = start_counter(d)
        d.restart(kill9=True)
        d.restart(kill9=True)
        assert inspect(d.cli, cid, "{{.State.Pid}}") == str(pid)
        d.cli("rm", "-f", cid)
        assert wait_for(lambda: not alive(pid), timeout=5)
        assert d.cli("ps", "-aq").stdout == ""
        assert not d.container_dir(cid).exists()
        assert not (d.exec_root / "containers" / cid).exists()
        assert wait_for(lambda: not d.shim_pids(), timeout=10)


def test_daemon_pid_is_not_the_containers_parent(private_daemon: PrivateDaemon) -> None:
    with private_daemon() as d:
        _, pid, _ = start_counter(d)
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert ppid != d.pid
        assert ppid in d.shim_pids()
        shim_parent = int(Path(f"/proc/{ppid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert shim_parent != d.pid and shim_parent != os.getpid()
