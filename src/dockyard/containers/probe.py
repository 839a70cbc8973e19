"""A health probe run as an exec: what moby's cmdProbe (daemon/health.go) adds to an exec.

`Execs.run` runs a probe; this module holds what is particular to one: its exec (stdout and
stderr, no stdin, no TTY, as the container's User in its WorkingDir), the cap on its output,
how long its start may take, the SIGKILL once it overruns its timeout (by host pid: the shim
protocol has no exec kill), and the timeout message, with the timeout written as Go's
time.Duration prints it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal

from dockyard.containers.container import Container
from dockyard.containers.execconfig import ExecConfig
from dockyard.shim.client import ShimStream

MAX_PROBE_OUTPUT = 4096  # moby's health.go maxOutputLen
PROBE_START_TIMEOUT = 30.0  # moby: starting the probe's exec may take this long


def probe_config(container: Container, cmd: list[str]) -> ExecConfig:
    """The exec of a probe running `cmd` (not empty) in `container`."""
    return ExecConfig(
        id=secrets.token_hex(32),
        container_id=container.id,
        entrypoint=cmd[0],
        args=list(cmd[1:]),
        env=[],
        user=str(container.config.get("User") or ""),
        working_dir=str(container.config.get("WorkingDir") or ""),
        tty=False,
        privileged=False,
        open_stdin=False,
        open_stdout=True,
        open_stderr=True,
        detach_keys=b"",
        console_size=None,
    )


def kill_probe(pid: int) -> None:
    """SIGKILL to the probe's process, if it is still there."""
    if pid <= 0:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def killed_code(stream: ShimStream) -> int:
    """The exit code of a killed probe: its exit frame's, else SIGKILL's 137."""
    return stream.exit_status.exit_code if stream.exit_status is not None else 137


def timeout_message(timeout: float, output: bytes) -> bytes:
    """moby's "Health check exceeded timeout (<timeout>)", with the output so far if any."""
    message = f"Health check exceeded timeout ({go_duration(timeout)})"
    if output:
        message += ": " + output.decode(errors="replace")
    return message.encode()


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String(): "30s", "1.5s", "100ms", "1m30s", "1h0m0s"."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _decimal(ns, size) + unit
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _decimal(rest, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    digits = len(str(unit)) - 1
    return f"{whole}.{fraction:0{digits}d}".rstrip("0").rstrip(".") if fraction else str(whole)
