"""One invocation of the CLI: where it prints, which daemon it talks to, its config file.

Built by `cli/main.py` from the global flags (`-H`, `--context`, `--tls*`, `--config`,
`-D`, `-l`) and handed to the command's `run`. The API client and the config file are made
on first use, so `dockyard --help` or a flag error never touches the socket or the disk.
"""

from __future__ import annotations

import os
import sys

from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

    from dockyard.client.configfile import ConfigFile
    from dockyard.client.transport import Client

PROG = "dockyard"


@record(frozen=True)
class GlobalOptions:
    """The flags before the command (`dockyard -H tcp://h:2376 --tlsverify ps`)."""

    hosts: tuple[str, ...] = ()
    context: str = ""
    config_dir: str = ""  # "" = $DOCKYARD_CONFIG or ~/.docker
    debug: bool = False
    log_level: str = "info"
    tls: bool = False
    tlsverify: bool = False
    tlscacert: str = ""
    tlscert: str = ""
    tlskey: str = ""


class Cli:
    """The context every command runs in (docker's command.Cli)."""

    def __init__(
        self,
        *,
        options: GlobalOptions,
        out: TextIO | None = None,
        err: TextIO | None = None,
        stdin: BinaryIO | None = None,
    ) -> None:
        self.options = options
        self.out: TextIO = out if out is not None else sys.stdout
        self.err: TextIO = err if err is not None else sys.stderr
        self.stdin: BinaryIO = stdin if stdin is not None else sys.stdin.buffer
        self.command_path = PROG  # "dockyard container ls"; set by main before run
        self._client: Client | None = None
        self._config: ConfigFile | None = None

    @property
    def config_dir(self) -> str:
        return (
            self.options.config_dir
            or os.environ.get("DOCKYARD_CONFIG", "")
            or os.path.join(os.path.expanduser("~"), ".docker")
        )

    @property
    def config(self) -> ConfigFile:
        """~/.docker/config.json (psFormat, imagesFormat, detachKeys, auths, currentContext);
        shared with docker so `login` once serves both."""
        if self._config is None:
            from dockyard.client.configfile import ConfigFile

            self._config = ConfigFile.load(self.config_dir)
        return self._config

    @property
    def client(self) -> Client:
        """The Engine API client for the daemon the global flags name."""
        if self._client is None:
            from dockyard.client.hosts import connect

            o = self.options
            self._client = connect(
                hosts=o.hosts,
                context=o.context,
                config=self.config,
                config_dir=self.config_dir,
                tls=o.tls,
                tlsverify=o.tlsverify,
                tlscacert=o.tlscacert,
                tlscert=o.tlscert,
                tlskey=o.tlskey,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
