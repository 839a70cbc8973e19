"""What run, start -a, attach and exec share: the detach keys (flag, else config.json's
"detachKeys") and the wait registered before the container starts."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options
    from dockyard.client.transport import Client, Response


def detach_keys_of(cli: Cli, opts: Options) -> str:
    """--detach-keys, else config.json's detachKeys, else "" (the daemon's ctrl-p,ctrl-q)."""
    given = opts.string("detach-keys")
    if given:
        return given
    try:
        return str(getattr(cli.config, "detach_keys", "") or "")
    except Exception:
        return ""


class Waiter:
    """POST /containers/{id}/wait, sent now (the daemon registers it before answering the
    headers) and read in a thread; `status` is the exit code (125 if the wait failed)."""

    def __init__(self, client: Client, cid: str, condition: str) -> None:
        import threading

        from dockyard.client.containers import quote

        self.status: int | None = None
        self.error = ""
        self._done = threading.Event()
        self._resp: Response = client.post(
            f"/containers/{quote(cid)}/wait", query={"condition": condition}, timeout=None
        )
        threading.Thread(target=self._read, name="wait", daemon=True).start()

    def _read(self) -> None:
        try:
            answer = self._resp.json() or {}
            error = answer.get("Error") or {}
            if error and error.get("Message"):
                self.error = str(error["Message"])
                self.status = 125
            else:
                self.status = int(answer.get("StatusCode", 0))
        except Exception as err:
            self.error = str(err)
            self.status = 125
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, poll: object = None) -> int:
        while not self._done.wait(0.1):
            if callable(poll):
                poll()
        assert self.status is not None
        return self.status
