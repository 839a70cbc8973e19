"""`dockyard manifest annotate`: set the platform of an image in a local manifest list."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

# Go's known os/arch pairs (docker/cli cli/command/manifest/util.go), plus linux/s390x.
VALID_OS_ARCH = frozenset(
    {
        ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm"), ("darwin", "arm64"),
        ("dragonfly", "amd64"), ("freebsd", "386"), ("freebsd", "amd64"), ("freebsd", "arm"),
        ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"),
        ("linux", "ppc64le"), ("linux", "mips64"), ("linux", "mips64le"), ("linux", "riscv64"),
        ("linux", "s390x"), ("netbsd", "386"), ("netbsd", "amd64"), ("netbsd", "arm"),
        ("openbsd", "386"), ("openbsd", "amd64"), ("openbsd", "arm"), ("plan9", "386"),
        ("plan9", "amd64"), ("solaris", "amd64"), ("windows", "386"), ("windows", "amd64"),
    }
)  # fmt: skip


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.manifest import common
    from dockyard.client.reference import normalize
    from dockyard.client.registry import platform_from

    list_text, image_text = args
    try:
        target = normalize(list_text)
    except errdefs.InvalidArgument as err:
        raise errdefs.InvalidArgument(
            f"annotate: error parsing name for manifest list {list_text}: {err}"
        ) from err
    try:
        ref = normalize(image_text)
    except errdefs.InvalidArgument as err:
        raise errdefs.InvalidArgument(
            f"annotate: error parsing name for manifest {image_text}: {err}"
        ) from err
    manifests = common.manifest_store(cli)
    try:
        image = manifests.get(target, ref)
    except errdefs.NotFound:
        raise errdefs.NotFound(
            f"manifest for image {image_text} does not exist in {list_text}"
        ) from None
    platform: dict[str, object] = dict(image.platform or {"architecture": "", "os": ""})
    for flag, key in (("os", "os"), ("arch", "architecture")):
        if opts.string(flag):
            platform[key] = opts.string(flag)
    features = platform.get("os.features")
    merged = [str(f) for f in features] if isinstance(features, list) else []
    for feature in opts.strings("os-features"):
        if feature not in merged:
            merged.append(feature)
    platform["os.features"] = merged
    for flag, key in (("variant", "variant"), ("os-version", "os.version")):
        if opts.string(flag):
            platform[key] = opts.string(flag)
    platform = platform_from(platform)
    if (platform["os"], platform["architecture"]) not in VALID_OS_ARCH:
        raise errdefs.InvalidArgument(
            "manifest entry for image has unsupported os/arch combination: "
            f"{opts.string('os')}/{opts.string('arch')}"
        )
    image.descriptor["platform"] = platform
    manifests.save(target, ref, image)
    return 0


COMMAND = Command(
    name="annotate",
    usage="[OPTIONS] MANIFEST_LIST MANIFEST",
    short="Add additional information to a local image manifest",
    run=run,
    min_args=2,
    max_args=2,
    flags=flags(
        Flag(name="arch", type="string", help="Set architecture"),
        Flag(name="os", type="string", help="Set operating system"),
        Flag(name="os-features", type="stringSlice", help="Set operating system feature"),
        Flag(name="os-version", type="string", help="Set operating system version"),
        Flag(name="variant", type="string", help="Set architecture variant"),
    ),
)
