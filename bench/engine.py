"""The engine end to end, through the same docker CLI: dockyardd vs Debian's dockerd 20.10.

Both daemons are private (tests/support/dockyardd.py, tests/support/dockerd.py: own roots,
sockets, no bridge on dockerd's side), both have busybox:latest imported offline, and both are
driven by /usr/bin/docker (20.10) with the same arguments. Measured, per daemon:

- `run_rm`: wall time of `docker run --rm busybox true` (create, attach, start, wait, remove),
  median of 15 (runs interleaved between the daemons); `run_rm_netnone` the same with
  `--network none`;
- `run_d_x20`: 20 `docker run -d busybox sleep 600` started at once (20 CLI processes), wall
  time until all have returned; `rm_f_x20`: then one `docker rm -f` of the 20 (median of 3);
- `run_d_seq_x20`: 20 `docker run -d` one after the other, then `rm_f_seq_x20`: 20 `docker
  rm -f` one after the other (the issue's own measurement; median of 3);
- `list_200`: `GET /containers/json?all=1` with 200 created containers, median of 20 calls;
- `idle_pss`: proportional set size (smaps_rollup) per running idle container of the shim
  that supervises it: dockyard-shim vs containerd-shim-runc-v2 (5 containers; ratio of KiB).

The reference (ratio 1.0) is dockerd. A subject that fails is a row with its error.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import dockerd as dockerd_support
from tests.support import dockyardd as dockyardd_support
from tests.support.bundles import busybox_rootfs
from tests.support.dockerd import Docker
from tests.support.dockyardd import UnixHTTPConnection

from bench.row import Row
from bench.timing import first_error_line, spread

NAME = "engine"
REFERENCE = "dockerd"
SUBJECTS = ("dockerd", "dockyardd")
DEFAULT_RUNS = 15
DEFAULT_WARMUP = 2
CLI = "/usr/bin/docker"
IMAGE = "busybox:latest"
LABEL = "dockyard.bench=engine"
BENCHMARKS = (
    "run_rm", "run_rm_netnone", "run_d_x20", "rm_f_x20", "run_d_seq_x20", "rm_f_seq_x20",
    "list_200", "idle_pss",
)  # fmt: skip


@dataclass(kw_only=True)
class _Engine:
    """A running daemon as the benchmark drives it."""

    name: str
    docker: Docker
    shim_pids: Callable[[], list[int]]

    @property
    def socket(self) -> str:
        return self.docker.env["DOCKER_HOST"].removeprefix("unix://")

    def api(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        conn = UnixHTTPConnection(self.socket, timeout=120)
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def timed(self, *args: str, timeout: float = 120) -> float:
        """Wall ms of one CLI command; raises with its first error line when it fails."""
        start = time.perf_counter()
        proc = subprocess.run(
            [self.docker.cli, *args],
            env=self.docker.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        ms = (time.perf_counter() - start) * 1000
        if proc.returncode != 0:
            why = first_error_line(proc.stderr, proc.returncode)
            raise RuntimeError(f"docker {args[0]}: {why}")
        return ms

    def clean(self) -> None:
        ids = self.docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
        for cid in ids:
            self.api("DELETE", f"/containers/{cid}?force=1")


@dataclass(kw_only=True)
class _Result:
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    note: str = ""


def _containerd_shims(docker: Docker) -> Callable[[], list[int]]:
    """containerd-shim-runc-v2 processes of this private dockerd (their -address names its
    exec-root)."""
    base = str(Path(docker.env["DOCKER_HOST"].removeprefix("unix://")).parent)

    def find() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if (
                argv
                and argv[0].endswith(b"containerd-shim-runc-v2")
                and base.encode() in b" ".join(argv)
            ):
                found.append(int(entry.name))
        return found

    return find


@contextmanager
def _engines(tmp: Path, failures: dict[str, str]) -> Iterator[list[_Engine]]:
    """Both daemons, each started if it can be; why not goes into `failures`."""
    rootfs = busybox_rootfs(tmp / "busybox")
    engines: list[_Engine] = []
    with ExitStack() as stack:
        why = dockerd_support.available()
        if why is None:
            try:
                docker = stack.enter_context(
                    dockerd_support.private_dockerd(_mkdir(tmp / "dockerd"), busybox_rootfs=rootfs)
                )
                docker = Docker(cli=CLI, env=docker.env)
                engines.append(
                    _Engine(name="dockerd", docker=docker, shim_pids=_containerd_shims(docker))
                )
            except Exception as err:  # a failing subject is a row, never a crash
                failures["dockerd"] = _first_line(err)
        else:
            failures["dockerd"] = why
        why = dockyardd_support.unavailable()
        if why is None:
            try:
                d = stack.enter_context(
                    dockyardd_support.private_dockyardd(
                        dockyardd_support.short_base("dyb"),
                        busybox=rootfs,
                        log=tmp / "dockyardd.log",
                        cli=CLI,
                    )
                )
                engines.append(_Engine(name="dockyardd", docker=d.cli, shim_pids=d.shim_pids))
            except Exception as err:  # a failing subject is a row, never a crash
                failures["dockyardd"] = _first_line(err)
        else:
            failures["dockyardd"] = why
        yield engines


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # The harness's errors end with the daemon's log; its last error line says the most.
    errors = [line for line in lines if "level=error" in line or "Error" in line]
    line = errors[-1] if errors else lines[0] if lines else repr(err)
    if 'error="' in line:  # logfmt with a traceback inside: its last line names the error
        value = line.split('error="', 1)[1].rstrip('"').replace("\\n", "\n")
        line = [v for v in value.splitlines() if v.strip()][-1].strip() or line
    return line[:300]


def _guarded(results: dict[str, _Result], engine: _Engine, step: Callable[[], None]) -> None:
    result = results.setdefault(engine.name, _Result())
    if result.error is not None:
        return
    try:
        step()
    except Exception as err:  # a failing subject is a row, never a crash
        result.error = _first_line(err)
        if os.environ.get("BENCH_DEBUG"):
            traceback.print_exc()


def _run_rm(
    engines: list[_Engine], *, runs: int, warmup: int, extra: tuple[str, ...]
) -> dict[str, _Result]:
    results: dict[str, _Result] = {}
    for n in range(warmup + runs):
        order = engines[n % len(engines) :] + engines[: n % len(engines)]
        for engine in order:

            def once(engine: _Engine = engine, counted: bool = n >= warmup) -> None:
                ms = engine.timed("run", "--rm", *extra, IMAGE, "true")
                if counted:
                    results[engine.name].samples.append(ms)

            _guarded(results, engine, once)
    return results


Results = dict[str, _Result]


def _twenty(engines: list[_Engine], *, runs: int, at_once: bool) -> tuple[Results, Results]:
    """20 `run -d` (all at once, or one after the other), then their removal (one `rm -f` of
    all 20, or 20 `rm -f` one after the other)."""
    started: dict[str, _Result] = {}
    removed: dict[str, _Result] = {}
    argv = ("run", "-d", "--label", LABEL, IMAGE, "sleep", "600")
    for engine in engines:

        def once(engine: _Engine = engine) -> None:
            start = time.perf_counter()
            if at_once:
                with ThreadPoolExecutor(max_workers=20) as pool:
                    list(pool.map(lambda _: engine.timed(*argv), range(20)))
            else:
                for _ in range(20):
                    engine.timed(*argv)
            started[engine.name].samples.append((time.perf_counter() - start) * 1000)
            ids = engine.docker("ps", "-aq", "--filter", f"label={LABEL}").stdout.split()
            if len(ids) != 20:
                raise RuntimeError(f"{len(ids)} containers after 20 `run -d`")
            start = time.perf_counter()
            if at_once:
                engine.timed("rm", "-f", *ids)
            else:
                for cid in ids:
                    engine.timed("rm", "-f", cid)
            elapsed = (time.perf_counter() - start) * 1000
            removed.setdefault(engine.name, _Result()).samples.append(elapsed)

        for _ in range(runs):
            _guarded(started, engine, once)
            engine.clean()
        if started[engine.name].error is not None:
            removed.setdefault(engine.name, _Result()).error = started[engine.name].error
    return started, removed


def _list_200(engines: list[_Engine], *, calls: int) -> dict[str, _Result]:
    results: dict[str, _Result] = {}
    for engine in engines:

        def once(engine: _Engine = engine) -> None:
            body = {"Image": IMAGE, "Cmd": ["true"], "Labels": {"dockyard.bench": "engine"}}
            for _ in range(200):
                status, data = engine.api("POST", "/containers/create", body)
                if status != 201:
                    raise RuntimeError(f"create -> {status}: {data[:200]!r}")
            for _ in range(2):  # warm-up
                engine.api("GET", "/containers/json?all=1")
            for _ in range(calls):
                start = time.perf_counter()
                status, data = engine.api("GET", "/containers/json?all=1")
                results[engine.name].samples.append((time.perf_counter() - start) * 1000)
                if status != 200 or len(json.loads(data)) < 200:
                    raise RuntimeError(f"list -> {status}")

        _guarded(results, engine, once)
        engine.clean()
    return results


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def _idle_pss(engines: list[_Engine], *, containers: int = 5) -> dict[str, _Result]:
    results: dict[str, _Result] = {}
    for engine in engines:

        def once(engine: _Engine = engine) -> None:
            before = set(engine.shim_pids())
            for _ in range(containers):
                engine.timed("run", "-d", "--label", LABEL, IMAGE, "sleep", "600")
            time.sleep(3)  # idle
            shims = sorted(set(engine.shim_pids()) - before)
            if not shims:
                raise RuntimeError("no shim processes found")
            total = sum(_pss_kib(pid) for pid in shims)
            per = total / containers
            results[engine.name].extra = {
                "pss_kib_per_container": round(per, 1),
                "shims": len(shims),
                "containers": containers,
            }
            results[engine.name].note = f"{per:.0f} KiB PSS/container ({len(shims)} shims)"

        _guarded(results, engine, once)
        engine.clean()
    return results


def _rows(benchmark: str, results: dict[str, _Result], failures: dict[str, str]) -> list[Row]:
    medians = {n: statistics.median(r.samples) for n, r in results.items() if r.samples}
    rows = []
    for subject in SUBJECTS:
        result = results.get(subject)
        error = failures.get(subject) or (result.error if result else "not run")
        ref = medians.get(REFERENCE)
        median = medians.get(subject)
        ratio = None if median is None or not ref else median / ref
        extra = dict(result.extra) if result else {}
        if result and result.samples:
            extra |= spread(result.samples)
        rows.append(
            Row(
                benchmark=f"{NAME}.{benchmark}",
                subject=subject,
                median_ms=None if error else median,
                runs=len(result.samples) if result else 0,
                ratio=None if error else ratio,
                error=error,
                note=result.note if result else "",
                extra=extra,
            )
        )
    return rows


def _pss_rows(results: dict[str, _Result], failures: dict[str, str]) -> list[Row]:
    rows = _rows("idle_pss", results, failures)
    kib = {
        n: float(str(r.extra["pss_kib_per_container"]))
        for n, r in results.items()
        if "pss_kib_per_container" in r.extra
    }
    out = []
    for row in rows:
        ratio = None
        if row.error is None and row.subject in kib and kib.get(REFERENCE):
            ratio = kib[row.subject] / kib[REFERENCE]
        out.append(
            Row(
                benchmark=row.benchmark,
                subject=row.subject,
                median_ms=None,
                runs=1 if row.subject in kib else 0,
                ratio=ratio,
                error=row.error,
                note=row.note,
                extra=row.extra,
            )
        )
    return out


def measure(*, runs: int | None = None, warmup: int | None = None) -> list[Row]:
    """The engine benchmarks above for dockerd and dockyardd; ratios against dockerd."""
    runs = DEFAULT_RUNS if runs is None else runs
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    if os.geteuid() != 0:
        return [
            row for b in BENCHMARKS for row in _rows(b, {}, dict.fromkeys(SUBJECTS, "needs root"))
        ]
    tmp = Path(tempfile.mkdtemp(prefix="dockyard-bench-engine-"))
    failures: dict[str, str] = {}
    rows: list[Row] = []
    try:
        with _engines(tmp, failures) as engines:
            rows += _rows("run_rm", _run_rm(engines, runs=runs, warmup=warmup, extra=()), failures)
            netnone = _run_rm(engines, runs=runs, warmup=warmup, extra=("--network", "none"))
            rows += _rows("run_rm_netnone", netnone, failures)
            started, removed = _twenty(engines, runs=max(1, min(runs, 3)), at_once=True)
            rows += _rows("run_d_x20", started, failures)
            rows += _rows("rm_f_x20", removed, failures)
            started, removed = _twenty(engines, runs=max(1, min(runs, 3)), at_once=False)
            rows += _rows("run_d_seq_x20", started, failures)
            rows += _rows("rm_f_seq_x20", removed, failures)
            rows += _rows("list_200", _list_200(engines, calls=20), failures)
            rows += _pss_rows(_idle_pss(engines), failures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows
