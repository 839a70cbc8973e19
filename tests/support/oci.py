"""A small harness that drives OCI runtimes through runc's command line.

Tests run the same bundle under runc (the reference) and under dockyard-runtime and compare what
the container saw. Every call goes through `invoke()`, which puts `--root` before the verb the way
containerd's shim calls runc, so each runtime keeps its state in a directory the test owns.

Lifecycle of a container in a test::

    with oci.container(runtime, bundle, "c1", state_root) as c:
        c.create().check()      # container stdio goes to files in c.io_dir
        c.start().check()
        c.state()["status"]     # "running"
    # here `delete --force` has run, and the state dir, stdio files and cgroup dirs are gone

`run()` is the foreground `runc run`: the container's stdout/stderr come back through pipes.
`create()` and `exec(detach=True)` hand the container their stdio and return at once, so pipes
would never reach EOF; their output goes to files instead.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0
CGROUP_MOUNT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Runtime:
    """An OCI runtime with runc's command line: a display name and the executable's path."""

    name: str
    path: str


@dataclass(frozen=True)
class Result:
    """What one runtime invocation left behind: its exit code and its (decoded) stdout/stderr."""

    exit_code: int
    stdout: str
    stderr: str

    def check(self) -> Result:
        """Return self, or fail the test with the output when the exit code is not 0."""
        if self.exit_code != 0:
            raise AssertionError(
                f"exit code {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
            )
        return self


class RuntimeTimeout(AssertionError):
    """A runtime invocation did not finish in time; the runtime process has been killed."""


def command(runtime: Runtime, state_root: Path, args: Sequence[str]) -> list[str]:
    """The argv for `runtime --root state_root args...`."""
    return [runtime.path, "--root", str(state_root), *args]


def invoke(
    runtime: Runtime,
    state_root: Path,
    args: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Result:
    """Run one runtime verb to completion with stdout/stderr captured through pipes."""
    argv = command(runtime, state_root, args)
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeTimeout(
            f"{' '.join(argv)} did not finish in {timeout}s\n--- stdout\n"
            f"{_text(out)}\n--- stderr\n{_text(err)}"
        ) from exc
    return Result(exit_code=proc.returncode, stdout=_text(out), stderr=_text(err))


def invoke_to_files(
    runtime: Runtime,
    state_root: Path,
    args: Sequence[str],
    *,
    io_dir: Path,
    name: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> Result:
    """Run a verb whose container process inherits our stdio (create, exec -d).

    stdout/stderr are files `io_dir/name.stdout` and `io_dir/name.stderr`: the container keeps
    writing to them after the runtime has exited. The Result holds what they held at that moment.
    """
    io_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = io_dir / f"{name}.stdout", io_dir / f"{name}.stderr"
    argv = command(runtime, state_root, args)
    with out_path.open("ab") as out, err_path.open("ab") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise RuntimeTimeout(
            f"{' '.join(argv)} did not finish in {timeout}s\n--- stderr\n{_read(err_path)}"
        ) from exc
    return Result(exit_code=proc.returncode, stdout=_read(out_path), stderr=_read(err_path))


# --- the runc verbs ---------------------------------------------------------------------------


def run(
    runtime: Runtime,
    bundle: Path,
    id: str,
    state_root: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Result:
    """`runc run --bundle BUNDLE ID` in the foreground; the container's output through pipes."""
    return invoke(runtime, state_root, ["run", "--bundle", str(bundle), id], timeout=timeout)


def create(
    runtime: Runtime,
    bundle: Path,
    id: str,
    state_root: Path,
    *,
    io_dir: Path,
    console_socket: Path | None = None,
    pid_file: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Result:
    """`runc create`; the container's stdio (and the runtime's own) go to files in io_dir."""
    args = ["create", "--bundle", str(bundle)]
    if console_socket is not None:
        args += ["--console-socket", str(console_socket)]
    if pid_file is not None:
        args += ["--pid-file", str(pid_file)]
    return invoke_to_files(
        runtime, state_root, [*args, id], io_dir=io_dir, name="create", timeout=timeout
    )


def start(
    runtime: Runtime, id: str, state_root: Path, *, timeout: float = DEFAULT_TIMEOUT
) -> Result:
    """`runc start ID`."""
    return invoke(runtime, state_root, ["start", id], timeout=timeout)


def state(runtime: Runtime, id: str, state_root: Path) -> dict[str, Any]:
    """`runc state ID`, parsed; fails the test when the runtime does."""
    result = invoke(runtime, state_root, ["state", id]).check()
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def kill(
    runtime: Runtime, id: str, state_root: Path, sig: str = "TERM", *, all: bool = False
) -> Result:
    """`runc kill [--all] ID SIG`."""
    return invoke(runtime, state_root, ["kill", *(["--all"] if all else []), id, sig])


def delete(
    runtime: Runtime,
    id: str,
    state_root: Path,
    *,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Result:
    """`runc delete [--force] ID`."""
    return invoke(
        runtime, state_root, ["delete", *(["--force"] if force else []), id], timeout=timeout
    )


def exec(
    runtime: Runtime,
    id: str,
    state_root: Path,
    args: Sequence[str] = (),
    *,
    process: Path | None = None,
    env: Sequence[str] = (),
    cwd: str | None = None,
    user: str | None = None,
    detach: bool = False,
    tty: bool = False,
    console_socket: Path | None = None,
    pid_file: Path | None = None,
    io_dir: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Result:
    """`runc exec [flags] ID ARGS...`; with detach=True the process's stdio go to io_dir."""
    flags: list[str] = []
    if process is not None:
        flags += ["--process", str(process)]
    for item in env:
        flags += ["--env", item]
    if cwd is not None:
        flags += ["--cwd", cwd]
    if user is not None:
        flags += ["--user", user]
    if tty:
        flags.append("--tty")
    if console_socket is not None:
        flags += ["--console-socket", str(console_socket)]
    if pid_file is not None:
        flags += ["--pid-file", str(pid_file)]
    if detach:
        if io_dir is None:
            raise ValueError("exec(detach=True) needs io_dir for the process's stdio")
        flags.append("--detach")
        return invoke_to_files(
            runtime, state_root, ["exec", *flags, id, *args], io_dir=io_dir, name="exec-detached",
            timeout=timeout,
        )  # fmt: skip
    return invoke(runtime, state_root, ["exec", *flags, id, *args], timeout=timeout)


def pause(runtime: Runtime, id: str, state_root: Path) -> Result:
    """`runc pause ID`."""
    return invoke(runtime, state_root, ["pause", id])


def resume(runtime: Runtime, id: str, state_root: Path) -> Result:
    """`runc resume ID`."""
    return invoke(runtime, state_root, ["resume", id])


def ps(runtime: Runtime, id: str, state_root: Path) -> list[int]:
    """`runc ps --format json ID`: the host pids of the container's processes."""
    result = invoke(runtime, state_root, ["ps", "--format", "json", id]).check()
    pids: list[int] = json.loads(result.stdout)
    return pids


def list_containers(runtime: Runtime, state_root: Path) -> list[dict[str, Any]]:
    """`runc list --format json`; runc prints `null` when there is nothing to list.

    Named so as not to shadow the builtin `list`.
    """
    result = invoke(runtime, state_root, ["list", "--format", "json"]).check()
    entries: list[dict[str, Any]] | None = json.loads(result.stdout)
    return entries or []


# --- one container, cleaned up whatever happens -----------------------------------------------


@dataclass(frozen=True)
class Container:
    """One container id under one runtime and state root; the methods delegate to the verbs."""

    runtime: Runtime
    bundle: Path
    id: str
    state_root: Path
    io_dir: Path = field(default=Path())

    def run(self, *, timeout: float = DEFAULT_TIMEOUT) -> Result:
        return run(self.runtime, self.bundle, self.id, self.state_root, timeout=timeout)

    def create(self, *, console_socket: Path | None = None, pid_file: Path | None = None) -> Result:
        return create(
            self.runtime, self.bundle, self.id, self.state_root, io_dir=self.io_dir,
            console_socket=console_socket, pid_file=pid_file,
        )  # fmt: skip

    def start(self) -> Result:
        return start(self.runtime, self.id, self.state_root)

    def state(self) -> dict[str, Any]:
        return state(self.runtime, self.id, self.state_root)

    def kill(self, sig: str = "TERM", *, all: bool = False) -> Result:
        return kill(self.runtime, self.id, self.state_root, sig, all=all)

    def delete(self, *, force: bool = False) -> Result:
        return delete(self.runtime, self.id, self.state_root, force=force)

    def exec(self, args: Sequence[str] = (), **kwargs: Any) -> Result:
        kwargs.setdefault("io_dir", self.io_dir)
        return exec(self.runtime, self.id, self.state_root, args, **kwargs)

    def pause(self) -> Result:
        return pause(self.runtime, self.id, self.state_root)

    def resume(self) -> Result:
        return resume(self.runtime, self.id, self.state_root)

    def ps(self) -> list[int]:
        return ps(self.runtime, self.id, self.state_root)

    def output(self, stream: str = "stdout") -> str:
        """What the created container has written so far to its stdout (or stderr)."""
        return _read(self.io_dir / f"create.{stream}")

    def wait_status(self, status: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """Poll `state` until it reports `status`; fail with the last state otherwise."""
        last: dict[str, Any] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.state()
            if last.get("status") == status:
                return last
            time.sleep(0.02)
        raise AssertionError(f"{self.runtime.name}: {self.id} never became {status}: {last}")


@contextlib.contextmanager
def container(runtime: Runtime, bundle: Path, id: str, state_root: Path) -> Iterator[Container]:
    """A Container whose teardown always runs `delete --force` and removes what it left.

    Teardown removes the runtime's state dir for the id, the stdio files, and the cgroup
    directories named by the bundle's `linux.cgroupsPath` (killing anything still inside them:
    only processes this container started can be there).
    """
    handle = Container(runtime, bundle, id, state_root, state_root.parent / f"{id}.io")
    try:
        yield handle
    finally:
        cleanup(handle)


def cleanup(handle: Container) -> None:
    """Undo whatever a container may have left: runtime state, stdio files, cgroups."""
    with contextlib.suppress(RuntimeTimeout, OSError):
        delete(handle.runtime, handle.id, handle.state_root, force=True, timeout=10)
    shutil.rmtree(handle.state_root / handle.id, ignore_errors=True)
    shutil.rmtree(handle.io_dir, ignore_errors=True)
    cgroups_path = bundle_cgroups_path(handle.bundle)
    if cgroups_path:
        remove_cgroups(cgroups_path)


def bundle_cgroups_path(bundle: Path) -> str | None:
    """The `linux.cgroupsPath` of a bundle's config.json, if it has one."""
    try:
        config = json.loads((bundle / "config.json").read_text())
    except (OSError, ValueError):
        return None
    linux = config.get("linux") if isinstance(config, dict) else None
    path = linux.get("cgroupsPath") if isinstance(linux, dict) else None
    return path if isinstance(path, str) and path else None


def cgroup_dirs(cgroups_path: str) -> Iterator[Path]:
    """Every existing directory for an absolute cgroupsPath, one per mounted hierarchy."""
    relative = cgroups_path.strip("/")
    if not relative or ".." in relative.split("/"):
        return
    for hierarchy in sorted(CGROUP_MOUNT.iterdir()):
        candidate = hierarchy / relative
        if candidate.is_dir():
            yield candidate


def remove_cgroups(cgroups_path: str) -> None:
    """Remove the cgroup dirs of cgroupsPath in every hierarchy, children first."""
    for top in cgroup_dirs(cgroups_path):
        dirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for cgroup in [*dirs, top]:
            _empty_cgroup(cgroup)
            with contextlib.suppress(OSError):
                cgroup.rmdir()


def _empty_cgroup(cgroup: Path) -> None:
    """SIGKILL what is left in a cgroup (thawing it first: a frozen task never dies)."""
    freezer = cgroup / "freezer.state"
    if freezer.exists():
        with contextlib.suppress(OSError):
            freezer.write_text("THAWED")
    for _ in range(50):
        try:
            pids = [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


# --- comparing two runtimes -------------------------------------------------------------------


def side_by_side(left_name: str, left: str, right_name: str, right: str, *, width: int = 72) -> str:
    """Two outputs in two columns, a `!` on rows whose lines differ.

    Long lines are cut into `width` pieces rather than word-wrapped, and tabs show as `\\t`, so
    whitespace differences stay visible.
    """
    rows = [f"  {left_name:<{width}} | {right_name}", f"  {'-' * width}-+-{'-' * width}"]
    pairs = itertools.zip_longest(left.splitlines() or [""], right.splitlines() or [""])
    for a, b in pairs:
        mark = " " if a == b else "!"
        pieces = itertools.zip_longest(_cells(a, width), _cells(b, width), fillvalue="")
        for i, (pa, pb) in enumerate(pieces):
            rows.append(f"{mark if i == 0 else ' '} {pa:<{width}} | {pb}")
    return "\n".join(rows)


def _cells(line: str | None, width: int) -> list[str]:
    if line is None:
        return ["<missing>"]
    line = line.replace("\t", "\\t")
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


def render(value: Any) -> str:
    """Text for side_by_side: strings as they are, anything else as indented sorted JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, sort_keys=True, default=str)


def assert_same(what: str, ref: tuple[str, Any], cand: tuple[str, Any]) -> None:
    """Fail with a side-by-side view unless the reference and candidate values are equal."""
    (ref_name, ref_value), (cand_name, cand_value) = ref, cand
    if ref_value != cand_value:
        table = side_by_side(ref_name, render(ref_value), cand_name, render(cand_value))
        raise AssertionError(f"{what} differs between runtimes:\n{table}")


def wait_for(predicate: Callable[[], bool], *, timeout: float = 10.0, what: str = "") -> None:
    """Poll predicate until it holds; fail after timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.02)


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
