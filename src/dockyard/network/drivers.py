"""The drivers with endpoints, by name (network create's Driver): the kernel side of each."""

from __future__ import annotations

from typing import Protocol

from dockyard.network import bridge, macvlan
from dockyard.network.model import Network


class Driver(Protocol):
    """The kernel side of a driver with endpoints (bridge.py, macvlan.py)."""

    def check(self, n: Network) -> None: ...

    def setup(self, n: Network) -> None: ...

    def teardown(self, n: Network) -> None: ...

    def add_link(self, n: Network, sandbox: str) -> tuple[str, str]: ...


DRIVERS: dict[str, Driver] = {"bridge": bridge, "macvlan": macvlan}
