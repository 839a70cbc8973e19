"""Container: one container's configuration, state and where its files live.

`config` and `host_config` are Docker's `Config` and `HostConfig` documents, normalised at create
to the full shape `docker inspect` prints (the image's config merged in), so inspect returns them
as stored and the spec generator reads them by Docker's field names. Everything that changes
after create (state, name, restart count, network settings) is mutated under `lock`, and the
container store persists the whole record after each change.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from dockyard.containers.state import State, Status


class Container:
    """One container. Built by create or loaded by the store; owned by the ContainerService."""

    def __init__(
        self,
        *,
        id: str,
        name: str,
        created: str,
        image_id: str,
        config: dict[str, Any],
        host_config: dict[str, Any],
        data_dir: str,
        exec_dir: str,
        state: State | None = None,
    ) -> None:
        self.id = id
        self.name = name  # without Docker's leading "/"
        self.created = created
        self.image_id = image_id
        self.chain_id = ""  # the image's top layer at create (the init layer's parent)
        self.config = config
        self.host_config = host_config
        self.data_dir = data_dir  # data-root/containers/<id>
        self.exec_dir = exec_dir  # exec-root/containers/<id>
        self.state = state or State()
        self.restart_count = 0
        self.manually_stopped = False  # `docker stop`: unless-stopped stays down
        self.has_been_started = False
        self.rootfs = ""  # the mounted rw snapshot while mounted, else ""
        self.network_settings: dict[str, Any] = {}
        self.mounts: list[dict[str, Any]] = []  # MountPoint documents for inspect
        self.runtime = ""  # the runtime name it was started with
        # --network container:<id>: the data_dir whose hostname, hosts and resolv.conf this
        # container shares (moby initializeNetworkingPaths); "" for its own
        self.etc_dir = ""
        self.exec_ids: set[str] = set()
        self.lock = asyncio.Lock()

    # -- paths --------------------------------------------------------------------------------

    @property
    def bundle(self) -> str:
        return os.path.join(self.exec_dir, "bundle")

    @property
    def shim_socket(self) -> str:
        return os.path.join(self.exec_dir, "shim.sock")

    @property
    def hostname_path(self) -> str:
        return os.path.join(self.etc_dir or self.data_dir, "hostname")

    @property
    def hosts_path(self) -> str:
        return os.path.join(self.etc_dir or self.data_dir, "hosts")

    @property
    def resolv_conf_path(self) -> str:
        return os.path.join(self.etc_dir or self.data_dir, "resolv.conf")

    @property
    def log_path(self) -> str:
        """Where the log driver writes (LogPath in inspect; empty for `none`)."""
        driver = self.host_config.get("LogConfig", {}).get("Type", "json-file")
        if driver == "json-file":
            return os.path.join(self.data_dir, f"{self.id}-json.log")
        if driver == "local":
            return os.path.join(self.data_dir, "local-logs", "container.log")
        return ""

    # -- convenience --------------------------------------------------------------------------

    @property
    def tty(self) -> bool:
        return bool(self.config.get("Tty"))

    @property
    def running(self) -> bool:
        return self.state.status.is_live()

    @property
    def paused(self) -> bool:
        return self.state.status is Status.PAUSED

    def to_json(self) -> dict[str, Any]:
        """The persisted record (the store writes it as one JSON document)."""
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "image_id": self.image_id,
            "chain_id": self.chain_id,
            "config": self.config,
            "host_config": self.host_config,
            "data_dir": self.data_dir,
            "exec_dir": self.exec_dir,
            "state": self.state.to_json(),
            "restart_count": self.restart_count,
            "manually_stopped": self.manually_stopped,
            "has_been_started": self.has_been_started,
            "network_settings": self.network_settings,
            "mounts": self.mounts,
            "runtime": self.runtime,
            "etc_dir": self.etc_dir,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Container:
        c = cls(
            id=data["id"],
            name=data["name"],
            created=data["created"],
            image_id=data["image_id"],
            config=data["config"],
            host_config=data["host_config"],
            data_dir=data["data_dir"],
            exec_dir=data["exec_dir"],
            state=State.from_json(data["state"]),
        )
        c.chain_id = data.get("chain_id", "")
        c.restart_count = data.get("restart_count", 0)
        c.manually_stopped = data.get("manually_stopped", False)
        c.has_been_started = data.get("has_been_started", False)
        c.network_settings = data.get("network_settings", {})
        c.mounts = data.get("mounts", [])
        c.runtime = data.get("runtime", "")
        c.etc_dir = data.get("etc_dir", "")
        return c
