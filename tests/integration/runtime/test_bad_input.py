"""dockyard-runtime on bad input: a non-zero exit, one clear line, and nothing left behind.

The issue's contract for broken config.json, missing rootfs, unknown syscall, unwritable cgroup,
unknown id and the like: the runtime exits non-zero, writes exactly one line on stderr naming the
problem (and, with `--log FILE --log-format json`, a last log line `{"level": "error", "msg": <that
line>}`), and leaves nothing behind: no new mount in /proc/self/mountinfo (under the test's dir,
where bundle, rootfs and --root live), no cgroup directory for the test's cgroupsPath in any
hierarchy, no state dir under `--root`, and no process. Every test has its own container id,
cgroupsPath (`/dockyard-bad/<tag>`) and container command (`sleep 1234.<digits>`), so a leftover
can only be the test's own.

Where it shows something, runc 1.1.5 gets the same input first (its own --root and cgroupsPath) and
what it said goes into the failure message; only dockyard-runtime is asserted on.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import oci
from tests.support.bundles import base_config, make_bundle
from tests.support.runtimes import DOCKYARD_RUNTIME, RUNC

pytestmark = [pytest.mark.root, pytest.mark.integration]

OURS = oci.Runtime("dockyard-runtime", DOCKYARD_RUNTIME)
REFERENCE = oci.Runtime("runc", RUNC)
CGROUP_PARENT = "dockyard-bad"
MISSING_SOURCE = "/nonexistent-dockyard-bad-source"
MISSING_NETNS = "/run/netns/nonexistent-dockyard-bad"

Config = dict[str, Any]


# --- what a failed invocation could leave behind ----------------------------------------------


def _mountinfo() -> frozenset[str]:
    return frozenset(Path("/proc/self/mountinfo").read_text().splitlines())


def _cmdline(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


@dataclass(frozen=True)
class Snapshot:
    """What could betray a leftover, at one moment: mounts, cgroup dirs, state, processes."""

    mounts: frozenset[str]
    cgroups: frozenset[Path]
    state_entries: frozenset[str]
    processes: frozenset[str]


@dataclass
class Scene:
    """One test's bad input: unique id, cgroupsPath and sleep marker, and its own --root."""

    workdir: Path
    state_root: Path
    rootfs: Path
    id: str
    cgroups_path: str
    marker: str
    bundles: list[tuple[oci.Runtime, Path, Path]] = field(default_factory=list)
    calls: Iterator[int] = field(default_factory=itertools.count)

    # -- bundles and invocations --

    def config(self, args: Sequence[str] | None = None) -> Config:
        """The base config running `sleep <marker>` in this test's cgroup."""
        config = base_config(list(args) if args is not None else ["sleep", self.marker])
        config["linux"]["cgroupsPath"] = self.cgroups_path
        return config

    def bundle(
        self,
        config: Config | str,
        *,
        name: str = "bundle",
        runtime: oci.Runtime = OURS,
        state_root: Path | None = None,
    ) -> Path:
        """A bundle holding `config` (a str is written verbatim), cleaned up after the test."""
        bundle = make_bundle(self.workdir, self.rootfs, {}, name)
        text = config if isinstance(config, str) else json.dumps(config, indent=2)
        (bundle / "config.json").write_text(text)
        self.bundles.append((runtime, bundle, state_root or self.state_root))
        return bundle

    def invoke(
        self,
        args: Sequence[str],
        *,
        log: Path | None = None,
        runtime: oci.Runtime = OURS,
        state_root: Path | None = None,
    ) -> oci.Result:
        """Run one verb with stdio in files: a container wrongly left running must not hang us."""
        prefix = ["--log", str(log), "--log-format", "json"] if log is not None else []
        return oci.invoke_to_files(
            runtime, state_root or self.state_root, [*prefix, *args],
            io_dir=self.workdir / "io", name=f"call-{next(self.calls)}", timeout=20,
        )  # fmt: skip

    # -- leftovers --

    def cgroup_paths(self) -> tuple[str, ...]:
        """Every cgroupsPath a bundle of this test may name."""
        return (self.cgroups_path, self.cgroups_path + "-2", self.cgroups_path + "-runc")

    def snapshot(self) -> Snapshot:
        return Snapshot(
            mounts=_mountinfo(),
            cgroups=frozenset(d for p in self.cgroup_paths()[:2] for d in oci.cgroup_dirs(p)),
            state_entries=frozenset(os.listdir(self.state_root)),
            processes=frozenset(self.processes()),
        )

    def processes(self) -> list[str]:
        """`pid: cmdline` of every process naming this test's marker, id or workdir."""
        needles = (self.marker, self.id, str(self.workdir))
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            cmdline = _cmdline(entry.name)
            if any(n in cmdline for n in needles):
                found.append(f"{entry.name}: {cmdline}")
        return found

    def leftovers(self, before: Snapshot) -> list[str]:
        """What is here now that was not in `before`."""
        # A process the runtime has just orphaned may take a moment to die: allow it one.
        deadline = time.monotonic() + 1.0
        while self.snapshot().processes - before.processes and time.monotonic() < deadline:
            time.sleep(0.02)
        now = self.snapshot()
        # Only mounts under the workdir (bundle, rootfs, --root) or naming the id: that is
        # where a runtime's mounts land, and other suites on this host (overlay snapshotters,
        # netns) mount and unmount elsewhere at the same time.
        mounts = [m for m in now.mounts - before.mounts if str(self.workdir) in m or self.id in m]
        return (
            [f"new mount: {m}" for m in sorted(mounts)]
            + [f"cgroup dir: {d}" for d in sorted(now.cgroups - before.cgroups)]
            + [
                f"state: {self.state_root / e}"
                for e in sorted(now.state_entries - before.state_entries)
            ]
            + [f"process {p}" for p in sorted(now.processes - before.processes)]
        )

    def cleanup(self) -> None:
        """Delete every container the test's bundles may have made, then anything else left."""
        for runtime, state_root in {(r, s) for r, _, s in self.bundles}:
            _forget(runtime, self.id, state_root)
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid.split(":", 1)[0]), signal.SIGKILL)
        for path in self.cgroup_paths():
            oci.remove_cgroups(path)


def _forget(runtime: oci.Runtime, id: str, state_root: Path) -> None:
    """`delete --force` and drop the state dir.

    Not `oci.cleanup`: it reads cgroupsPath from config.json and cannot read a config that is
    a JSON array; Scene.cleanup removes the test's cgroups by name instead.
    """
    if not (state_root / id).exists():
        return  # nothing was made (the usual case here): spare a runtime start-up
    with contextlib.suppress(oci.RuntimeTimeout, OSError):
        oci.delete(runtime, id, state_root, force=True, timeout=10)
    shutil.rmtree(state_root / id, ignore_errors=True)


@pytest.fixture
def scene(tmp_path: Path, state_root: Path, rootfs: Path) -> Iterator[Scene]:
    tag = uuid.uuid4().hex[:12]
    s = Scene(
        workdir=tmp_path, state_root=state_root, rootfs=rootfs, id=f"bad-{tag}",
        cgroups_path=f"/{CGROUP_PARENT}/{tag}", marker=f"1234.{int(tag, 16) % 10**9:09d}",
    )  # fmt: skip
    try:
        yield s
    finally:
        s.cleanup()


@pytest.fixture(scope="module", autouse=True)
def _remove_cgroup_parent() -> Iterator[None]:
    """After the module, drop the empty /dockyard-bad parents the runtimes made."""
    yield
    for hierarchy in oci.CGROUP_MOUNT.iterdir():
        with contextlib.suppress(OSError):
            (hierarchy / CGROUP_PARENT).rmdir()


# --- the assertions ---------------------------------------------------------------------------


def one_line(result: oci.Result, needles: Sequence[str], *, context: str = "") -> str:
    """Assert a non-zero exit and exactly one stderr line holding every needle; return it."""
    about = f"\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}{context}"
    assert result.exit_code != 0, f"the runtime accepted bad input{about}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"want exactly one stderr line{about}"
    missing = [n for n in needles if n.lower() not in lines[0].lower()]
    assert not missing, f"stderr line does not name {missing}{about}"
    return lines[0]


def json_log_ends_with_error(log: Path, msg: str) -> None:
    """Assert the log's last line is JSON `{"level": "error", "msg": msg, ...}`."""
    lines = log.read_text().splitlines() if log.exists() else []
    assert lines, f"{log} is empty"
    try:
        entry = json.loads(lines[-1])
    except ValueError as err:
        raise AssertionError(f"last log line is not JSON: {lines[-1]!r}") from err
    assert entry.get("level") == "error", f"last log line: {entry}"
    assert entry.get("msg") == msg, f"log msg {entry.get('msg')!r} != stderr line {msg!r}"


def refused(
    scene: Scene,
    args: Sequence[str],
    needles: Sequence[str],
    *,
    context: str = "",
    json_log: bool = True,
    slow_kill: bool = False,
) -> None:
    """Run `args` plain and with a JSON --log; each must fail cleanly and leave nothing."""
    modes: list[Path | None] = [None]
    if json_log:
        modes.append(scene.workdir / f"log-{next(scene.calls)}.json")
    for log in modes:
        before = scene.snapshot()
        with _slow_sigkill(scene.workdir) if slow_kill else contextlib.nullcontext():
            result = scene.invoke(args, log=log)
        line = one_line(result, needles, context=context)
        if log is not None:
            json_log_ends_with_error(log, line)
        left = scene.leftovers(before)
        assert not left, "left behind after a refused {}:\n  {}{}".format(
            " ".join(args), "\n  ".join(left), context
        )


SLOW_SIGKILL = '''"""Injected by test_bad_input.py: the runtime's SIGKILLs wait 0.2 s."""
import os
import time

_kill = os.kill


def kill(pid, sig):
    if sig == 9:
        time.sleep(0.2)
    return _kill(pid, sig)


os.kill = kill
'''


@contextlib.contextmanager
def _slow_sigkill(workdir: Path) -> Iterator[None]:
    """Run the runtime with a sitecustomize that delays each SIGKILL it sends.

    When create fails after forking the init, the runtime kills the init; how soon decides
    whether the init gets to act first. The delay makes the slow case happen every time,
    instead of in one run out of 5 to 30 depending on load.
    """
    inject = workdir / "slow-sigkill"
    inject.mkdir(exist_ok=True)
    (inject / "sitecustomize.py").write_text(SLOW_SIGKILL)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(inject), *([old] if old else [])])
    try:
        yield
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def reference(scene: Scene, config: Config | str) -> str:
    """What runc says about the same config on `create`, for failure messages; cleans up."""
    runc_root = scene.workdir / "runc-state"
    runc_root.mkdir(exist_ok=True)
    if not isinstance(config, str):
        config = copy.deepcopy(config)
        config.setdefault("linux", {})["cgroupsPath"] = scene.cgroups_path + "-runc"
    bundle = scene.bundle(config, name="runc-bundle", runtime=REFERENCE, state_root=runc_root)
    result = scene.invoke(
        ["create", "--bundle", str(bundle), scene.id], runtime=REFERENCE, state_root=runc_root
    )
    _forget(REFERENCE, scene.id, runc_root)
    oci.remove_cgroups(scene.cgroups_path + "-runc")
    if result.exit_code == 0:
        return "\n--- runc 1.1.5 accepted this config"
    return f"\n--- runc 1.1.5 exit {result.exit_code}: {result.stderr.strip()}"


# --- broken config.json: one case per way to break it -------------------------------------------

Mutation = Callable[[Config], "Config | str"]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting config[a][b]... = value for path "a.b..."."""

    def mutate(config: Config) -> Config:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
        return config

    return mutate


def _without_args(config: Config) -> Config:
    del config["process"]["args"]
    return config


def _seccomp(names: list[str], action: str) -> Mutation:
    return _set(
        "linux.seccomp",
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": names, "action": action}]},
    )


def _bind_missing_source(config: Config) -> Config:
    config["mounts"].append(
        {"destination": "/mnt", "type": "bind", "source": MISSING_SOURCE, "options": ["rbind"]}
    )
    return config


def _namespace(entry: dict[str, str]) -> Mutation:
    def mutate(config: Config) -> Config:
        spaces = [n for n in config["linux"]["namespaces"] if n["type"] != entry["type"]]
        config["linux"]["namespaces"] = [*spaces, entry]
        return config

    return mutate


def _without_uts(config: Config) -> Config:
    spaces = config["linux"]["namespaces"]
    config["linux"]["namespaces"] = [n for n in spaces if n["type"] != "uts"]
    return config


BAD_CONFIGS: list[Any] = [
    pytest.param(lambda c: "{not json", ["config.json"], id="broken-json"),
    pytest.param(lambda c: "[1, 2]", ["config.json"], id="config-is-an-array"),
    pytest.param(_set("ociVersion", "2.0.0"), ["ociVersion", "2.0.0"], id="oci-version-2"),
    pytest.param(_without_args, ["args"], id="no-process-args"),
    pytest.param(_set("root.path", "no-such-rootfs"), ["no-such-rootfs"], id="missing-rootfs"),
    pytest.param(
        _set("root.path", "rootfs/etc/passwd"), ["rootfs", "etc/passwd"], id="rootfs-is-a-file"
    ),
    pytest.param(
        _seccomp(["no_such_syscall"], "SCMP_ACT_ERRNO"),
        ["no_such_syscall"],
        id="seccomp-unknown-syscall",
    ),
    pytest.param(
        _seccomp(["getpid"], "SCMP_ACT_BOGUS"), ["SCMP_ACT_BOGUS"], id="seccomp-unknown-action"
    ),
    pytest.param(
        _set("linux.resources.cpu", {"cpus": "999"}),
        ["cpuset.cpus", "999"],
        id="cpuset-cpus-refused-by-kernel",
    ),
    pytest.param(
        _set("linux.resources.pids", {"limit": "abc"}), ["pids", "limit"], id="pids-limit-string"
    ),
    pytest.param(_bind_missing_source, [MISSING_SOURCE], id="bind-source-missing"),
    pytest.param(_namespace({"type": "bogus"}), ["bogus"], id="unknown-namespace-type"),
    pytest.param(
        _namespace({"type": "network", "path": MISSING_NETNS}),
        [MISSING_NETNS],
        id="namespace-path-missing",
    ),
    pytest.param(
        _set("linux.sysctl", {"vm.swappiness": "10"}),
        ["vm.swappiness"],
        id="sysctl-not-namespaced",
    ),
    pytest.param(_without_uts, ["hostname", "UTS"], id="hostname-without-uts-namespace"),
    pytest.param(
        _set("process.apparmorProfile", "docker-default"), ["apparmor"], id="apparmor-not-on-host"
    ),
    pytest.param(_set("process.terminal", True), ["console"], id="terminal-without-console-socket"),
    pytest.param(
        _set("process.args", ["no-such-executable"]),
        ["no-such-executable", "executable file not found in $PATH"],
        id="executable-not-found",
    ),
]

XFAIL: dict[tuple[str, str], str] = {}  # runtime bugs found here are fixed; none open
# Refused after the init is forked: the runtime's SIGKILLs are delayed to expose cleanup races.
SLOW_KILL = {"cpuset-cpus-refused-by-kernel", "pids-limit-string"}


def _cases(verb: str, ids: Sequence[str] | None = None) -> list[Any]:
    """BAD_CONFIGS for one verb (or the named subset), with that verb's known failures marked."""
    cases = []
    for case in BAD_CONFIGS:
        if ids is not None and case.id not in ids:
            continue
        reason = XFAIL.get((verb, str(case.id)))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        slow_kill = case.id in SLOW_KILL
        cases.append(pytest.param(*case.values, slow_kill, marks=marks, id=case.id))
    return cases


@pytest.mark.parametrize(("mutate", "needles", "slow_kill"), _cases("create"))
def test_create_refuses_bad_config(
    scene: Scene, mutate: Mutation, needles: list[str], slow_kill: bool
) -> None:
    config = mutate(scene.config())
    context = reference(scene, config)
    bundle = scene.bundle(config)
    args = ["create", "--bundle", str(bundle), scene.id]
    refused(scene, args, needles, context=context, slow_kill=slow_kill)


RUN_TOO = [
    "broken-json", "config-is-an-array", "missing-rootfs", "seccomp-unknown-syscall",
    "cpuset-cpus-refused-by-kernel", "bind-source-missing", "executable-not-found",
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "needles", "slow_kill"), _cases("run", RUN_TOO))
def test_run_refuses_bad_config(
    scene: Scene, mutate: Mutation, needles: list[str], slow_kill: bool
) -> None:
    """`run` fails the same way as `create` and cleans up after its own half-made container."""
    bundle = scene.bundle(mutate(scene.config()))
    args = ["run", "--bundle", str(bundle), scene.id]
    refused(scene, args, needles, slow_kill=slow_kill)


@pytest.mark.parametrize(
    ("flags", "needles", "terminal"),
    [
        pytest.param(
            ["--bundle", "/nonexistent-dockyard-bundle"], ["/nonexistent-dockyard-bundle"], False,
            id="bundle-missing",
        ),
        pytest.param(
            ["--pid-file", "/nonexistent-dockyard-dir/pid"], ["/nonexistent-dockyard-dir"], False,
            id="pid-file-dir-missing",
        ),
        pytest.param(
            ["--console-socket", "/nonexistent-dockyard.sock"], ["/nonexistent-dockyard.sock"],
            True, id="console-socket-missing",
        ),
        pytest.param(
            ["--preserve-fds", "abc"], ["preserve-fds", "abc"], False, id="preserve-fds-abc"
        ),
    ],
)  # fmt: skip
def test_create_refuses_bad_flags(
    scene: Scene, flags: list[str], needles: list[str], terminal: bool
) -> None:
    """Bad create flags on a good bundle (a second --bundle overrides the first, as in runc)."""
    config = scene.config()
    config["process"]["terminal"] = terminal
    bundle = scene.bundle(config)
    refused(scene, ["create", "--bundle", str(bundle), *flags, scene.id], needles)


# --- unknown ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verb",
    [
        ["state"],
        ["start"],
        ["kill", "@", "KILL"],
        ["delete"],
        ["pause"],
        ["resume"],
        ["exec", "@", "true"],
        ["ps"],
    ],
    ids=lambda v: v[0],
)
def test_unknown_id_is_refused(scene: Scene, verb: list[str]) -> None:
    args = [a.replace("@", scene.id) for a in verb]
    if "@" not in verb:
        args.append(scene.id)
    refused(scene, args, [scene.id])
    assert os.listdir(scene.state_root) == []


def test_delete_force_of_unknown_id_succeeds_like_runc(scene: Scene) -> None:
    """runc treats `delete --force` of a missing container as done (containerd relies on it)."""
    runc = scene.invoke(["delete", "--force", scene.id], runtime=REFERENCE)
    result = scene.invoke(["delete", "--force", scene.id])
    assert (result.exit_code, result.stderr) == (0, ""), f"{result}; runc: {runc}"


# --- lifecycle misuse -------------------------------------------------------------------------


def _created(scene: Scene) -> Path:
    bundle = scene.bundle(scene.config())
    scene.invoke(["create", "--bundle", str(bundle), scene.id]).check()
    return bundle


def _status(scene: Scene) -> str:
    result = scene.invoke(["state", scene.id]).check()
    status: str = json.loads(result.stdout)["status"]
    return status


def test_duplicate_id_is_refused_and_the_first_container_is_untouched(scene: Scene) -> None:
    _created(scene)
    first = json.loads(scene.invoke(["state", scene.id]).check().stdout)
    other = scene.config(["sleep", scene.marker + "1"])
    other["linux"]["cgroupsPath"] = scene.cgroups_path + "-2"
    bundle = scene.bundle(other, name="bundle-2")
    refused(scene, ["create", "--bundle", str(bundle), scene.id], [scene.id])
    assert _status(scene) == "created"
    assert json.loads(scene.invoke(["state", scene.id]).check().stdout)["pid"] == first["pid"]
    assert list(oci.cgroup_dirs(scene.cgroups_path)), "the first container lost its cgroup"


def test_start_twice_is_refused(scene: Scene) -> None:
    _created(scene)
    scene.invoke(["start", scene.id]).check()
    refused(scene, ["start", scene.id], ["running"])
    assert _status(scene) == "running"


def test_delete_of_running_container_needs_force(scene: Scene) -> None:
    before = scene.snapshot()
    _created(scene)
    scene.invoke(["start", scene.id]).check()
    refused(scene, ["delete", scene.id], ["running"])
    assert _status(scene) == "running"
    assert scene.processes(), "the refused delete stopped the container"
    result = scene.invoke(["delete", "--force", scene.id])
    assert (result.exit_code, result.stderr) == (0, ""), result
    left = scene.leftovers(before)
    assert not left, "left behind after delete --force:\n  " + "\n  ".join(left)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        pytest.param(
            ["exec", "@", "no-such-executable"],
            ["no-such-executable", "executable file not found in $PATH"],
            id="exec-missing-executable",
        ),
        pytest.param(["exec", "@"], ["args"], id="exec-without-args"),
        pytest.param(
            ["exec", "--process", "%/broken.json", "@"], ["broken.json"],
            id="exec-process-broken-json",
        ),
        pytest.param(
            ["exec", "--process", "%/missing.json", "@"], ["missing.json"],
            id="exec-process-file-missing",
        ),
        pytest.param(
            ["exec", "--process", "%/no-args.json", "@"], ["args"], id="exec-process-without-args"
        ),
        pytest.param(
            ["exec", "--cwd", "/nonexistent-cwd", "@", "true"], ["/nonexistent-cwd"],
            id="exec-cwd-missing",
        ),
        pytest.param(
            ["exec", "--user", "0:abc", "@", "true"], ["abc"], id="exec-user-not-a-number"
        ),
        pytest.param(["kill", "@", "FOO"], ["FOO"], id="kill-unknown-signal"),
    ],
)  # fmt: skip
def test_running_container_refuses_bad_request(
    scene: Scene, args: list[str], needles: list[str]
) -> None:
    """Bad exec/kill requests fail alone: the container runs on, nothing else is left."""
    (scene.workdir / "broken.json").write_text("{not json")
    (scene.workdir / "no-args.json").write_text(json.dumps({"args": [], "cwd": "/"}))
    _created(scene)
    scene.invoke(["start", scene.id]).check()
    args = [a.replace("@", scene.id).replace("%", str(scene.workdir)) for a in args]
    refused(scene, args, needles)
    assert _status(scene) == "running"


# --- global flags and the command line ----------------------------------------------------------


def test_systemd_cgroup_is_refused_on_a_host_without_systemd(scene: Scene) -> None:
    bundle = scene.bundle(scene.config())
    refused(scene, ["--systemd-cgroup", "create", "--bundle", str(bundle), scene.id], ["systemd"])


@pytest.mark.parametrize(
    ("args", "needles", "json_log"),
    [
        pytest.param(["frobnicate"], ["frobnicate"], True, id="unknown-command"),
        pytest.param(["--frobnicate", "list"], ["--frobnicate"], False, id="unknown-global-flag"),
        pytest.param(["list", "--frobnicate"], ["--frobnicate"], True, id="unknown-command-flag"),
        pytest.param(["--log-format", "xml", "list"], ["xml"], False, id="log-format-xml"),
    ],
)
def test_bad_command_line_is_refused(
    scene: Scene, args: list[str], needles: list[str], json_log: bool
) -> None:
    """A global flag is parsed before --log exists, so only later errors reach the JSON log."""
    refused(scene, args, needles, json_log=json_log)
