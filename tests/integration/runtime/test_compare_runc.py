"""dockyard-runtime against runc: the same bundle under both, compared by what the container sees.

Each test builds one config and hands it to a `Pair`: two `Side`s, runc (the reference) and the
candidate, each with its own work dir, `--root`, bundle copy and cgroupsPath. Outputs are
normalised (paths, pids, ids, dates) and compared; a mismatch prints both side by side.

The candidate is dockyard-runtime, and runc itself, which proves the harness: runc-vs-runc must
pass. `DOCKYARD_COMPARE_RUNTIMES=runc,dockyard,crun` chooses candidates (crun needs a hugetlb
cgroup mount this host lacks).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import oci
from tests.support.bundles import base_config, make_bundle
from tests.support.runtimes import CRUN, DOCKYARD_RUNTIME, RUNC

pytestmark = [pytest.mark.root, pytest.mark.integration]

REFERENCE = oci.Runtime("runc", RUNC)
CANDIDATES = {
    "runc": REFERENCE,
    "dockyard": oci.Runtime("dockyard-runtime", DOCKYARD_RUNTIME),
    "crun": oci.Runtime("crun", CRUN),
}
CGROUP_PARENT = "dockyard-test"
USERNS_HOST_ID = 100000

Config = dict[str, Any]
ConfigFor = Config | Callable[["Side"], Config]


def _candidate_names() -> list[str]:
    names = os.environ.get("DOCKYARD_COMPARE_RUNTIMES", "runc,dockyard")
    return [n.strip() for n in names.split(",") if n.strip()]


# --- the two sides of a comparison ------------------------------------------------------------


@dataclass
class Side:
    """One runtime's half of a comparison: its own work dir, --root, bundles and cgroup."""

    title: str
    runtime: oci.Runtime
    workdir: Path
    state_root: Path
    rootfs: Path
    container_id: str
    cgroups_path: str
    stack: contextlib.ExitStack
    bundles: list[Path] = field(default_factory=list)

    def bundle(self, config: Config, *, name: str = "bundle", parent: Path | None = None) -> Path:
        """A bundle (hard-linked rootfs copy) with this side's cgroupsPath written in."""
        config = copy.deepcopy(config)
        config["linux"]["cgroupsPath"] = self.cgroups_path
        bundle = make_bundle(parent or self.workdir, self.rootfs, config, name)
        self.bundles.append(bundle)
        return bundle

    def owned_bundle(self, config: Config, *, uid: int, gid: int) -> Path:
        """A bundle with a real rootfs copy chowned to uid:gid (user namespaces).

        It lives in its own 0711 dir under /tmp: pytest's tmp dirs are 0700 and the mapped
        root could not reach the rootfs through them.
        """
        parent = Path(tempfile.mkdtemp(prefix="dy-userns-", dir="/tmp"))
        self.stack.callback(shutil.rmtree, parent, ignore_errors=True)
        parent.chmod(0o711)
        bundle = parent / "bundle"
        bundle.mkdir()
        subprocess.run(["cp", "-a", str(self.rootfs), str(bundle / "rootfs")], check=True)
        subprocess.run(["chown", "-R", f"{uid}:{gid}", str(bundle / "rootfs")], check=True)
        config = copy.deepcopy(config)
        config["linux"]["cgroupsPath"] = self.cgroups_path
        (bundle / "config.json").write_text(json.dumps(config, indent=2))
        self.bundles.append(bundle)
        return bundle

    def container(self, bundle: Path, container_id: str | None = None) -> oci.Container:
        """A container whose `delete --force` and cleanup run at the end of the test."""
        cid = container_id or self.container_id
        return self.stack.enter_context(oci.container(self.runtime, bundle, cid, self.state_root))

    def host_dir(self, name: str = "out") -> Path:
        path = self.workdir / name
        path.mkdir(exist_ok=True)
        return path

    def cgroup(self, controller: str) -> Path:
        return oci.CGROUP_MOUNT / controller / self.cgroups_path.lstrip("/")

    def normalise(self, text: str) -> str:
        """Replace what differs between sides by construction: paths, cgroup names."""
        for bundle in self.bundles:
            text = text.replace(str(bundle), "<bundle>")
        text = text.replace(str(self.workdir), "<workdir>")
        return text.replace(self.cgroups_path, "<cgroup>")


@dataclass
class Pair:
    """The reference and the candidate side; helpers run both and compare."""

    ref: Side
    cand: Side

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.ref, self.cand)

    def run(self, config: ConfigFor) -> tuple[oci.Result, oci.Result]:
        """`run` the config in the foreground under each runtime."""
        results = []
        for side in self.sides:
            cfg = config(side) if callable(config) else config
            results.append(side.container(side.bundle(cfg)).run())
        return results[0], results[1]

    def same(self, what: str, ref_value: Any, cand_value: Any) -> None:
        oci.assert_same(what, (self.ref.title, ref_value), (self.cand.title, cand_value))

    def same_results(
        self,
        what: str,
        results: tuple[oci.Result, oci.Result],
        normalise: Callable[[str], str] = lambda s: s,
    ) -> str:
        """Compare exit code + normalised stdout; return the reference's normalised stdout."""
        texts = [
            f"exit code {r.exit_code}\n{normalise(side.normalise(r.stdout))}"
            for side, r in zip(self.sides, results, strict=True)
        ]
        if texts[0] != texts[1]:
            table = oci.side_by_side(self.ref.title, texts[0], self.cand.title, texts[1])
            errors = oci.side_by_side(
                self.ref.title, results[0].stderr, self.cand.title, results[1].stderr
            )
            raise AssertionError(f"{what} differs between runtimes:\n{table}\n\nstderr:\n{errors}")
        return texts[0].split("\n", 1)[1]


@pytest.fixture(params=_candidate_names())
def candidate(request: pytest.FixtureRequest) -> oci.Runtime:
    name: str = request.param
    if name not in CANDIDATES:
        pytest.fail(f"unknown runtime {name!r} in DOCKYARD_COMPARE_RUNTIMES")
    return CANDIDATES[name]


@pytest.fixture
def pair(tmp_path: Path, state_root: Path, rootfs: Path, candidate: oci.Runtime) -> Iterator[Pair]:
    tag = uuid.uuid4().hex[:10]
    with contextlib.ExitStack() as stack:
        sides = []
        for label, runtime, title in (
            ("ref", REFERENCE, f"{REFERENCE.name} (reference)"),
            ("cand", candidate, f"{candidate.name} (candidate)"),
        ):
            (tmp_path / label).mkdir()
            (state_root / label).mkdir()
            sides.append(
                Side(
                    title=title, runtime=runtime, workdir=tmp_path / label,
                    state_root=state_root / label, rootfs=rootfs, container_id=f"cmp-{tag}",
                    cgroups_path=f"/{CGROUP_PARENT}/{tag}-{label}", stack=stack,
                )
            )  # fmt: skip
        yield Pair(ref=sides[0], cand=sides[1])


@pytest.fixture(scope="module", autouse=True)
def _remove_cgroup_parent() -> Iterator[None]:
    """After the module, drop the empty /dockyard-test parents the runtimes made."""
    yield
    for hierarchy in oci.CGROUP_MOUNT.iterdir():
        with contextlib.suppress(OSError):
            (hierarchy / CGROUP_PARENT).rmdir()


# --- small helpers ----------------------------------------------------------------------------


def sh(script: str) -> Config:
    return base_config(["sh", "-c", script])


def with_out_mount(config: Config, side: Side, *, options: list[str] | None = None) -> Config:
    """The config plus the side's host dir `out` bind-mounted (rw) at /out."""
    config = copy.deepcopy(config)
    config["mounts"].append(
        {
            "destination": "/out",
            "type": "bind",
            "source": str(side.host_dir("out")),
            "options": options or ["rbind", "rw"],
        }
    )
    return config


DATE = re.compile(r"\s+[A-Z][a-z]{2}\s+\d{1,2}\s+(\d\d:\d\d|\d{4})\s+")


def ls_normal(text: str) -> str:
    """`ls -l` without dates and column padding."""
    return "\n".join(" ".join(DATE.sub(" <date> ", line).split()) for line in text.splitlines())


def mountinfo_normal(text: str) -> str:
    """mountinfo without ids and device numbers; sorted by mount point, stacking kept."""
    rows = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            rows.append(line)
            continue
        dash = fields.index("-")
        root, point, options = fields[3], fields[4], fields[5]
        fstype, source, super_options = fields[dash + 1 : dash + 4]
        rows.append(f"{point} {fstype} {options} root={root} src={source} super={super_options}")
    return "\n".join(sorted(rows, key=lambda r: r.split()[0]))


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def state_normal(state: dict[str, Any], side: Side, bundle: Path) -> dict[str, Any]:
    """A state (or list entry) with pid, paths, time and the runtime's spec version abstracted."""
    out = dict(state)
    if isinstance(out.get("pid"), int) and out["pid"] > 0:
        out["pid"] = "<pid>"
    for key in ("bundle", "rootfs"):
        if isinstance(out.get(key), str):
            out[key] = out[key].replace(str(bundle), "<bundle>")
    if isinstance(out.get("created"), str) and TIMESTAMP.match(out["created"]):
        out["created"] = "<timestamp>"
    if isinstance(out.get("ociVersion"), str) and re.match(r"^1\.\d+\.\d+", out["ociVersion"]):
        out["ociVersion"] = "<1.x.y>"
    return out


def started(side: Side, config: Config) -> tuple[oci.Container, dict[str, Any]]:
    """create + start a container; return it and its running state."""
    c = side.container(side.bundle(config))
    c.create().check()
    c.start().check()
    return c, c.wait_status("running")


def wait_file(path: Path, timeout: float = 10.0) -> str:
    oci.wait_for(lambda: path.exists() and path.read_text() != "", timeout=timeout, what=str(path))
    return path.read_text()


# --- 1. capabilities, seccomp, no_new_privs ---------------------------------------------------

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
EXTRA_CAPS = [*DEFAULT_CAPS, "CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_CHOWN"]


def _extra_caps(config: Config) -> None:
    config["process"]["capabilities"] = {
        k: EXTRA_CAPS for k in ("bounding", "effective", "permitted", "inheritable", "ambient")
    }
    config["process"]["noNewPrivileges"] = False


def _seccomp(config: Config) -> None:
    config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }


@pytest.mark.parametrize(
    ("variant", "change", "cap_eff", "cap_amb"),
    [
        ("default", lambda c: None, "0000000020000420", "0000000000000000"),
        ("extra-caps", _extra_caps, "0000000020281421", "0000000020281421"),
        ("seccomp", _seccomp, "0000000020000420", "0000000000000000"),
    ],
    ids=["default", "extra-caps", "seccomp"],
)
def test_status_shows_same_capabilities_and_seccomp(
    pair: Pair, variant: str, change: Callable[[Config], None], cap_eff: str, cap_amb: str
) -> None:
    config = sh(
        "grep -E '^(Cap|Seccomp|NoNewPrivs|SigIgn|SigBlk)' /proc/self/status; mkdir /dev/shm/d 2>&1"
    )
    change(config)
    out = pair.same_results(f"/proc/self/status ({variant})", pair.run(config))
    assert f"CapEff:\t{cap_eff}" in out
    # runc drops ambient caps that are not also inheritable, without an error
    assert f"CapAmb:\t{cap_amb}" in out
    assert ("Seccomp:\t2" in out) == (variant == "seccomp")
    # no signal ignored or blocked from the runtime's own process (`yes | head` must end)
    assert "SigIgn:\t0000000000000000" in out and "SigBlk:\t0000000000000000" in out


# --- 2. hostname, domainname --------------------------------------------------------------------


def test_hostname_and_domainname_sysctl(pair: Pair) -> None:
    config = sh("hostname; uname -n; cat /proc/sys/kernel/domainname")
    config["hostname"] = "cmp-host"
    # Docker sets the domain name this way with runc < 1.2, which ignores "domainname"
    config["linux"]["sysctl"] = {"kernel.domainname": "example.test"}
    out = pair.same_results("hostname/domainname", pair.run(config))
    assert out == "cmp-host\ncmp-host\nexample.test\n"


def test_domainname_field_is_set(pair: Pair, request: pytest.FixtureRequest) -> None:
    """Spec behaviour, checked on the candidate alone: runc learnt `domainname` in 1.2."""
    if pair.cand.runtime.path == RUNC:
        request.applymarker(pytest.mark.xfail(reason="runc 1.1 ignores domainname", strict=True))
    config = sh("cat /proc/sys/kernel/domainname")
    config["domainname"] = "example.test"
    side = pair.cand
    result = side.container(side.bundle(config)).run()
    assert (result.exit_code, result.stdout) == (0, "example.test\n"), result


# --- 3. mounts ----------------------------------------------------------------------------------


def _mounts_config(side: Side) -> Config:
    host = side.host_dir("host")
    (host / "file").write_text("from-the-host\n")
    config = sh("true")
    config["mounts"].append(
        {
            "destination": "/mnt/host",
            "type": "bind",
            "source": str(host),
            "options": ["rbind", "ro"],
        }
    )
    return config


def test_mountinfo_has_same_mount_points_types_and_options(pair: Pair) -> None:
    def config(side: Side) -> Config:
        cfg = _mounts_config(side)
        cfg["process"]["args"] = ["cat", "/proc/self/mountinfo"]
        return cfg

    out = pair.same_results("mountinfo", pair.run(config), mountinfo_normal)
    assert re.match(r"^/ \S+ ro,", out)
    assert re.search(r"^/proc/sys proc ro,", out, re.M)
    assert re.search(r"^/mnt/host \S+ ro,", out, re.M)


MASK_PROBE = r"""
for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
  if [ -e $p ]; then echo "$p: $(stat -c '%F %t:%T' $p) bytes=$(cat $p | wc -c)"
  else echo "$p: absent"; fi
done
echo "/sys/firmware: [$(ls -A /sys/firmware)]"
echo "/proc/acpi: [$(ls -A /proc/acpi 2>&1)]"
(echo x > /proc/sys/kernel/hostname) 2>&1
touch /rootfs-probe 2>&1
cat /mnt/host/file
touch /mnt/host/probe 2>&1
stat -c '%a' /mnt/host
"""


def test_masked_and_readonly_paths_behave_the_same(pair: Pair) -> None:
    def config(side: Side) -> Config:
        cfg = _mounts_config(side)
        cfg["process"]["args"] = ["sh", "-c", MASK_PROBE]
        return cfg

    out = pair.same_results("masked/readonly paths", pair.run(config))
    assert "/sys/firmware: []" in out
    if os.path.exists("/proc/keys"):  # masked with a bind of /dev/null
        assert "/proc/keys: character special file 1:3 bytes=0" in out
    assert "from-the-host" in out
    assert out.count("Read-only file system") >= 3


# --- 4. user, umask, cwd ------------------------------------------------------------------------


def test_user_groups_umask_and_cwd(pair: Pair) -> None:
    config = sh("id; umask; pwd; touch /dev/shm/f && stat -c '%a %u:%g' /dev/shm/f")
    config["process"]["user"] = {
        "uid": 1000,
        "gid": 1000,
        "additionalGids": [5, 29],
        "umask": 0o027,
    }
    config["process"]["cwd"] = "/tmp"
    out = pair.same_results("id/umask/pwd", pair.run(config))
    assert out == (
        "uid=1000(tester) gid=1000(tester) groups=5(tty),29(audio)\n0027\n/tmp\n640 1000:1000\n"
    )


# --- 5. rlimits ---------------------------------------------------------------------------------


def test_rlimits_are_applied(pair: Pair) -> None:
    config = sh(
        "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; "
        "grep -E '^Max (open files|processes|core file size)' /proc/self/limits"
    )
    config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 600},
        {"type": "RLIMIT_CORE", "soft": 1024, "hard": 2048},
    ]
    out = pair.same_results("rlimits", pair.run(config), ls_normal)
    assert out.startswith("1000\n2000\n300\n600\n")
    assert "Max open files 1000 2000 files" in out


# --- 6. cgroups ---------------------------------------------------------------------------------

CGROUP_PROBE = """
cat /sys/fs/cgroup/memory/memory.limit_in_bytes
cd /sys/fs/cgroup/cpu && cat cpu.shares cpu.cfs_quota_us cpu.cfs_period_us && cd /
cat /sys/fs/cgroup/pids/pids.max
echo ---; cat /proc/self/cgroup
echo ---; ls /sys/fs/cgroup
echo ---; grep ' /sys/fs/cgroup' /proc/self/mountinfo
"""


@pytest.mark.parametrize("cgroupns", [False, True], ids=["host-cgroupns", "private-cgroupns"])
def test_cgroup_limits_seen_inside(pair: Pair, cgroupns: bool) -> None:
    config = sh(CGROUP_PROBE)
    config["linux"]["resources"].update(
        {
            "memory": {"limit": 67108864},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000},
            "pids": {"limit": 64},
        }
    )
    if cgroupns:
        config["linux"]["namespaces"].append({"type": "cgroup"})
    out = pair.same_results("cgroup view", pair.run(config), mountinfo_normal_cgroup)
    assert out.startswith("67108864\n512\n50000\n100000\n64\n")
    assert ("memory:/\n" in out) == cgroupns


def mountinfo_normal_cgroup(text: str) -> str:
    head, _, mounts = text.rpartition("---\n")
    return head + "---\n" + mountinfo_normal(mounts) + "\n"


# --- 7. exit codes ------------------------------------------------------------------------------


def _no_pidns(config: Config) -> Config:
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "pid"]
    return config


@pytest.mark.parametrize(
    ("script", "pidns", "expected"),
    [
        ("exit 7", True, 7),
        # PID 1 of a pid namespace cannot be killed from inside: the kernel drops the signal
        ("kill -9 $$", True, 0),
        ("kill -9 $$", False, 137),
        ("kill -TERM $$", False, 143),
    ],
    ids=["exit-7", "kill-self-as-pid1", "sigkill-137", "sigterm-143"],
)
def test_run_exit_code(pair: Pair, script: str, pidns: bool, expected: int) -> None:
    config = sh(script)
    if not pidns:
        _no_pidns(config)
    ref, cand = pair.run(config)
    pair.same(f"exit code of `sh -c {script!r}`", ref.exit_code, cand.exit_code)
    assert ref.exit_code == expected


def test_missing_executable_fails_naming_it(pair: Pair) -> None:
    results = pair.run(base_config(["/bin/no-such-binary"]))
    seen = [(r.exit_code != 0, "no-such-binary" in r.stderr) for r in results]
    pair.same("failure (non-zero, error names the binary)", seen[0], seen[1])
    assert seen[0] == (True, True)


# --- 8. kill ------------------------------------------------------------------------------------

TRAP = (
    'trap "echo got-term > /out/sig; exit 0" TERM; echo ready > /out/ready; '
    "while true; do sleep 0.1; done"
)


@pytest.mark.parametrize("sig", ["TERM", "KILL"])
def test_kill_delivers_signal(pair: Pair, sig: str) -> None:
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c, _ = started(side, with_out_mount(sh(TRAP), side))
        out = side.host_dir("out")
        wait_file(out / "ready")
        killed = c.kill(sig)
        final = c.wait_status("stopped")
        sig_file = wait_file(out / "sig") if sig == "TERM" else (out / "sig").exists()
        seen.append({"kill": killed.exit_code, "status": final["status"], "sig file": sig_file})
    pair.same(f"kill {sig}", *seen)
    assert seen[0]["sig file"] == ("got-term\n" if sig == "TERM" else False)


# --- 9. state -----------------------------------------------------------------------------------


def test_state_through_the_lifecycle(pair: Pair) -> None:
    script = "while [ ! -e /out/stop ]; do sleep 0.05; done"
    seen: list[list[dict[str, Any]]] = []
    for side in pair.sides:
        config = with_out_mount(sh(script), side)
        config["annotations"] = {"org.dockyard.test": "state", "com.example.k": "v"}
        bundle = side.bundle(config)
        c = side.container(bundle)
        states = []
        c.create().check()
        states.append(c.state())
        c.start().check()
        states.append(c.state())
        c.pause().check()
        states.append(c.state())
        c.resume().check()
        states.append(c.state())
        (side.host_dir("out") / "stop").touch()
        states.append(c.wait_status("stopped"))
        assert all(s["bundle"] == str(bundle) for s in states), states
        seen.append([state_normal(s, side, bundle) for s in states])
    pair.same("state after create, start, pause, resume, exit", *seen)
    assert [s["status"] for s in seen[0]] == ["created", "running", "paused", "running", "stopped"]
    assert seen[0][0]["annotations"] == {"org.dockyard.test": "state", "com.example.k": "v"}
    assert seen[0][-1]["pid"] == 0  # runc reports pid 0 once stopped


# --- 10. pause / resume -------------------------------------------------------------------------

COUNTER = "i=0; while true; do i=$((i+1)); echo $i > /out/count; sleep 0.05; done"


def test_pause_freezes_and_resume_thaws(pair: Pair) -> None:
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c, st = started(side, with_out_mount(sh(COUNTER), side))
        count = side.host_dir("out") / "count"
        wait_file(count)
        freezer = side.cgroup("freezer") / "freezer.state"
        c.pause().check()
        frozen = {"freezer": freezer.read_text().strip(), "status": c.state()["status"]}
        frozen["task state"] = _task_state(st["pid"])
        before = count.read_text()
        time.sleep(0.3)
        frozen["counter moved"] = count.read_text() != before
        frozen["exec while paused fails"] = c.exec(["true"]).exit_code != 0
        c.resume().check()
        thawed = {"freezer": freezer.read_text().strip(), "status": c.state()["status"]}
        _wait_change(count, before)
        seen.append({"paused": frozen, "resumed": thawed})
    pair.same("pause/resume", *seen)
    assert seen[0]["paused"]["freezer"] == "FROZEN"
    assert seen[0]["paused"]["counter moved"] is False
    assert seen[0]["resumed"] == {"freezer": "THAWED", "status": "running"}


def _wait_change(path: Path, old: str) -> None:
    oci.wait_for(lambda: path.read_text() != old, timeout=5, what=f"{path} to change")


def _task_state(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("State:"):
            return line.split(":", 1)[1].strip()
    return "?"


# --- 11. exec -----------------------------------------------------------------------------------

NAMESPACES = ("pid", "mnt", "net", "ipc", "uts")


def test_exec_joins_the_container_namespaces(pair: Pair) -> None:
    probe = "cat /proc/1/cmdline; echo; hostname; grep NSpid /proc/self/status; " + "; ".join(
        f"readlink /proc/self/ns/{ns}" for ns in NAMESPACES
    )
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c, st = started(side, sh("exec sleep 1000"))
        result = c.exec(["sh", "-c", probe]).check()
        lines = result.stdout.replace("\0", " ").splitlines()
        init_ns = {os.readlink(f"/proc/{st['pid']}/ns/{ns}") for ns in NAMESPACES}
        seen.append(
            {
                "init cmdline": lines[0],
                "hostname": lines[1],
                # the container's /proc shows one NSpid entry only for a process in its pid ns
                "NSpid entries": len(lines[2].split()) - 1,
                "same namespaces as init": all(line in init_ns for line in lines[3:]),
            }
        )
    pair.same("exec view", *seen)
    assert seen[0]["init cmdline"] == "sleep 1000 "
    assert seen[0]["NSpid entries"] == 1
    assert seen[0]["same namespaces as init"] is True


def test_exec_process_json(pair: Pair) -> None:
    process = {
        "terminal": False,
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [29]},
        "args": ["sh", "-c", "echo FOO=$FOO; pwd; id; grep CapEff /proc/self/status"],
        "env": ["PATH=/bin", "FOO=bar"],
        "cwd": "/tmp",
    }
    results = []
    for side in pair.sides:
        c, _ = started(side, sh("exec sleep 1000"))
        path = side.workdir / "process.json"
        path.write_text(json.dumps(process))
        results.append(c.exec(process=path))
    out = pair.same_results("exec --process", (results[0], results[1]))
    assert out.startswith("FOO=bar\n/tmp\nuid=1000(tester) gid=1000(tester) groups=29(audio)\n")


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        (["sh", "-c", "echo $FOO $TERM"], {"env": ["FOO=baz"]}),
        (["pwd"], {"cwd": "/tmp"}),
        (["id"], {"user": "1000:1000"}),
        (["id"], {"user": "1000"}),
        (["sh", "-c", "exit 5"], {}),
    ],
    ids=["env", "cwd", "user", "uid-only", "exit-5"],
)
def test_exec_flags(pair: Pair, args: list[str], flags: dict[str, Any]) -> None:
    results = []
    for side in pair.sides:
        c, _ = started(side, sh("exec sleep 1000"))
        results.append(c.exec(args, **flags))
    pair.same_results(f"exec {flags} {args}", (results[0], results[1]))
    if args[-1] == "exit 5":
        assert results[0].exit_code == 5


def test_exec_missing_executable_fails(pair: Pair) -> None:
    seen: list[tuple[bool, bool]] = []
    for side in pair.sides:
        c, _ = started(side, sh("exec sleep 1000"))
        r = c.exec(["no-such-binary"])
        seen.append((r.exit_code != 0, "no-such-binary" in r.stderr))
    pair.same("exec of a missing binary", *seen)
    assert seen[0] == (True, True)


def test_exec_detach_returns_at_once(pair: Pair) -> None:
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c, _ = started(side, with_out_mount(sh("exec sleep 1000"), side))
        pid_file = side.workdir / "exec.pid"
        begin = time.monotonic()
        r = c.exec(["sh", "-c", "sleep 2; echo detached > /out/d"], detach=True, pid_file=pid_file)
        took = time.monotonic() - begin
        pid = int(pid_file.read_text()) if pid_file.exists() else -1
        seen.append(
            {
                "exit": r.exit_code,
                "returned before the process ended": took < 2,
                "pid file has a live pid": pid > 0 and Path(f"/proc/{pid}").exists(),
                "output": wait_file(side.host_dir("out") / "d"),
            }
        )
    pair.same("exec -d", *seen)
    assert seen[0]["output"] == "detached\n"


# --- 12. console socket -------------------------------------------------------------------------


def test_console_socket_tty(pair: Pair) -> None:
    config = sh("tty; stty size; ls -l /dev/console; echo done")
    config["process"]["terminal"] = True
    config["process"]["consoleSize"] = {"height": 40, "width": 100}
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c = side.container(side.bundle(config))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            path = side.workdir / "console.sock"
            listener.bind(str(path))
            listener.listen(1)
            created = c.create(console_socket=path)
            if created.exit_code != 0:
                seen.append({"create": created.exit_code, "stderr": created.stderr})
                continue
            listener.settimeout(10)
            conn, _ = listener.accept()
            with conn:
                name, fds, _, _ = socket.recv_fds(conn, 4096, 4)
        assert len(fds) == 1, f"{side.title}: console socket sent {len(fds)} fds"
        try:
            c.start().check()
            output = _read_pty(fds[0])
        finally:
            os.close(fds[0])
        c.wait_status("stopped")
        seen.append({"create": 0, "message": name.decode(), "output": ls_normal(output)})
    pair.same("console", *seen)
    assert seen[0]["output"].splitlines()[:2] == ["/dev/pts/0", "40 100"]


def _read_pty(master: int, timeout: float = 10.0) -> str:
    """Read a pty master until the slave side is gone (EIO) or timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").replace("\r\n", "\n")


# --- 13. list and ps ----------------------------------------------------------------------------


def test_list_and_ps(pair: Pair) -> None:
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        bundle = side.bundle(sh("exec sleep 1000"))
        c = side.container(bundle)
        c.create().check()
        c.start().check()
        st = c.wait_status("running")
        before = c.ps()
        c.exec(["sleep", "1000"], detach=True).check()
        after = c.ps()
        entries = oci.list_containers(side.runtime, side.state_root)
        seen.append(
            {
                "list": [state_normal(e, side, bundle) for e in entries],
                "ps before exec": before == [st["pid"]],
                "ps after exec -d": len(after) == 2 and st["pid"] in after,
            }
        )
    pair.same("list/ps", *seen)
    assert [e["status"] for e in seen[0]["list"]] == ["running"]
    assert seen[0]["ps before exec"] and seen[0]["ps after exec -d"]


# --- 14. user namespace -------------------------------------------------------------------------


def test_user_namespace_mapping(pair: Pair) -> None:
    config = sh(
        "cat /proc/self/uid_map /proc/self/gid_map; id; stat -c '%u:%g' /bin/busybox; "
        "ls -ln /dev; grep -E '^Cap(Eff|Bnd)' /proc/self/status"
    )
    config["linux"]["namespaces"].append({"type": "user"})
    mapping = [{"containerID": 0, "hostID": USERNS_HOST_ID, "size": 65536}]
    config["linux"]["uidMappings"] = mapping
    config["linux"]["gidMappings"] = mapping
    results = []
    for side in pair.sides:
        bundle = side.owned_bundle(config, uid=USERNS_HOST_ID, gid=USERNS_HOST_ID)
        results.append(side.container(bundle).run())
    out = pair.same_results("user namespace", (results[0], results[1]), _userns_ls_normal)
    assert out.startswith("0 100000 65536\n0 100000 65536\nuid=0(root) gid=0(root)\n0:0\n")


def _userns_ls_normal(text: str) -> str:
    """ls_normal, minus the group of /dev/mqueue: runc mounts it before its init's gid is
    mapped (overflow gid 65534), dockyard after (gid 0); the mount itself is the same."""
    return re.sub(
        r"^(drwxrwxrwt 2 0) \d+ (40 <date> mqueue)$", r"\1 * \2", ls_normal(text), flags=re.M
    )


# --- 15. joining a namespace by path ------------------------------------------------------------


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"dy-{uuid.uuid4().hex[:10]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def test_join_network_namespace_by_path(pair: Pair, netns: str) -> None:
    path = f"/var/run/netns/{netns}"
    config = sh("readlink /proc/self/ns/net; ip -o link | cut -d: -f2")
    config["linux"]["namespaces"] = [
        {"type": "network", "path": path} if n["type"] == "network" else n
        for n in config["linux"]["namespaces"]
    ]
    inode = os.stat(path).st_ino
    out = pair.same_results(
        "joined netns", pair.run(config), lambda s: s.replace(f"net:[{inode}]", "<the netns>")
    )
    assert out.splitlines()[0] == "<the netns>"


# --- 16. hooks ----------------------------------------------------------------------------------

HOOKS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")
HOOK_SCRIPT = (
    "s=$(cat); "
    """st=$(echo "$s" | sed -n 's/.*"status": *"\\([a-z]*\\)".*/\\1/p'); """
    """id=$(echo "$s" | sed -n 's/.*"id": *"\\([^"]*\\)".*/\\1/p'); """
    '[ "$(readlink /proc/self/ns/mnt)" = "$HOST_MNT" ] && ns=runtime || ns=container; '
    'echo "NAME status=$st id=$id ns=$ns arg0=$0" >> LOG'
)


def _hooks_config(side: Side) -> Config:
    config = with_out_mount(sh("echo container-ran >> /out/hooks.log"), side)
    host_log = side.host_dir("out") / "hooks.log"
    config["hooks"] = {}
    for name in HOOKS:
        # startContainer runs after pivot_root: its log is the same file, seen at /out
        log = "/out/hooks.log" if name == "startContainer" else str(host_log)
        script = HOOK_SCRIPT.replace("NAME", name).replace("LOG", log)
        env = [f"HOST_MNT={os.readlink('/proc/self/ns/mnt')}"]
        # args[0] stays "sh": busybox picks its applet by argv[0]
        hook = {"path": "/bin/sh", "args": ["sh", "-c", script, "hook-arg0"], "env": env}
        config["hooks"][name] = [hook]
    return config


def test_hooks_run_in_order_with_state(pair: Pair) -> None:
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        log = side.host_dir("out") / "hooks.log"
        c = side.container(side.bundle(_hooks_config(side)))
        for verb, action in (("create", c.create), ("start", c.start)):
            with log.open("a") as f:
                f.write(f"== {verb}\n")
            action().check()
        c.wait_status("stopped")
        with log.open("a") as f:
            f.write("== delete\n")
        c.delete().check()
        lines = side.normalise(log.read_text()).replace(side.container_id, "<id>").splitlines()
        # runc < 1.5 runs poststart hooks inside `create` (runc#1710, fixed by runc#5186);
        # the spec wants them after the process starts, so only count them here.
        poststart = [line for line in lines if line.startswith("poststart ")]
        seen.append(
            {
                "order": [line for line in lines if not line.startswith("poststart ")],
                "poststart ran once, before delete": len(poststart) == 1
                and lines.index(poststart[0]) < lines.index("== delete"),
            }
        )
    pair.same("hooks", *seen)
    assert seen[0]["order"] == [
        "== create",
        "prestart status=creating id=<id> ns=runtime arg0=hook-arg0",
        "createRuntime status=creating id=<id> ns=runtime arg0=hook-arg0",
        "createContainer status=creating id=<id> ns=container arg0=hook-arg0",
        "== start",
        "startContainer status=created id=<id> ns=container arg0=hook-arg0",
        "container-ran",
        "== delete",
        "poststop status=stopped id=<id> ns=runtime arg0=hook-arg0",
    ]


def test_failing_start_container_hook_stops_the_container(pair: Pair) -> None:
    """The user process must not run. runc 1.1's `start` still exits 0 here: the hook error
    appears on the container's stderr (init fails), so start's exit code is not compared."""
    config = sh("echo user-process-ran")
    config["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c = side.container(side.bundle(config))
        c.create().check()
        started_ = c.start()
        final = c.wait_status("stopped")
        errors = started_.stderr + c.output("stderr")
        seen.append(
            {
                "status": final["status"],
                "user process ran": "user-process-ran" in c.output(),
                "error reported": "hook" in errors,
            }
        )
    pair.same("failing startContainer hook", *seen)
    assert seen[0] == {"status": "stopped", "user process ran": False, "error reported": True}


def test_hook_timeout_fails_create(pair: Pair) -> None:
    config = sh("true")
    config["hooks"] = {
        "createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exec sleep 5"], "timeout": 1}]
    }
    seen: list[dict[str, Any]] = []
    for side in pair.sides:
        c = side.container(side.bundle(config))
        begin = time.monotonic()
        created = c.create()
        took = time.monotonic() - begin
        gone = oci.invoke(side.runtime, side.state_root, ["state", c.id]).exit_code != 0
        seen.append(
            {"create failed": created.exit_code != 0, "within 4s": took < 4, "container gone": gone}
        )
    pair.same("hook timeout", *seen)
    assert seen[0] == {"create failed": True, "within 4s": True, "container gone": True}


# --- 17. sysctl ---------------------------------------------------------------------------------


def test_sysctl_in_new_network_namespace(pair: Pair) -> None:
    config = sh("cat /proc/sys/net/ipv4/ip_forward")
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    assert pair.same_results("sysctl", pair.run(config)) == "1\n"


# --- 18. devices --------------------------------------------------------------------------------


def test_devices_and_default_dev(pair: Pair) -> None:
    config = sh(
        "ls -l /dev/fuse-test; echo x > /dev/fuse-test && echo write-ok; "
        "ls -l /dev /dev/pts; echo ---; cat /sys/fs/cgroup/devices/devices.list"
    )
    config["linux"]["devices"] = [
        {"path": "/dev/fuse-test", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666,
         "uid": 0, "gid": 0}
    ]  # fmt: skip
    config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}
    )
    out = pair.same_results("/dev", pair.run(config), ls_normal)
    assert out.startswith("crw-rw-rw- 1 root root 1, 3 <date> /dev/fuse-test\nwrite-ok\n")
    for name in ("null", "zero", "full", "random", "urandom", "tty"):
        assert re.search(rf"^c\S+ .* {name}$", out, re.M), name
    assert "ptmx -> pts/ptmx" in out and "stdin -> /proc/self/fd/0" in out
