"""Exec endpoints (`docker exec`): create an exec instance, start it (hijacked unless
detached), resize its TTY, inspect it for the exit code."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from dockyard.client.transport import Client, Hijacked


def _quote(ref: str) -> str:
    """Percent-encode a path segment (Go's url.PathEscape); urllib stays unimported."""
    from dockyard.client.transport import quote

    return quote(ref, plus=False)


def create(c: Client, ref: str, config: Mapping[str, Any]) -> str:
    """POST /containers/{id}/exec: the new exec instance's id."""
    answer: dict[str, Any] = c.post(f"/containers/{_quote(ref)}/exec", json=dict(config)).json()
    return str(answer.get("Id") or "")


def start(
    c: Client,
    exec_id: str,
    *,
    detach: bool = False,
    tty: bool = False,
    console_size: tuple[int, int] | None = None,
) -> Hijacked | None:
    """POST /exec/{id}/start: None when detached, else the hijacked stream."""
    body: dict[str, Any] = {"Detach": detach, "Tty": tty}
    if console_size is not None:
        body["ConsoleSize"] = list(console_size)
    path = f"/exec/{_quote(exec_id)}/start"
    if detach:
        c.post(path, json=body).close()
        return None
    return c.hijack("POST", path, json=body)


def resize(c: Client, exec_id: str, *, height: int, width: int) -> None:
    """POST /exec/{id}/resize."""
    c.post(f"/exec/{_quote(exec_id)}/resize", query={"h": str(height), "w": str(width)}).close()


def inspect(c: Client, exec_id: str) -> dict[str, Any]:
    """GET /exec/{id}/json: Running, ExitCode, Pid, ProcessConfig..."""
    answer: dict[str, Any] = c.get(f"/exec/{_quote(exec_id)}/json").json()
    return answer
