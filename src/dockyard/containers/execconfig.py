"""One exec instance: moby's container.ExecConfig, made from a POST /containers/{id}/exec
body and shown as an ExecInspectResponse (GET /exec/{id}/json).

The record is mutable: `Execs` sets running, exit_code, pid and exited_at as the process
starts and exits.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from dockyard.containers import attach
from dockyard.containers.container import Container
from dockyard.utils.record import record


@record
class ExecConfig:
    """One exec instance (moby's container.ExecConfig)."""

    id: str
    container_id: str
    entrypoint: str
    args: list[str]
    env: list[str]
    user: str
    working_dir: str
    tty: bool
    privileged: bool
    open_stdin: bool
    open_stdout: bool
    open_stderr: bool
    detach_keys: bytes
    console_size: tuple[int, int] | None
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    exited_at: float = 0.0  # monotonic time of the exit, for the GC

    @property
    def cmd_text(self) -> str:
        """The event suffix: moby's Entrypoint + " " + strings.Join(Args, " ")."""
        return self.entrypoint + " " + " ".join(self.args)


def from_create_body(container: Container, body: dict[str, Any], *, cmd: list[str]) -> ExecConfig:
    """The exec of a create body whose Cmd is `cmd` (not empty): the container's User and
    WorkingDir unless the body names its own; InvalidArgument for DetachKeys Docker refuses."""
    detach_keys = b""
    if body.get("DetachKeys"):
        detach_keys = attach.parse_detach_keys(str(body["DetachKeys"]))
    size = body.get("ConsoleSize")
    return ExecConfig(
        id=secrets.token_hex(32),
        container_id=container.id,
        entrypoint=cmd[0],
        args=cmd[1:],
        env=[str(e) for e in body.get("Env") or []],
        user=str(body.get("User") or container.config.get("User") or ""),
        working_dir=str(body.get("WorkingDir") or container.config.get("WorkingDir") or ""),
        tty=bool(body.get("Tty")),
        privileged=bool(body.get("Privileged")),
        open_stdin=bool(body.get("AttachStdin")),
        open_stdout=bool(body.get("AttachStdout")),
        open_stderr=bool(body.get("AttachStderr")),
        detach_keys=detach_keys,
        console_size=(int(size[0]), int(size[1])) if size and size[0] and size[1] else None,
    )


def inspect_response(ec: ExecConfig) -> dict[str, Any]:
    """ExecInspectResponse (GET /exec/{id}/json)."""
    process: dict[str, Any] = {
        "tty": ec.tty,
        "entrypoint": ec.entrypoint,
        "arguments": list(ec.args),
        "privileged": ec.privileged,
    }
    if ec.user:
        process["user"] = ec.user
    return {
        "ID": ec.id,
        "Running": ec.running,
        "ExitCode": ec.exit_code,
        "ProcessConfig": process,
        "OpenStdin": ec.open_stdin,
        "OpenStdout": ec.open_stdout,
        "OpenStderr": ec.open_stderr,
        "CanRemove": False,
        "ContainerID": ec.container_id,
        # moby's DetachKeys is a []byte, which Go's JSON writes as base64
        "DetachKeys": base64.b64encode(ec.detach_keys).decode(),
        "Pid": ec.pid,
    }
