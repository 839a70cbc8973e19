"""`docker top`: the host's `ps` filtered to the processes in the container's cgroup.

moby's daemon/top_unix.go: the pids come from the container's cgroup (containerd's task
Pids; here the pids controller's cgroup.procs, child cgroups included), `ps <args> -q<pids>`
runs on the host (again without -q when ps refuses the mix, as with forest listings), and
the rows whose PID column is one of those pids are kept. Thread rows of `ps -m` carry "-" as
PID and go with the process row before them.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from dockyard import errdefs
from dockyard.containers.cgroups import cgroup_dir
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.containers.state import Status
from dockyard.runtime.cgroups import files
from dockyard.runtime.cgroups.paths import Hierarchies

PS = "ps"
_PID_ASSIGN = re.compile(r"\s+([^\s]*)=\s*(PID[^\s]*)")


def validate_ps_args(ps_args: str) -> None:
    """moby's validatePSArgs: renaming the PID column (`-o xyz=PID`) would fool the filter."""
    for key, value in _PID_ASSIGN.findall(ps_args):
        if key != "pid":
            raise errdefs.InvalidArgument(f'specifying "{key}={value}" is not allowed')


def fields_ascii(line: str) -> list[str]:
    """strings.Fields on ASCII whitespace only (moby #24358: ps columns may hold U+00A0)."""
    return [f for f in re.split(r"[\t\n\f\r ]+", line) if f]


def parse_ps_output(output: str, pids: set[int]) -> dict[str, Any]:
    """{"Titles", "Processes"} keeping the rows of `pids` (moby's parsePSOutput)."""
    lines = output.split("\n")
    titles = fields_ascii(lines[0])
    if "PID" not in titles:
        raise errdefs.Unknown("Couldn't find PID field in ps output")
    pid_index = titles.index("PID")
    processes: list[list[str]] = []
    previous_kept = False
    for line in lines[1:]:
        if not line:
            continue
        fields = fields_ascii(line)
        if len(fields) <= pid_index:
            continue
        if fields[pid_index] == "-":  # a thread row (ps -m / -L): follows its process
            if previous_kept:
                processes.append(_fit(fields, len(titles)))
            continue
        try:
            pid = int(fields[pid_index])
        except ValueError as err:
            raise errdefs.Unknown(f"Unexpected pid '{fields[pid_index]}': {err}") from err
        previous_kept = pid in pids
        if previous_kept:
            processes.append(_fit(fields, len(titles)))
    return {"Titles": titles, "Processes": processes}


def _fit(fields: list[str], columns: int) -> list[str]:
    """Merge the overhanging fields (a CMD with spaces) into the last column."""
    return [*fields[: columns - 1], " ".join(fields[columns - 1 :])]


def container_pids(
    container: Container, *, defaults: Defaults, hierarchies: Hierarchies | None = None
) -> list[int]:
    """Every pid in the container's cgroup (pids controller; memory when pids is missing)."""
    found = Hierarchies.discover() if hierarchies is None else hierarchies
    for controller in ("pids", "memory"):
        try:
            d = cgroup_dir(container, controller, defaults=defaults, hierarchies=found)
        except errdefs.FailedPrecondition:
            continue
        return files.tree_pids(d)
    raise errdefs.FailedPrecondition("neither the pids nor the memory cgroup controller is mounted")


async def _ps(args: list[str]) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        PS, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out, err


async def top(
    container: Container,
    *,
    ps_args: str,
    defaults: Defaults,
    hierarchies: Hierarchies | None = None,
) -> dict[str, Any]:
    """ContainerTopResponse {"Titles": [...], "Processes": [[...]]} for `ps_args`
    (default "-ef"). Conflict when the container is not running or is restarting."""
    ps_args = ps_args or "-ef"
    validate_ps_args(ps_args)
    if not container.running:
        raise errdefs.Conflict(f"Container {container.id} is not running")
    if container.state.status is Status.RESTARTING:
        raise errdefs.Conflict(
            f"Container {container.id} is restarting, wait until the container is running"
        )
    try:
        pids = await asyncio.to_thread(
            container_pids, container, defaults=defaults, hierarchies=hierarchies
        )
    except errdefs.NotFound as err:  # the cgroup went away: the container just exited
        raise errdefs.Conflict(f"Container {container.id} is not running") from err
    # moby splits on single spaces, so "aux" and "-o pid,comm" pass through as typed.
    args = ps_args.split(" ")
    code, out, stderr = await _ps([*args, "-q" + ",".join(str(p) for p in pids)])
    if code != 0:
        # some ps options (forest listings) cannot go with -q: retry without it
        code, out, stderr = await _ps(args)
        if code != 0:
            first = stderr.decode(errors="replace").split("\n", 1)[0]
            raise errdefs.Unknown(f"ps: {first or f'exit status {code}'}")
    return parse_ps_output(out.decode(errors="replace"), set(pids))
