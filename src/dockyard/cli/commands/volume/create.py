"""`dockyard volume create`: create a volume."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli

CLUSTER_FLAGS = (
    "group",
    "scope",
    "sharing",
    "availability",
    "type",
    "secret",
    "limit-bytes",
    "required-bytes",
    "topology-required",
    "topology-preferred",
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.network.create import labels_of, map_opt
    from dockyard.client import volumes

    name = opts.string("name")
    if args:
        if name:
            raise errdefs.InvalidArgument(
                "conflicting options: cannot specify a volume-name through both --name and "
                "as a positional arg"
            )
        name = args[0]
    spec = None
    if any(opts.changed(flag) for flag in CLUSTER_FLAGS):
        spec = cluster_spec(opts)
    created = volumes.create(
        cli.client,
        name=name,
        driver=opts.string("driver"),
        driver_opts=map_opt(opts.strings("opt")),
        labels=labels_of(cli, opts.strings("label"), COMMAND.usage),
        cluster_volume_spec=spec,
    )
    cli.out.write(f"{created.get('Name', '')}\n")
    return 0


def cluster_spec(opts: Options) -> dict[str, Any]:
    """docker's ClusterVolumeSpec from the cluster flags (only swarm managers accept it)."""
    from dockyard.cli.commands.network.create import map_opt
    from dockyard.cli.opts.units import ram_in_bytes

    access: dict[str, Any] = {"Scope": opts.string("scope"), "Sharing": opts.string("sharing")}
    if opts.string("type") == "mount":
        access["MountVolume"] = {}
    elif opts.string("type") == "block":
        access["BlockVolume"] = {}
    capacity: dict[str, int] = {}
    if opts.string("required-bytes"):
        capacity["RequiredBytes"] = ram_in_bytes(opts.string("required-bytes"))
    if opts.string("limit-bytes"):
        capacity["LimitBytes"] = ram_in_bytes(opts.string("limit-bytes"))
    secrets = [{"Key": k, "Secret": v} for k, v in sorted(map_opt(opts.strings("secret")).items())]

    def topology(values: list[str]) -> list[dict[str, Any]]:
        return [
            {"Segments": dict(seg.partition("=")[::2] for seg in value.split(","))}
            for value in values
        ]

    return {
        "Group": opts.string("group"),
        "AccessMode": access,
        "Availability": opts.string("availability"),
        "CapacityRange": capacity,
        "Secrets": secrets or None,
        "AccessibilityRequirements": {
            "Requisite": topology(opts.strings("topology-required")) or None,
            "Preferred": topology(opts.strings("topology-preferred")) or None,
        },
    }


COMMAND = Command(
    name="create",
    usage="[OPTIONS] [VOLUME]",
    short="Create a volume",
    run=run,
    max_args=1,
    flags=flags(
        Flag(
            name="availability",
            type="string",
            default="active",
            help='Cluster Volume availability ("active", "pause", "drain")',
        ),
        Flag(
            name="driver",
            short="d",
            type="string",
            default="local",
            help="Specify volume driver name",
        ),
        Flag(name="group", type="string", help="Cluster Volume group (cluster volumes)"),
        Flag(name="label", type="list", help="Set metadata for a volume"),
        Flag(
            name="limit-bytes",
            type="bytes",
            help="Minimum size of the Cluster Volume in bytes",
        ),
        Flag(name="name", type="string", help="Specify volume name", hidden=True),
        Flag(
            name="opt",
            short="o",
            type="map",
            help="Set driver specific options",
            help_default="map[]",
        ),
        Flag(
            name="required-bytes",
            type="bytes",
            help="Maximum size of the Cluster Volume in bytes",
        ),
        Flag(
            name="scope",
            type="string",
            default="single",
            help='Cluster Volume access scope ("single", "multi")',
        ),
        Flag(name="secret", type="map", help="Cluster Volume secrets", help_default="map[]"),
        Flag(
            name="sharing",
            type="string",
            default="none",
            help='Cluster Volume access sharing ("none", "readonly", "onewriter", "all")',
        ),
        Flag(
            name="topology-preferred",
            type="list",
            help="A topology that the Cluster Volume would be preferred in",
        ),
        Flag(
            name="topology-required",
            type="list",
            help="A topology that the Cluster Volume must be accessible from",
        ),
        Flag(
            name="type",
            type="string",
            default="block",
            help='Cluster Volume access type ("mount", "block")',
        ),
    ),
)
