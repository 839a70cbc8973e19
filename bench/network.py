"""Networking: what a network costs at container start, and TCP through a published port;
dockyardd vs Debian's dockerd 20.10, both private, through the same docker CLI (20.10).

- `start_bridge` / `start_none`: wall time of `docker run --rm busybox true` on the default
  bridge and with `--network none` (runs interleaved between the daemons); the difference is
  what networking costs a start (sandbox, veth, addresses, /etc files, NAT state);
- `tcp_published`: a container serving /dev/zero with busybox `nc -l` on a port published
  as `-p 127.0.0.1::9000`; the host reads TCP_MB MB from 127.0.0.1:<host port> (ms per read,
  MB/s in the note). dockyardd DNATs loopback traffic to the container (route_localnet);
  dockerd with its default userland proxy relays it through docker-proxy, which is what
  Docker does for 127.0.0.1 by default.

The private dockerd must not touch the host: no iptables (`--iptables=false`, as
tests/support/dockerd.py), and instead of docker0 a bridge made here with a unique name and a
subnet clear of the host's routes (`--bridge=<it>`), removed at the end; its published ports
go through docker-proxy (`--userland-proxy=true`). dockyardd's bridge and nftables table
are its own (named after its exec-root) and go when it stops.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import dockerd as dockerd_support
from tests.support import dockyardd as dockyardd_support
from tests.support.bundles import busybox_rootfs
from tests.support.dockerd import Docker

from bench.row import Row
from bench.timing import first_error_line, spread

NAME = "network"
REFERENCE = "dockerd"
SUBJECTS = ("dockerd", "dockyardd")
DEFAULT_RUNS = 15
DEFAULT_WARMUP = 2
TCP_RUNS = 5
TCP_MB = 256
CLI = "/usr/bin/docker"
IMAGE = "busybox:latest"
LABEL = "dockyard.bench=network"
SERVE = "while true; do nc -l -p 9000 < /dev/zero; done"


@dataclass(kw_only=True)
class _Result:
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class _Engine:
    name: str
    docker: Docker

    def timed(self, *args: str) -> float:
        start = time.perf_counter()
        argv = [self.docker.cli, *args]
        proc = subprocess.run(argv, env=self.docker.env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
        ms = (time.perf_counter() - start) * 1000
        if proc.returncode != 0:
            raise RuntimeError(
                f"docker {args[0]}: {first_error_line(proc.stderr, proc.returncode)}"
            )
        return ms


def _free_subnet() -> ipaddress.IPv4Network:
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    taken = [ipaddress.ip_network(w.split()[0], strict=False) for w in routes.splitlines()
             if w.split() and w.split()[0][0].isdigit()]  # fmt: skip
    for net in ipaddress.IPv4Network("10.253.0.0/16").subnets(new_prefix=24):
        if not any(net.overlaps(t) for t in taken):
            return net
    raise RuntimeError("no free /24 in 10.253.0.0/16 for the dockerd bridge")


@contextmanager
def _bridge() -> Iterator[str]:
    """A bridge for the private dockerd's default network, unique and removed at the end."""
    name = f"dybn{secrets.token_hex(4)}"
    net = _free_subnet()
    try:
        subprocess.run(
            ["ip", "link", "add", name, "type", "bridge"], check=True, capture_output=True
        )
        subprocess.run(["ip", "addr", "add", f"{net.network_address + 1}/{net.prefixlen}",
                        "dev", name], check=True, capture_output=True)  # fmt: skip
        subprocess.run(["ip", "link", "set", name, "up"], check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True)


@contextmanager
def _engines(tmp: Path, failures: dict[str, str]) -> Iterator[list[_Engine]]:
    rootfs = busybox_rootfs(tmp / "busybox")
    engines: list[_Engine] = []
    with ExitStack() as stack:
        why = dockerd_support.available()
        if why is None:
            try:
                bridge = stack.enter_context(_bridge())
                args = (f"--bridge={bridge}", "--userland-proxy=true",
                        "--userland-proxy-path=/usr/sbin/docker-proxy")  # fmt: skip
                logs = tmp / "dockerd"
                logs.mkdir()
                docker = stack.enter_context(
                    dockerd_support.private_dockerd(logs, extra_args=args, busybox_rootfs=rootfs)
                )
                engines.append(_Engine(name="dockerd", docker=Docker(cli=CLI, env=docker.env)))
            except Exception as err:  # a failing subject is a row, never a crash
                failures["dockerd"] = str(err).strip().splitlines()[0][:300]
        else:
            failures["dockerd"] = why
        why = dockyardd_support.unavailable()
        if why is None:
            try:
                d = stack.enter_context(dockyardd_support.private_dockyardd(
                    dockyardd_support.short_base("dyn"), busybox=rootfs,
                    log=tmp / "dockyardd.log", cli=CLI,
                ))  # fmt: skip
                engines.append(_Engine(name="dockyardd", docker=d.cli))
            except Exception as err:  # a failing subject is a row, never a crash
                failures["dockyardd"] = str(err).strip().splitlines()[0][:300]
        else:
            failures["dockyardd"] = why
        yield engines


def _guarded(results: dict[str, _Result], name: str, step: Callable[[], None]) -> None:
    result = results.setdefault(name, _Result())
    if result.error is None:
        try:
            step()
        except Exception as err:  # a failing subject is a row, never a crash
            result.error = str(err).strip().splitlines()[0][:300] if str(err).strip() else repr(err)


def _start(
    engines: list[_Engine], *, runs: int, warmup: int, extra: tuple[str, ...]
) -> dict[str, _Result]:
    results: dict[str, _Result] = {}
    for n in range(warmup + runs):
        for engine in engines[n % len(engines) :] + engines[: n % len(engines)]:

            def once(engine: _Engine = engine, counted: bool = n >= warmup) -> None:
                ms = engine.timed("run", "--rm", *extra, IMAGE, "true")
                if counted:
                    results[engine.name].samples.append(ms)

            _guarded(results, engine.name, once)
    return results


def _read(port: int, size: int) -> float:
    """ms to read `size` bytes from 127.0.0.1:port. While the server's loop starts its next
    nc, a connect is refused (DNAT) or accepted and closed at once (docker-proxy, whose
    backend connect failed): both are retried."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return _read_once(port, size)
        except (OSError, EOFError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _read_once(port: int, size: int) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        buf = bytearray(1 << 20)
        got = 0
        start = time.perf_counter()
        while got < size:
            n = sock.recv_into(buf)
            if not n and not got:
                raise EOFError("closed before the first byte")
            if not n:
                raise RuntimeError(f"connection closed after {got} of {size} bytes")
            got += n
        return (time.perf_counter() - start) * 1000


def _tcp(engines: list[_Engine], *, runs: int) -> dict[str, _Result]:
    results: dict[str, _Result] = {}
    size = TCP_MB << 20
    for engine in engines:

        def once(engine: _Engine = engine) -> None:
            cid = engine.docker("run", "-d", "--label", LABEL, "-p", "127.0.0.1::9000", IMAGE,
                                "sh", "-c", SERVE).stdout.strip()  # fmt: skip
            try:
                line = engine.docker("port", cid, "9000").stdout.strip().splitlines()[0]
                port = int(line.rsplit(":", 1)[1])
                _read(port, 1 << 20)  # warm-up: the server is up, the path is set
                for _ in range(runs):
                    results[engine.name].samples.append(_read(port, size))
                ms = statistics.median(results[engine.name].samples)
                mbs = TCP_MB / (ms / 1000)
                results[engine.name].note = f"{mbs:.0f} MB/s ({TCP_MB} MB per read)"
                results[engine.name].extra = {"mb_per_s": round(mbs, 1), "mb": TCP_MB}
            finally:
                engine.docker("rm", "-f", cid, check=False)

        _guarded(results, engine.name, once)
    return results


def _rows(benchmark: str, results: dict[str, _Result], failures: dict[str, str],
          notes: dict[str, str] | None = None) -> list[Row]:  # fmt: skip
    medians = {n: statistics.median(r.samples) for n, r in results.items() if r.samples}
    rows = []
    for subject in SUBJECTS:
        result = results.get(subject) or _Result(error="not run")
        error = failures.get(subject) or result.error
        median, ref = medians.get(subject), medians.get(REFERENCE)
        rows.append(Row(
            benchmark=f"{NAME}.{benchmark}", subject=subject,
            median_ms=None if error else median, runs=len(result.samples),
            ratio=None if error or median is None or not ref else median / ref, error=error,
            note=(notes or {}).get(subject) or result.note,
            extra=dict(result.extra) | (spread(result.samples) if result.samples else {}),
        ))  # fmt: skip
    return rows


def _median(r: _Result) -> float:
    return statistics.median(r.samples)


def measure(*, runs: int | None = None, warmup: int | None = None) -> list[Row]:
    """Start with and without a network, and published-port TCP, for dockerd and dockyardd."""
    runs = DEFAULT_RUNS if runs is None else runs
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    names = ("start_bridge", "start_none", "tcp_published")
    if os.geteuid() != 0:
        return [r for b in names for r in _rows(b, {}, dict.fromkeys(SUBJECTS, "needs root"))]
    tmp = Path(tempfile.mkdtemp(prefix="dockyard-bench-network-"))
    failures: dict[str, str] = {}
    rows: list[Row] = []
    try:
        with _engines(tmp, failures) as engines:
            bridge = _start(engines, runs=runs, warmup=warmup, extra=())
            none = _start(engines, runs=runs, warmup=warmup, extra=("--network", "none"))
            cost = {
                n: f"networking costs {_median(bridge[n]) - _median(none[n]):+.0f} ms"
                for n in bridge
                if bridge[n].samples and n in none and none[n].samples
            }
            rows += _rows("start_bridge", bridge, failures, cost)
            rows += _rows("start_none", none, failures)
            rows += _rows("tcp_published", _tcp(engines, runs=min(runs, TCP_RUNS)), failures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows
