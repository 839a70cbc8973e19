"""Daemon: the running engine as the API sees it (contracts: daemon/daemon.py).

    daemon = wiring.build(config)              # the only constructor call in the code base
    await daemon.containers.restore()          # live restore
    app = make_app(daemon)                     # api/ reads .containers .images .image_ops ...
    changed = daemon.reload(new_config)        # SIGHUP
    await daemon.close()                       # at exit, after the listeners stopped

`config` is replaced whole on reload; readers take `daemon.config` at each use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dockyard.containers.service import ContainerService
from dockyard.daemon import config as cfg
from dockyard.daemon.events import EventBus
from dockyard.daemon.system import System
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.hosts import RegistryHosts
from dockyard.images.service import ImageService
from dockyard.network.dns import EmbeddedDNS
from dockyard.network.service import NetworkService
from dockyard.utils.record import replace
from dockyard.volumes.service import VolumeService

if TYPE_CHECKING:
    from dockyard.daemon.imageops import ImageOps

log = logging.getLogger(__name__)

# What SIGHUP may change (moby daemon/reload.go); everything else needs a restart.
RELOADABLE = (
    "debug",
    "log_level",
    "max_concurrent_downloads",
    "labels",
    "insecure_registries",
    "registry_mirrors",
    "live_restore",
)


class Daemon:
    """The engine's objects, built and handed over by wiring.build; closes what it owns."""

    def __init__(
        self,
        *,
        config: cfg.DaemonConfig,
        containers: ContainerService,
        images: ImageService,
        events: EventBus,
        image_ops: ImageOps,
        system: System,
        registry: RegistryClient,
        volumes: VolumeService,
        networks: NetworkService,
        dns: EmbeddedDNS,
        closers: list[Callable[[], Any]],
    ) -> None:
        self.config = config
        self.containers = containers
        self.images = images
        self.events = events
        self.image_ops = image_ops
        self.system = system
        self.registry = registry
        self.volumes = volumes
        self.networks = networks
        self.dns = dns
        self._closers = closers  # sync close() callables, run in reverse order

    @property
    def id(self) -> str:
        return self.system.daemon_id

    def reload(self, new: cfg.DaemonConfig) -> dict[str, tuple[Any, Any]]:
        """Apply the reloadable settings of `new` (re-read daemon.json plus the flags);
        returns {setting: (old, new)} for those that changed, and publishes Docker's
        `daemon reload` event. Settings that need a restart keep their running value."""
        old = self.config
        changes = {name: getattr(new, name) for name in RELOADABLE}
        updated = replace(old, **changes)
        changed = {
            name: (getattr(old, name), getattr(updated, name))
            for name in RELOADABLE
            if getattr(old, name) != getattr(updated, name)
        }
        ignored = [
            key
            for key in ("data_root", "exec_root", "hosts", "default_runtime", "cgroup_parent")
            if getattr(old, key) != getattr(new, key)
        ]
        if ignored:
            log.warning("reload ignores settings that need a restart: %s", ", ".join(ignored))
        if "insecure_registries" in changed or "registry_mirrors" in changed:
            # New endpoints for every later request; clients made from this one by
            # with_credentials copy the transport, so they see the new hosts too.
            self.registry.transport.hosts = RegistryHosts(
                insecure_registries=updated.insecure_registries,
                mirrors=updated.registry_mirrors,
            )
        if "live_restore" in changed:
            # ContainerService.shutdown() reads it from its deps at exit.
            self.containers.deps = replace(self.containers.deps, live_restore=updated.live_restore)
        if "max_concurrent_downloads" in changed:
            self.image_ops.max_concurrent_downloads = updated.max_concurrent_downloads
        self.config = updated
        self.events.publish(
            "daemon",
            "reload",
            self.id,
            {**cfg.reload_attributes(updated), "name": self.system.hostname()},
        )
        return changed

    async def close(self) -> None:
        """Release the stores and the registry client (after the API stopped)."""
        self.events.close()
        await self.registry.close()
        await self.dns.close()
        try:
            # bridges and rules stay while containers run (live restore), else they go
            await asyncio.to_thread(self.networks.stop, keep=False)
        except Exception:  # shutdown boundary
            log.exception("failed to stop networking")
        for close in reversed(self._closers):
            try:
                close()
            except Exception:  # shutdown boundary: log and go on closing the rest
                log.exception("failed to close %r", close)
