"""dockyard-runtime's command line, verb by verb, as runc's callers use it.

The flags containerd's shim and `docker run` pass (`--pid-file`, `--preserve-fds`, `--detach`,
`--no-pivot`, `exec --tty` without a console socket, `kill --all`, `ps --format`, `--log-format
json --debug`) and the verbs that need no container (`spec`, `features`, `--version`). Each test
has its own id and cgroupsPath (`/dockyard-cli/<tag>`); `oci.container` deletes what a test made
even when it fails. Terminal tests give the runtime a pty from `os.openpty()` as its stdio.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import oci
from tests.support.bundles import base_config, make_bundle
from tests.support.runtimes import DOCKYARD_RUNTIME

pytestmark = [pytest.mark.root, pytest.mark.integration]

OURS = oci.Runtime("dockyard-runtime", DOCKYARD_RUNTIME)
CGROUP_PARENT = "dockyard-cli"
REPO = Path(__file__).resolve().parents[3]
SCHEMA_DIR = REPO.parent / "shared" / "spec" / "oci-runtime-spec-schema"

Config = dict[str, Any]


@dataclass
class Box:
    """One test's containers: a unique id and cgroupsPath, its own --root, cleanup on exit."""

    workdir: Path
    state_root: Path
    rootfs: Path
    id: str
    cgroups_path: str
    stack: contextlib.ExitStack

    def config(self, script: str, *, terminal: bool = False, pidns: bool = True) -> Config:
        """The base config running `sh -c script` in this test's cgroup."""
        config = base_config(["sh", "-c", script])
        config["process"]["terminal"] = terminal
        config["linux"]["cgroupsPath"] = self.cgroups_path
        if not pidns:
            spaces = config["linux"]["namespaces"]
            config["linux"]["namespaces"] = [n for n in spaces if n["type"] != "pid"]
        return config

    def container(self, config: Config) -> oci.Container:
        bundle = make_bundle(self.workdir, self.rootfs, config)
        return self.stack.enter_context(oci.container(OURS, bundle, self.id, self.state_root))

    def started(self, script: str = "exec sleep 1000", **kwargs: Any) -> oci.Container:
        """A running container (its init is `script`)."""
        c = self.container(self.config(script, **kwargs))
        c.create().check()
        c.start().check()
        c.wait_status("running")
        return c

    def call(self, args: Sequence[str], *, timeout: float = 20) -> oci.Result:
        return oci.invoke(OURS, self.state_root, args, timeout=timeout)

    def argv(self, args: Sequence[str]) -> list[str]:
        return oci.command(OURS, self.state_root, args)


@pytest.fixture
def box(tmp_path: Path, state_root: Path, rootfs: Path) -> Iterator[Box]:
    tag = uuid.uuid4().hex[:12]
    with contextlib.ExitStack() as stack:
        yield Box(
            workdir=tmp_path, state_root=state_root, rootfs=rootfs, id=f"cli-{tag}",
            cgroups_path=f"/{CGROUP_PARENT}/{tag}", stack=stack,
        )  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _remove_cgroup_parent() -> Iterator[None]:
    """After the module, drop the empty /dockyard-cli parents the runtime made."""
    yield
    for hierarchy in oci.CGROUP_MOUNT.iterdir():
        with contextlib.suppress(OSError):
            (hierarchy / CGROUP_PARENT).rmdir()


def _gone(pid: int) -> bool:
    """True once pid has exited (a zombie counts: pid 1 here may be slow to reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def in_pty(argv: Sequence[str], *, timeout: float = 20) -> tuple[int, str]:
    """Run argv with a fresh pty as its stdin/stdout/stderr; return (exit code, output)."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
    finally:
        os.close(slave)
    try:
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the runtime, the last holder of the slave, has exited
                break
            if not chunk:
                break
            data += chunk
        try:
            code = proc.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{' '.join(argv)} hung; output so far: {data!r}") from None
    finally:
        os.close(master)
    return code, data.decode(errors="replace").replace("\r\n", "\n")


# --- verbs without a container ------------------------------------------------------------------


def test_spec_writes_a_config_that_run_accepts_and_refuses_to_overwrite(box: Box) -> None:
    bundle = box.workdir / "from-spec"
    bundle.mkdir()
    box.call(["spec", "--bundle", str(bundle)]).check()
    written = (bundle / "config.json").read_bytes()
    config = json.loads(written)
    assert config["ociVersion"].startswith("1."), config["ociVersion"]
    subprocess.run(["cp", "-al", str(box.rootfs), str(bundle / "rootfs")], check=True)
    config["root"]["path"] = "rootfs"
    config["process"]["terminal"] = False
    config["process"]["args"] = ["true"]
    config.setdefault("linux", {})["cgroupsPath"] = box.cgroups_path
    (bundle / "config.json").write_text(json.dumps(config))
    with oci.container(OURS, bundle, box.id, box.state_root) as c:
        c.run().check()

    (bundle / "config.json").write_bytes(written)
    again = box.call(["spec", "--bundle", str(bundle)])
    assert again.exit_code != 0, again
    assert len(again.stderr.splitlines()) == 1 and "exists" in again.stderr, again
    assert (bundle / "config.json").read_bytes() == written


def test_features_prints_what_the_runtime_supports() -> None:
    result = oci.invoke(OURS, Path("/nonexistent-root"), ["features"]).check()
    features = json.loads(result.stdout)
    assert features["ociVersionMin"].startswith("1.0"), features
    assert features["ociVersionMax"].startswith("1."), features
    hooks = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart"}
    assert hooks | {"poststop"} <= set(features["hooks"])
    assert {"bind", "rbind", "ro", "nosuid", "nodev", "noexec"} <= set(features["mountOptions"])
    linux = features["linux"]
    assert {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"} <= set(linux["namespaces"])
    assert {"CAP_SYS_ADMIN", "CAP_KILL", "CAP_NET_BIND_SERVICE"} <= set(linux["capabilities"])
    # This host: hybrid cgroup v1, and no systemd (so `--systemd-cgroup` is refused).
    assert linux["cgroup"]["v1"] is True and linux["cgroup"]["systemd"] is False, linux["cgroup"]
    assert linux["seccomp"]["enabled"] is True
    assert {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"} <= set(linux["seccomp"]["actions"])
    _validate_against_schema(features)


def _validate_against_schema(features: Config) -> None:
    """Check features against the runtime-spec's JSON schema when `jsonschema` is installed.

    It is not a dependency of the test extra; without it the key checks above must do.
    """
    try:
        import jsonschema
    except ImportError:
        return
    if not (SCHEMA_DIR / "features-schema.json").exists():
        return
    docs = {p.name: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json")}
    try:
        import referencing
        import referencing.jsonschema
    except ImportError:  # jsonschema < 4.18
        resolver = jsonschema.RefResolver(f"file://{SCHEMA_DIR}/", docs["features-schema.json"])
        jsonschema.Draft4Validator(docs["features-schema.json"], resolver=resolver).validate(
            features
        )
        return
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (name, referencing.Resource(doc, referencing.jsonschema.DRAFT4))
        for name, doc in docs.items()
    )
    jsonschema.Draft4Validator(docs["features-schema.json"], registry=registry).validate(features)


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(flag: str) -> None:
    result = oci.invoke(OURS, Path("/nonexistent-root"), [flag]).check()
    lines = result.stdout.splitlines()
    assert "version" in lines[0], result.stdout
    assert any(line.startswith("spec: 1.") for line in lines), result.stdout


# --- create, list, state ------------------------------------------------------------------------


def test_list_table_and_quiet(box: Box) -> None:
    empty = box.call(["list"]).check()
    header = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert empty.stdout.split() == header, empty.stdout
    c = box.container(box.config("exec sleep 1000"))
    c.create().check()
    pid = c.state()["pid"]
    lines = box.call(["list"]).check().stdout.splitlines()
    assert lines[0].split() == header and len(lines) == 2, lines
    assert lines[1].split()[:4] == [box.id, str(pid), "created", str(c.bundle)], lines
    assert lines[1].split()[5] == "root", lines
    assert box.call(["list", "-q"]).check().stdout == f"{box.id}\n"


def test_create_pid_file_holds_the_init_pid(box: Box) -> None:
    c = box.container(box.config("exec sleep 1000"))
    pid_file = box.workdir / "init.pid"
    c.create(pid_file=pid_file).check()
    pid = int(pid_file.read_text())
    assert c.state()["pid"] == pid
    assert not _gone(pid)


def test_run_detach_returns_while_the_container_runs(box: Box) -> None:
    c = box.container(box.config("exec sleep 1000"))
    detached = oci.invoke_to_files(
        OURS, box.state_root, ["run", "--detach", "--bundle", str(c.bundle), box.id],
        io_dir=c.io_dir, name="run", timeout=10,
    ).check()  # fmt: skip
    assert detached.stderr == ""
    pid = c.wait_status("running")["pid"]
    assert not _gone(pid)
    c.kill("KILL").check()
    c.wait_status("stopped")
    c.delete().check()
    assert not (box.state_root / box.id).exists()
    assert not list(oci.cgroup_dirs(box.cgroups_path))


# --- run ----------------------------------------------------------------------------------------


def test_preserve_fds_passes_fd_3(box: Box) -> None:
    c = box.container(box.config("echo hi >&3"))
    r, w = os.pipe()
    try:
        argv = box.argv(["run", "--preserve-fds", "1", "--bundle", str(c.bundle), box.id])
        # bash (dash takes no fd above 9) puts the pipe at fd 3, where --preserve-fds 1 looks.
        wrapped = ["/bin/bash", "-c", f'exec "$@" 3>&{w} {w}>&-', "sh", *argv]
        proc = subprocess.run(
            wrapped, pass_fds=(w,), stdin=subprocess.DEVNULL, capture_output=True, timeout=20
        )
        os.close(w)
        w = -1
        assert proc.returncode == 0, proc
        with os.fdopen(r, "rb") as pipe:
            r = -1
            assert pipe.read() == b"hi\n"
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


@pytest.mark.parametrize("flag", ["--no-pivot", "--no-new-keyring"])
def test_run_accepts_flag(box: Box, flag: str) -> None:
    c = box.container(box.config("cat /etc/hostname; ls /"))
    result = box.call(["run", flag, "--bundle", str(c.bundle), box.id]).check()
    assert result.stdout.startswith("busybox\n"), result.stdout
    assert "proc" in result.stdout.split() and "rootfs" not in result.stdout.split()


@pytest.mark.parametrize(
    ("script", "pidns", "expected"),
    [
        pytest.param("exit 7", True, 7, id="exit-7"),
        pytest.param("kill -9 $$", False, 137, id="sigkill-without-pidns"),
    ],
)
def test_run_exits_with_the_container_code(
    box: Box, script: str, pidns: bool, expected: int
) -> None:
    c = box.container(box.config(script, pidns=pidns))
    assert c.run().exit_code == expected


def test_run_with_terminal_in_the_foreground(box: Box) -> None:
    c = box.container(box.config("tty; exit 3", terminal=True))
    code, output = in_pty(box.argv(["run", "--bundle", str(c.bundle), box.id]))
    assert (code, output.strip()) == (3, "/dev/pts/0")


def test_json_log_with_debug(box: Box) -> None:
    c = box.container(box.config("true"))
    log = box.workdir / "runtime.log"
    result = box.call(
        ["--log", str(log), "--log-format", "json", "--debug", "run", "--bundle", str(c.bundle),
         box.id]
    ).check()  # fmt: skip
    assert result.stderr == "", result.stderr
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries, "--debug wrote nothing"
    assert all({"level", "msg", "time"} <= set(e) for e in entries), entries
    assert "debug" in {e["level"] for e in entries}, entries
    assert "error" not in {e["level"] for e in entries}, entries


# --- exec ---------------------------------------------------------------------------------------


def test_exec_detach_with_pid_file(box: Box) -> None:
    c = box.started()
    pid_file = box.workdir / "exec.pid"
    started = time.monotonic()
    c.exec(["sleep", "1000.5"], detach=True, pid_file=pid_file).check()
    assert time.monotonic() - started < 5, "exec --detach waited for the process"
    pid = int(pid_file.read_text())
    assert pid in c.ps()
    assert Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\x001000.5\x00"


def test_exec_tty_in_the_foreground_without_console_socket(box: Box) -> None:
    c = box.started()
    code, output = in_pty(box.argv(["exec", "--tty", box.id, "sh", "-c", "tty; exit 5"]))
    assert code == 5, output
    assert output.strip().startswith("/dev/pts/"), output
    assert c.state()["status"] == "running"


# --- kill, ps, pause, delete --------------------------------------------------------------------


@pytest.mark.parametrize("sig", ["KILL", "SIGKILL", "9"])
def test_kill_takes_runc_signal_names(box: Box, sig: str) -> None:
    c = box.started()
    c.kill(sig).check()
    c.wait_status("stopped")


def test_kill_all_reaches_every_process(box: Box) -> None:
    """Without a pid namespace, killing the init leaves the others: --all must reach them."""
    c = box.started("exec sleep 1000", pidns=False)
    c.exec(["sleep", "1000.5"], detach=True).check()
    pids = c.ps()
    assert len(pids) == 2, pids
    c.kill("KILL", all=True).check()
    oci.wait_for(lambda: all(_gone(p) for p in pids), timeout=5, what=f"{pids} to die")
    c.wait_status("stopped")


def test_ps_json_and_table(box: Box) -> None:
    c = box.started("exec sleep 1000.25")
    pid = c.state()["pid"]
    assert c.ps() == [pid]
    table = box.call(["ps", box.id]).check().stdout.splitlines()
    assert table[0].split()[:2] == ["UID", "PID"] and table[0].split()[-1] == "CMD", table
    rows = [line.split() for line in table[1:]]
    assert [(r[1], r[-2:]) for r in rows] == [(str(pid), ["sleep", "1000.25"])], table


def test_delete_force_of_a_paused_container(box: Box) -> None:
    c = box.started()
    pid = c.state()["pid"]
    c.pause().check()
    assert c.state()["status"] == "paused"
    result = c.delete(force=True)
    assert (result.exit_code, result.stderr) == (0, ""), result
    oci.wait_for(lambda: _gone(pid), timeout=5, what=f"init {pid} to die")
    assert not (box.state_root / box.id).exists()
    assert not list(oci.cgroup_dirs(box.cgroups_path))


def test_delete_of_a_created_container_needs_no_force(box: Box) -> None:
    """runc kills a created (never started) container's init on a plain `delete`."""
    c = box.container(box.config("exec sleep 1000"))
    c.create().check()
    pid = c.state()["pid"]
    result = c.delete()
    assert (result.exit_code, result.stderr) == (0, ""), result
    oci.wait_for(lambda: _gone(pid), timeout=5, what=f"init {pid} to die")
    assert not (box.state_root / box.id).exists()
    assert not list(oci.cgroup_dirs(box.cgroups_path))


def _thaw(cgroups_path: str) -> None:
    """Thaw the test's freezer cgroup, so cleanup can kill a container stuck frozen."""
    freezer = oci.CGROUP_MOUNT / "freezer" / cgroups_path.lstrip("/") / "freezer.state"
    with contextlib.suppress(OSError):
        freezer.write_text("THAWED")


def test_pause_and_resume_a_created_container(box: Box) -> None:
    c = box.container(box.config("exec sleep 1000"))
    try:
        c.create().check()
        c.pause().check()
        assert c.state()["status"] == "paused"
        c.resume().check()
        assert c.state()["status"] == "created"
        c.start().check()
        c.wait_status("running")
    finally:
        _thaw(box.cgroups_path)


def test_delete_force_of_a_paused_created_container(box: Box) -> None:
    c = box.container(box.config("exec sleep 1000"))
    try:
        c.create().check()
        pid = c.state()["pid"]
        c.pause().check()
        result = oci.delete(OURS, box.id, box.state_root, force=True, timeout=3)
        assert (result.exit_code, result.stderr) == (0, ""), result
        oci.wait_for(lambda: _gone(pid), timeout=5, what=f"init {pid} to die")
        assert not (box.state_root / box.id).exists()
        assert not list(oci.cgroup_dirs(box.cgroups_path))
    finally:
        _thaw(box.cgroups_path)


def _session_keyrings(name: str) -> list[str]:
    return [line for line in Path("/proc/keys").read_text().splitlines() if name in line]


@pytest.mark.parametrize(("flags", "expected"), [((), 1), (("--no-new-keyring",), 0)])
def test_container_gets_its_own_session_keyring_unless_no_new_keyring(
    box: Box, flags: tuple[str, ...], expected: int
) -> None:
    # runc joins a fresh session keyring named _ses.<id>, so keys never leak between
    # containers; --no-new-keyring keeps the caller's.
    c = box.container(box.config("exec sleep 1000"))
    argv = [c.runtime.path, "--root", str(c.state_root), "create", *flags]
    try:
        subprocess.run(
            [*argv, "--bundle", str(c.bundle), c.id],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=True, timeout=30,
        )  # fmt: skip
        assert len(_session_keyrings(f"_ses.{c.id}")) == expected
    finally:
        c.delete(force=True)
