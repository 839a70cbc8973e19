"""Restart policies with the real docker CLI: the seed's walkthrough, then daemon restarts.

The first half runs on the session's engine (dockyardd; or Debian's dockerd with
DOCKYARD_COMPAT_REFERENCE=dockerd). The second half restarts a private dockyardd and checks
Docker's rules at daemon start, as dockerd 20.10 behaves on this machine (checked by hand
with the same six containers, SIGTERM with live-restore off and kill -9 with it on):

| policy, state before          | after SIGTERM (live-restore off) | after kill -9 (live restore) |
| always, running               | running (started again)          | running, same pid            |
| always, stopped by the user   | running                          | running                      |
| unless-stopped, running       | running (started again)          | running, same pid            |
| unless-stopped, user-stopped  | exited                           | exited                       |
| no, running                   | exited (stopped by the shutdown) | running, same pid            |
| on-failure, running           | exited 0 (SIGTERM -> exit 0)     | running, same pid            |

RestartCount stays 0 in every case: starts at daemon start are not policy restarts.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.compat.conftest import Engine, PrivateDaemon, failed, inspect, wait_for
from tests.support.dockerd import Docker
from tests.support.dockyardd import Dockyardd, UnixHTTPConnection

# SIGALRM timeouts fail the one test and still run the daemons' teardown; the thread method
# (the project default) ends the whole session and leaves daemons and shims behind.
pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(240, method="signal")]

IMAGE = "busybox:latest"
LABEL = "dockyard.test=compat-restart"
SERVE = 'trap "exit 0" TERM; while true; do sleep 0.1; done'


@pytest.fixture
def docker(engine: Engine) -> Iterator[Docker]:
    cli = engine.docker("/usr/bin/docker")
    yield cli
    ids = cli("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if ids:
        cli("rm", "-f", *ids, check=False, timeout=120)


def run_d(docker: Docker, *args: str) -> str:
    return docker("run", "-d", "--label", LABEL, *args).stdout.strip()


def restart_count(docker: Docker, cid: str) -> int:
    return int(inspect(docker, cid, "{{.RestartCount}}"))


# -- the walkthrough ----------------------------------------------------------------------------


def test_always_restarts_with_growing_count_and_backoff(docker: Docker) -> None:
    cid = run_d(docker, "--restart", "always", IMAGE, "sh", "-c", "exit 1")
    seen: list[tuple[float, int, str]] = []
    start = time.monotonic()
    while time.monotonic() - start < 5:
        out = inspect(docker, cid, "{{.RestartCount}} {{.State.Status}}").split()
        seen.append((time.monotonic() - start, int(out[0]), out[1]))
        time.sleep(0.05)
    counts = [c for _, c, _ in seen]
    assert counts == sorted(counts), seen  # never goes down
    # Docker's back-off: 100 ms, doubled after every restart of a container that ran < 10 s:
    # restarts at ~0.1, 0.3, 0.7, 1.5, 3.1 s (+ start-up times), so 3..6 within 5 s; without
    # back-off there would be dozens.
    assert 3 <= counts[-1] <= 6, seen
    assert "restarting" in {s for _, _, s in seen}, seen  # waiting out the back-off
    first: dict[int, float] = {}
    for t, c, _ in seen:
        first.setdefault(c, t)
    assert first[3] - first[1] >= 0.25, first  # 200 ms + 400 ms of back-off in between
    assert inspect(docker, cid, "{{.HostConfig.RestartPolicy.Name}}") == "always"
    docker("stop", cid)  # stops the restart loop for good
    after = restart_count(docker, cid)
    time.sleep(1.5)
    assert inspect(docker, cid, "{{.State.Status}}") == "exited"
    assert restart_count(docker, cid) == after


def test_on_failure_3_gives_up_after_three_restarts(docker: Docker) -> None:
    cid = run_d(docker, "--restart", "on-failure:3", IMAGE, "sh", "-c", "exit 1")
    assert inspect(docker, cid, "{{.HostConfig.RestartPolicy.MaximumRetryCount}}") == "3"

    def gave_up() -> bool:
        out = inspect(docker, cid, "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}")
        return out == "exited 3 1"

    assert wait_for(gave_up, timeout=20), inspect(docker, cid, "{{json .State}}")
    time.sleep(2)  # the next restart would have come after 800 ms
    assert gave_up(), inspect(docker, cid, "{{json .State}}")


def test_on_failure_does_not_restart_a_success(docker: Docker) -> None:
    cid = run_d(docker, "--restart", "on-failure", IMAGE, "sh", "-c", "exit 0")
    assert docker("wait", cid).stdout.strip() == "0"
    time.sleep(1.5)
    assert inspect(docker, cid, "{{.State.Status}} {{.RestartCount}}") == "exited 0"


def test_unless_stopped_restarts_until_stopped(docker: Docker) -> None:
    cid = run_d(docker, "--restart", "unless-stopped", IMAGE, "sh", "-c", "sleep 0.2; exit 1")
    assert wait_for(lambda: restart_count(docker, cid) >= 2, timeout=15)
    docker("stop", cid)
    count = restart_count(docker, cid)
    time.sleep(2)
    assert inspect(docker, cid, "{{.State.Status}}") == "exited"
    assert restart_count(docker, cid) == count


def test_stopping_an_always_container_keeps_it_stopped(docker: Docker) -> None:
    cid = run_d(docker, "--restart", "always", IMAGE, "sh", "-c", SERVE)
    docker("stop", cid)
    time.sleep(1.5)
    assert inspect(docker, cid, "{{.State.Status}} {{.RestartCount}}") == "exited 0"
    docker("start", cid)  # and a manual start re-arms the policy
    pid = inspect(docker, cid, "{{.State.Pid}}")
    docker("exec", cid, "kill", "1")  # TERM: the trap exits 0, `always` restarts it anyway
    assert wait_for(lambda: restart_count(docker, cid) == 1, timeout=10)
    assert wait_for(lambda: inspect(docker, cid, "{{.State.Status}}") == "running")
    assert inspect(docker, cid, "{{.State.Pid}}") != pid


def test_rm_with_restart_policy_is_refused(docker: Docker, engine: Engine) -> None:
    proc = docker("run", "--rm", "--restart", "always", IMAGE, "true", check=False)
    assert proc.returncode == 125, failed(proc)
    # The CLI refuses before asking; the daemon refuses the same body with Docker's 400.
    conn = UnixHTTPConnection(engine.socket)
    try:
        body = {
            "Image": IMAGE,
            "Cmd": ["true"],
            "HostConfig": {"AutoRemove": True, "RestartPolicy": {"Name": "always"}},
        }
        conn.request(
            "POST", "/v1.41/containers/create", json.dumps(body),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        resp = conn.getresponse()
        status, data = resp.status, json.loads(resp.read())
    finally:
        conn.close()
    assert status == 400, data
    assert data["message"] == "can't create 'AutoRemove' container with restart policy"


def test_bad_restart_policies_are_refused(docker: Docker) -> None:
    proc = docker("run", "-d", "--restart", "always:3", IMAGE, "true", check=False)
    assert proc.returncode == 125, failed(proc)
    # 20.10: "maximum retry count cannot be used with restart policy 'always'"; 25 and later:
    # "invalid restart policy: maximum retry count can only be used with 'on-failure'".
    assert re.search(
        r"maximum retry count (cannot be used with restart policy|can only be used with "
        r"'on-failure')",
        proc.stderr,
    ), failed(proc)
    proc = docker("run", "-d", "--restart", "on-failure:-1", IMAGE, "true", check=False)
    assert proc.returncode == 125, failed(proc)
    assert "maximum retry count cannot be negative" in proc.stderr, failed(proc)


# -- daemon restarts (private daemons) ----------------------------------------------------------

POLICIES = {
    "always_run": ("always", False),
    "always_stopped": ("always", True),
    "unless_run": ("unless-stopped", False),
    "unless_stopped": ("unless-stopped", True),
    "no_run": ("no", False),
    "onfail_run": ("on-failure", False),
}
FMT = "{{.State.Status}} {{.State.Pid}} {{.RestartCount}} {{.State.ExitCode}}"


def make_six(d: Dockyardd) -> dict[str, list[str]]:
    """The six containers of the table above; their state (status, pid, count, exit)."""
    for n, (policy, stop) in POLICIES.items():
        d.cli("run", "-d", "--name", n, "--restart", policy, IMAGE, "sh", "-c", SERVE)
        if stop:
            d.cli("stop", n)
    return {n: inspect(d.cli, n, FMT).split() for n in POLICIES}


def states(d: Dockyardd) -> dict[str, list[str]]:
    return {n: inspect(d.cli, n, FMT).split() for n in POLICIES}


def test_daemon_sigterm_without_live_restore(private_daemon: PrivateDaemon) -> None:
    with private_daemon(live_restore=False) as d:
        before = make_six(d)
        assert {n: s[0] for n, s in before.items()} == {
            n: "exited" if stop else "running" for n, (_, stop) in POLICIES.items()
        }
        status = d.restart(kill9=False)
        assert status == 0, d.log_tail()
        # The shutdown stopped every container (SIGTERM: the trap exits 0); at start the
        # policies decide.
        want = {
            "always_run": "running",
            "always_stopped": "running",
            "unless_run": "running",
            "unless_stopped": "exited",
            "no_run": "exited",
            "onfail_run": "exited",
        }
        assert wait_for(lambda: {n: s[0] for n, s in states(d).items()} == want), (
            states(d),
            d.log_tail(),
        )
        after = states(d)
        for n in ("always_run", "unless_run"):
            assert after[n][1] != before[n][1], (n, before[n], after[n])  # a new process
        for n in ("no_run", "onfail_run"):
            assert after[n][3] == "0", (n, after[n])
        assert {s[2] for s in after.values()} == {"0"}, after  # no policy restarts counted


def test_daemon_kill9_with_live_restore(private_daemon: PrivateDaemon) -> None:
    with private_daemon(live_restore=True) as d:
        before = make_six(d)
        d.restart(kill9=True)
        want = {n: "exited" if n == "unless_stopped" else "running" for n in POLICIES}
        assert wait_for(lambda: {n: s[0] for n, s in states(d).items()} == want), (
            states(d),
            d.log_tail(),
        )
        after = states(d)
        for n in ("always_run", "unless_run", "no_run", "onfail_run"):
            assert after[n][1] == before[n][1], (n, before[n], after[n])  # never stopped
        assert after["always_stopped"][1] != "0"
        assert {s[2] for s in after.values()} == {"0"}, after
        # The restored containers are watched again: a restored `always` container that
        # exits is restarted by the policy (and counted).
        d.cli("exec", "always_run", "kill", "1")
        assert wait_for(lambda: inspect(d.cli, "always_run", "{{.RestartCount}}") == "1"), (
            d.log_tail()
        )
        assert wait_for(lambda: inspect(d.cli, "always_run", "{{.State.Status}}") == "running")
        # and a restored `no` container that exits is reported exited with its code.
        d.cli("exec", "no_run", "kill", "1")
        assert d.cli("wait", "no_run").stdout.strip() == "0"
        assert inspect(d.cli, "no_run", "{{.State.Status}} {{.RestartCount}}") == "exited 0"
