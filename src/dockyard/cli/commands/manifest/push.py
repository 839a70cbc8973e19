"""`dockyard manifest push`: put a local manifest list (and the manifests it names, when
they live in another repository) into the registry."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.client.reference import Named
    from dockyard.client.registry import ImageManifest, RegistryClient


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.manifest import common, store
    from dockyard.client.reference import normalize

    target = normalize(args[0])
    manifests = common.manifest_store(cli)
    images = manifests.get_list(target)
    if not images:
        raise errdefs.NotFound(f"{target} not found")
    for image in images:
        platform = image.platform or {}
        if not platform.get("architecture") or not platform.get("os"):
            raise errdefs.InvalidArgument(
                f"manifest {image.ref} must have an OS and Architecture to be pushed to a registry"
            )
    media_type, canonical = store.build_list(target.trim(), images)
    # Images from another repository of the registry: their blobs are mounted into the
    # target repository and their manifests put there by digest (buildPushRequest).
    foreign = [i for i in images if i.ref.path != target.path]
    for image in foreign:
        _check_digest(image)
    client = common.registry_client(cli, insecure=opts.boolean("insecure"))
    for image in foreign:
        _mount(client, image, target)
    for image in foreign:
        ref = target.trim().with_digest(str(image.descriptor["digest"]))
        digest = client.put_manifest(ref, image.media_type, store.payload(image))
        cli.out.write(f"Pushed ref {ref} with digest: {digest}\n")
    digest = client.put_manifest(target, media_type, canonical)
    cli.out.write(digest + "\n")
    if opts.boolean("purge"):
        manifests.remove(target)
    return 0


def _check_digest(image: ImageManifest) -> None:
    import hashlib

    from dockyard import errdefs
    from dockyard.cli.commands.manifest import store

    expected = str(image.descriptor.get("digest", ""))
    got = "sha256:" + hashlib.sha256(store.payload(image)).hexdigest()
    if got != expected:
        raise errdefs.InvalidArgument(
            f"internal digest mismatch for {image.ref}: expected {expected}, got {got}"
        )


def _mount(client: RegistryClient, image: ImageManifest, target: Named) -> None:
    from dockyard import errdefs

    platform = image.platform or {}
    for digest in image.blobs():
        source = image.ref.trim().with_digest(digest)
        if not client.mount_blob(source, target) and platform.get("os") != "windows":
            raise errdefs.Unknown(f"error mounting {source} to {target}")


COMMAND = Command(
    name="push",
    usage="[OPTIONS] MANIFEST_LIST",
    short="Push a manifest list to a repository",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="insecure", help="Allow push to an insecure registry"),
        Flag(name="purge", short="p", help="Remove the local manifest list after push"),
    ),
)
