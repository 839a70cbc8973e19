"""Control groups for dockyard-runtime: a container's cgroup on cgroup v1, hybrid and v2 hosts.

`new_manager()` returns the `Manager` for this host's layout (read from /proc, or injected as
a `Hierarchies` record in tests); the runtime creates, fills, limits, freezes and destroys the
container's cgroup through it, and makes the container's /sys/fs/cgroup mount with it.
Behaviour follows runc 1.1 (libcontainer/cgroups/fs and fs2, rootfs_linux.go); where we
differ the module saying so explains why.
"""

from __future__ import annotations

from dockyard.runtime.cgroups.manager import check_systemd_driver, new_manager, prime
from dockyard.runtime.cgroups.paths import UNIFIED, Hierarchies, Hierarchy

TYPE_CHECKING = False  # true for mypy; the Protocol exists only for type checkers
if TYPE_CHECKING:
    from dockyard.runtime.cgroups.manager import Manager

__all__ = [
    "UNIFIED",
    "Hierarchies",
    "Hierarchy",
    "Manager",
    "check_systemd_driver",
    "new_manager",
    "prime",
]
