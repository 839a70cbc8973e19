"""Our generated spec, run by dockyard-runtime, against Debian's dockerd running the same
busybox command: the process status (capabilities, seccomp, no_new_privs), the mount table,
masked paths, ulimits and cgroup limits must agree."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import RUNTIME
from tests.support import oci
from tests.support.dockerd import Docker

from dockyard.containers.container import Container
from dockyard.containers.createconfig import parse_create
from dockyard.containers.deps import Defaults
from dockyard.containers.etcfiles import write_etc_files
from dockyard.containers.spec import generate_spec

pytestmark = [pytest.mark.root, pytest.mark.integration]

# Docker 20.10's masked paths; Docker 28 (our reference) adds these, so they are ours only.
NEWER_MASKED = ("/proc/interrupts", "/sys/devices/virtual/powercap", "thermal_throttle")
MASKED_20_10 = (
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
)  # fmt: skip
SCRIPT = r"""
grep -E '^(CapEff|CapBnd|CapPrm|CapInh|Seccomp|NoNewPrivs|Groups):' /proc/self/status
echo "Ids: $(id -u):$(id -g)"
echo "Nofile: $(ulimit -n) $(ulimit -Hn)"
for f in memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes cpu/cpu.cfs_quota_us \
         cpu/cpu.cfs_period_us pids/pids.max; do
  echo "Cgroup $f: $(cat /sys/fs/cgroup/$f 2>/dev/null || echo none)"
done
for p in MASKED; do
  echo "Masked $p: $(ls -A $p 2>/dev/null | wc -l) $(head -c 16 $p 2>/dev/null | wc -c)"
done
touch /probe 2>/dev/null && echo "RootWritable: yes" || echo "RootWritable: no"
awk '{split($4, o, ","); print "Mount " $2 " " $3; print "Access " $2 ": " o[1]}' /proc/self/mounts
""".replace("MASKED", " ".join(MASKED_20_10))

CASES: dict[str, tuple[list[str], dict[str, Any], dict[str, Any]]] = {
    # name: (docker run flags, Config additions, HostConfig)
    "default": ([], {}, {}),
    "privileged": (["--privileged"], {}, {"Privileged": True}),
    "cap-drop-all": (["--cap-drop", "ALL"], {}, {"CapDrop": ["ALL"]}),
    "read-only": (["--read-only"], {}, {"ReadonlyRootfs": True}),
    "user": (["--user", "1000:1000"], {"User": "1000:1000"}, {}),
    "no-new-privileges": (
        ["--security-opt", "no-new-privileges"], {}, {"SecurityOpt": ["no-new-privileges"]},
    ),
    "limits": (
        ["--memory", "64m", "--cpus", "0.5", "--pids-limit", "42", "--ulimit", "nofile=1024:2048"],
        {},
        {"Memory": 64 << 20, "NanoCpus": 500_000_000, "PidsLimit": 42,
         "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]},
    ),
}  # fmt: skip
# Keys whose value depends on who started the process, compared only where the case sets them.
ENVIRONMENT_KEYS = ("Nofile",)


def parse(output: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    values: dict[str, str] = {}
    mounts: set[tuple[str, str]] = set()
    for line in output.splitlines():
        if line.startswith("Mount "):
            _, target, kind = line.split(" ", 2)
            if target != "/" and not any(m in target for m in NEWER_MASKED):
                mounts.add((target, kind))
        elif ":" in line:
            key, _, value = line.partition(":")
            if key.startswith("Access ") and (
                key == "Access /" or any(m in key for m in NEWER_MASKED)
            ):
                continue
            values[key.strip()] = " ".join(value.split())
    return values, mounts


@contextlib.contextmanager
def our_container(
    tmp_path: Path, rootfs: Path, config: dict[str, Any], host_config: dict[str, Any]
) -> Iterator[tuple[Path, str]]:
    cid = secrets.token_hex(32)
    body = {"Image": "busybox", "Cmd": ["sh", "-c", SCRIPT], **config,
            "HostConfig": {"NetworkMode": "none", **host_config}}  # fmt: skip
    req = parse_create(body, image=None, api_version="1.51", container_id=cid)
    c = Container(
        id=cid, name="spec", created="", image_id="", config=req.config,
        host_config=req.host_config, data_dir=str(tmp_path / "data"),
        exec_dir=str(tmp_path / "exec"),
    )  # fmt: skip
    defaults = Defaults(cgroup_parent=f"/dyspec-{secrets.token_hex(4)}")
    write_etc_files(c, defaults=defaults, host_network=False)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    subprocess.run(["cp", "-al", str(rootfs), str(bundle / "rootfs")], check=True)
    spec = generate_spec(
        c, rootfs=str(bundle / "rootfs"), defaults=defaults, netns_path=None, init=False
    )
    (bundle / "config.json").write_text(json.dumps(spec, indent=1))
    try:
        yield bundle, cid
    finally:
        oci.remove_cgroups(spec["linux"]["cgroupsPath"])
        oci.remove_cgroups(defaults.cgroup_parent)


@pytest.mark.parametrize("case", sorted(CASES))
def test_spec_matches_docker(
    case: str, dockerd: Docker, rootfs: Path, tmp_path: Path, state_root: Path
) -> None:
    flags, config, host_config = CASES[case]
    ref = dockerd(
        "run", "--rm", "--network", "none", *flags, "busybox", "sh", "-c", SCRIPT, check=False
    )  # fmt: skip
    if case == "privileged" and "unable to apply caps" in ref.stderr:
        # Docker 20.10 grants every capability the kernel knows; where the test itself lacks
        # one (a sandbox), runc refuses. Docker 28 grants the daemon's own set, as we do.
        check_privileged_alone(tmp_path, rootfs, state_root, host_config)
        return
    assert ref.returncode == 0, ref.stderr
    runtime = oci.Runtime("dockyard", RUNTIME)
    with our_container(tmp_path, rootfs, config, host_config) as (bundle, cid):
        try:
            ours = oci.run(runtime, bundle, cid, state_root).check()
        finally:
            with contextlib.suppress(oci.RuntimeTimeout):
                oci.delete(runtime, cid, state_root, force=True)
    ref_values, ref_mounts = parse(ref.stdout)
    our_values, our_mounts = parse(ours.stdout)
    keep_env = "Ulimits" in host_config
    for key in set(ref_values) | set(our_values):
        if key in ENVIRONMENT_KEYS and not keep_env:
            continue
        assert our_values.get(key) == ref_values.get(key), f"{case}: {key}\n" + oci.side_by_side(
            "docker", ref.stdout, "dockyard", ours.stdout
        )
    assert our_mounts == ref_mounts, (
        f"{case}: mounts differ\nonly docker: {sorted(ref_mounts - our_mounts)}\n"
        f"only ours: {sorted(our_mounts - ref_mounts)}"
    )


def check_privileged_alone(
    tmp_path: Path, rootfs: Path, state_root: Path, host_config: dict[str, Any]
) -> None:
    """Privileged without a reference: our own capabilities, no seccomp, no masks, /sys rw."""
    runtime = oci.Runtime("dockyard", RUNTIME)
    with our_container(tmp_path, rootfs, {}, host_config) as (bundle, cid):
        try:
            ours = oci.run(runtime, bundle, cid, state_root).check()
        finally:
            with contextlib.suppress(oci.RuntimeTimeout):
                oci.delete(runtime, cid, state_root, force=True)
    values, mounts = parse(ours.stdout)
    mine = dict(parse(Path("/proc/self/status").read_text())[0])
    assert values["CapBnd"] == values["CapEff"] == mine["CapEff"]
    assert values["Seccomp"] == "0" and values["NoNewPrivs"] == "0"
    assert not any(target in MASKED_20_10 for target, _ in mounts)
    assert ("/sys", "sysfs") in mounts and values["Access /sys"] == "rw"
