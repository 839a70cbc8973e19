"""What the `dockyard manifest` verbs share: references with docker's wording, the registry
client with config.json's credentials, and the printers of `manifest inspect`."""

from __future__ import annotations

from dockyard.cli.commands.manifest import store
from dockyard.client.reference import Named
from dockyard.client.registry import ImageManifest, RegistryClient
from dockyard.client.registryauth import AuthConfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.cli.app import Cli


def auth_resolver(cli: Cli) -> Callable[[str], AuthConfig]:
    """domain -> AuthConfig from config.json (auths, credsStore, credHelpers), resolved as
    `dockyard push` resolves X-Registry-Auth (docker's ResolveAuthConfig)."""

    def resolve(domain: str) -> AuthConfig:
        from dockyard.client.auth import get_credentials, server_key

        creds = get_credentials(cli.config, server_key(f"{domain}/library/x"))
        return AuthConfig(
            username=str(creds.get("username") or ""),
            password=str(creds.get("password") or ""),
            identity_token=str(creds.get("identitytoken") or ""),
            registry_token=str(creds.get("registrytoken") or ""),
        )

    return resolve


def registry_client(cli: Cli, *, insecure: bool) -> RegistryClient:
    return RegistryClient(auth=auth_resolver(cli), insecure=insecure)


def manifest_store(cli: Cli) -> store.ManifestStore:
    return store.open_store(cli.config_dir)


def get_manifest(cli: Cli, list_ref: Named, ref: Named, *, insecure: bool) -> ImageManifest:
    """The CLI's getManifest: the local copy in the list, else the registry's."""
    from dockyard import errdefs

    try:
        local = manifest_store(cli).get(list_ref, ref)
    except errdefs.NotFound:
        return registry_client(cli, insecure=insecure).get_manifest(ref)
    if not local.raw:
        return registry_client(cli, insecure=insecure).get_manifest(ref)
    return local


def print_manifest(cli: Cli, image: ImageManifest, *, verbose: bool) -> None:
    if verbose:
        cli.out.write(store.go_indent(store.marshal_manifest(image), "\t") + "\n")
    else:
        raw = store.payload(image).decode()
        cli.out.write(store.go_indent(raw, "\t") + "\n")


def print_list(cli: Cli, ref: Named, images: list[ImageManifest], *, verbose: bool) -> None:
    from dockyard import errdefs

    if verbose:
        body = "[" + ",".join(store.marshal_manifest(i) for i in images) + "]"
        cli.out.write(store.go_indent(body, "\t") + "\n")
        return
    try:
        _, canonical = store.build_list(ref.trim(), images)
    except errdefs.InvalidArgument as err:
        raise errdefs.InvalidArgument(f"failed to assemble ManifestDescriptor: {err}") from err
    cli.out.write(canonical.decode() + "\n")
