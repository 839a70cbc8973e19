"""A small Docker Registry HTTP API v2 client: what `dockyard manifest` needs, synchronous.

The docker CLI's manifest commands talk to the registry itself, not through the daemon
(docker/cli cli/registry/client), and so does this: fetch a manifest (and its config blob,
for the platform), fetch a manifest list and each manifest it names, mount a blob from one
repository into another, put a manifest. Only `dockyard manifest` imports this module, so
http.client and ssl are fine here (the CLI's hot path never sees them).

Endpoints as docker's registry service picks them: `https://<domain>` for a pull, then
`http://<domain>` when the registry is insecure (a loopback address, or `--insecure`); a push
goes to http directly for an insecure registry. A plain-HTTP registry answering an https
request is retried over http only when TLS verification is off (docker's httpProtoError
dance), and a plain-http endpoint is used for pulls only with `--insecure`. The pieces:
image references in `reference.py`, auth and a repository's session in `registryauth.py`,
requests and the registry's errors in `registryhttp.py`.
"""

from __future__ import annotations

import json

from dockyard import errdefs
from dockyard.client.reference import DEFAULT_DOMAIN, Named
from dockyard.client.registryauth import AuthConfig, Repository
from dockyard.client.registryhttp import (
    MAX_MANIFEST,
    Endpoint,
    ProtocolMismatch,
    RegistryError,
    registry_error,
)
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    AuthResolver = Callable[[str], AuthConfig]

DEFAULT_HOST = "registry-1.docker.io"

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = (SCHEMA2, MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)


@record()
class ImageManifest:
    """One image manifest as the CLI keeps it (docker/cli manifest/types.ImageManifest).

    `descriptor` is an OCI descriptor (mediaType, digest, size, platform) in docker's key
    order; `raw` the manifest's bytes as the registry served them; `kind` names the field
    the parsed manifest is shown under ("SchemaV2Manifest" or "OCIManifest")."""

    ref: Named
    descriptor: dict[str, object]
    raw: bytes
    kind: str

    @property
    def media_type(self) -> str:
        return str(self.descriptor.get("mediaType", ""))

    @property
    def platform(self) -> dict[str, object] | None:
        value = self.descriptor.get("platform")
        return value if isinstance(value, dict) else None

    def blobs(self) -> list[str]:
        """Config then layers: what a cross-repository push mounts (References())."""
        doc = json.loads(self.raw)
        refs = [doc.get("config") or {}, *(doc.get("layers") or [])]
        return [str(r["digest"]) for r in refs if isinstance(r, dict) and r.get("digest")]


PLATFORM_KEYS = ("architecture", "os", "os.version", "os.features", "variant")


def platform_from(
    source: Mapping[str, object], base: Mapping[str, object] | None = None
) -> dict[str, object]:
    """An OCI platform (docker's key order) filled from a config or platform object the way
    Go's json.Unmarshal fills a struct: keys match case-insensitively, absent ones keep
    `base`'s values; "architecture" and "os" are always there."""
    out: dict[str, object] = {"architecture": "", "os": ""}
    out.update(base or {})
    lowered = {k.lower(): v for k, v in source.items()}
    for key in PLATFORM_KEYS:
        if key in lowered and lowered[key] is not None:
            out[key] = lowered[key]
    ordered = {k: out[k] for k in PLATFORM_KEYS if k in out}
    for key in ("os.version", "variant"):
        if ordered.get(key) == "":
            del ordered[key]
    if not ordered.get("os.features"):
        ordered.pop("os.features", None)
    return ordered


def _sha256(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


def _manifest_kind(media_type: str, doc: Mapping[str, object]) -> str:
    if media_type in (MANIFEST_LIST, OCI_INDEX) or (not media_type and "manifests" in doc):
        return "list"
    if media_type == SCHEMA2:
        return "SchemaV2Manifest"
    if media_type == OCI_MANIFEST or (not media_type and "config" in doc):
        return "OCIManifest"
    return ""


def is_insecure_domain(domain: str) -> bool:
    """Whether docker's registry service treats a registry as insecure by default: a
    loopback address (the default insecure CIDR 127.0.0.0/8, ::1) or localhost."""
    import ipaddress

    host = domain.rsplit(":", 1)[0] if not domain.startswith("[") else domain[1:].split("]")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """docker/cli's registryclient: GetManifest, GetManifestList, MountBlob, PutManifest.

    `auth(domain)` answers the credentials for a registry (config.json's, resolved by the
    caller); `insecure` is `--insecure`: TLS unchecked and plain http allowed."""

    def __init__(self, *, auth: AuthResolver | None = None, insecure: bool = False) -> None:
        self._auth = auth
        self.insecure = insecure

    def _auth_for(self, domain: str) -> AuthConfig:
        return self._auth(domain) if self._auth is not None else AuthConfig()

    @staticmethod
    def _host(domain: str) -> str:
        return DEFAULT_HOST if domain == DEFAULT_DOMAIN else domain

    # -- reading ----------------------------------------------------------------------------

    def pull_endpoints(self, ref: Named) -> list[Endpoint]:
        insecure_index = self.insecure or is_insecure_domain(ref.domain)
        host = self._host(ref.domain)
        endpoints = [Endpoint(scheme="https", host=host, skip_verify=insecure_index)]
        if insecure_index:
            endpoints.append(Endpoint(scheme="http", host=host, skip_verify=True))
        return endpoints

    def _connect(self, endpoint: Endpoint, ref: Named, actions: tuple[str, ...]) -> Repository:
        """Ping through `endpoint`, falling back from https to http where docker does."""
        auth = self._auth_for(ref.domain)
        repo = Repository(endpoint, ref.path, auth, actions)
        try:
            repo.ping()
        except ProtocolMismatch:
            if not endpoint.skip_verify or endpoint.scheme != "https":
                raise
            repo = Repository(
                Endpoint(scheme="http", host=endpoint.host, skip_verify=True), ref.path, auth,
                actions,
            )  # fmt: skip
            repo.ping()
        return repo

    def _iterate(self, ref: Named, each: Callable[[Repository], object]) -> object:
        """iterateEndpoints: the first endpoint that answers; on a continuable error (not
        found, unauthorized) the next; "no such manifest" when none had it."""
        confirmed_tls: set[str] = set()
        for endpoint in self.pull_endpoints(ref):
            if endpoint.scheme != "https" and endpoint.host in confirmed_tls:
                continue
            try:
                repo = self._connect(endpoint, ref, ("pull",))
            except ProtocolMismatch:
                continue
            if repo.endpoint.scheme == "http" and not self.insecure:
                continue
            try:
                return each(repo)
            except RegistryError as err:
                if not err.continuable:
                    raise
                if endpoint.scheme == "https":
                    confirmed_tls.add(endpoint.host)
        raise errdefs.NotFound(f"no such manifest: {ref}")

    def _get(self, repo: Repository, reference: str) -> tuple[str, bytes, dict[str, object]]:
        resp = repo.request(
            "GET", f"/v2/{repo.name}/manifests/{reference}", headers={"Accept": ", ".join(ACCEPT)}
        )
        if resp.status != 200:
            raise registry_error(resp.status, resp.body)
        if len(resp.body) > MAX_MANIFEST:
            raise errdefs.InvalidArgument(f"manifest too big: more than {MAX_MANIFEST} bytes")
        try:
            doc = json.loads(resp.body)
        except ValueError as err:
            raise errdefs.InvalidArgument(f"invalid manifest: {err}") from err
        if not isinstance(doc, dict):
            raise errdefs.InvalidArgument("invalid manifest: not a JSON object")
        media_type = resp.header("content-type").split(";")[0].strip()
        if media_type not in ACCEPT:
            media_type = str(doc.get("mediaType") or "")
        if reference.startswith("sha256:") and _sha256(resp.body) != reference:
            raise errdefs.InvalidArgument(f"manifest verification failed for digest {reference}")
        return media_type, resp.body, doc

    def _image(
        self, repo: Repository, ref: Named, media_type: str, raw: bytes, doc: dict[str, object]
    ) -> ImageManifest:
        """pullManifestSchemaV2 / pullManifestOCISchema: the descriptor, its platform read
        from the config blob."""
        kind = _manifest_kind(media_type, doc)
        digest = _sha256(raw)
        if ref.digest and ref.digest != digest:
            raise errdefs.InvalidArgument(f"manifest verification failed for digest {ref.digest}")
        config = doc.get("config")
        config_digest = str(config.get("digest", "")) if isinstance(config, dict) else ""
        resp = repo.request("GET", f"/v2/{repo.name}/blobs/{config_digest}")
        if resp.status != 200:
            raise registry_error(resp.status, resp.body)
        if _sha256(resp.body) != config_digest:
            raise errdefs.InvalidArgument(
                f"image config verification failed for digest {config_digest}"
            )
        try:
            config_doc = json.loads(resp.body)
        except ValueError as err:
            raise errdefs.InvalidArgument(f"invalid image config: {err}") from err
        payload_type = media_type or (OCI_MANIFEST if kind == "OCIManifest" else SCHEMA2)
        descriptor: dict[str, object] = {
            "mediaType": payload_type,
            "digest": digest,
            "size": len(raw),
            "platform": platform_from(config_doc if isinstance(config_doc, dict) else {}),
        }
        return ImageManifest(ref=ref, descriptor=descriptor, raw=raw, kind=kind)

    def get_manifest(self, ref: Named) -> ImageManifest:
        """GetManifest: an image manifest (a list is an error: "... is a manifest list")."""

        def fetch(repo: Repository) -> ImageManifest:
            media_type, raw, doc = self._get(repo, ref.tag or ref.digest)
            kind = _manifest_kind(media_type, doc)
            if kind == "list":
                raise errdefs.InvalidArgument(f"{ref} is a manifest list")
            if not kind:
                raise errdefs.InvalidArgument(f"{ref} is not a manifest")
            return self._image(repo, ref, media_type, raw, doc)

        result = self._iterate(ref, fetch)
        assert isinstance(result, ImageManifest)
        return result

    def get_manifest_list(self, ref: Named) -> list[ImageManifest]:
        """GetManifestList: every manifest a list names, with the list's platforms."""

        def fetch(repo: Repository) -> list[ImageManifest]:
            media_type, raw, doc = self._get(repo, ref.tag or ref.digest)
            if _manifest_kind(media_type, doc) != "list":
                raise errdefs.InvalidArgument(f"unsupported manifest format: {media_type}")
            if ref.digest and _sha256(raw) != ref.digest:
                raise errdefs.InvalidArgument(
                    f"manifest verification failed for digest {ref.digest}"
                )
            out = []
            entries = doc.get("manifests")
            for entry in entries if isinstance(entries, list) else []:
                digest = str(entry.get("digest", ""))
                m_type, m_raw, m_doc = self._get(repo, digest)
                image = self._image(repo, ref.with_digest(digest), m_type, m_raw, m_doc)
                if image.kind not in ("SchemaV2Manifest", "OCIManifest"):
                    raise errdefs.InvalidArgument(f"unsupported manifest type: {m_type}")
                platform = entry.get("platform")
                image.descriptor["platform"] = platform_from(
                    platform if isinstance(platform, dict) else {}
                )
                out.append(image)
            return out

        result = self._iterate(ref, fetch)
        assert isinstance(result, list)
        return result

    # -- writing ----------------------------------------------------------------------------

    def push_endpoint(self, ref: Named) -> Endpoint:
        """newDefaultRepositoryEndpoint: http for an insecure registry, else https."""
        host = self._host(ref.domain)
        if is_insecure_domain(ref.domain):
            return Endpoint(scheme="http", host=host, skip_verify=True)
        return Endpoint(scheme="https", host=host, skip_verify=self.insecure)

    def mount_blob(self, source: Named, target: Named) -> bool:
        """POST a cross-repository mount of `source` (name@digest) into `target`'s repository:
        True when mounted; False when the registry opened an upload instead (cancelled)."""
        repo = self._connect(self.push_endpoint(target), target, ("pull", "push"))
        query = f"mount={source.digest}&from={source.path}"
        resp = repo.request(
            "POST", f"/v2/{repo.name}/blobs/uploads/?{query}",
            headers={"Content-Length": "0"}, body=b"",
            extra_scopes=(f"repository:{source.path}:pull",),
        )  # fmt: skip
        if resp.status == 201:
            return True
        if resp.status == 202:
            location = resp.header("location")
            if location:
                repo.request("DELETE", location)
            return False
        err = registry_error(resp.status, resp.body)
        raise errdefs.Unknown(f"failed to mount blob {source} to {target}: {err}") from err

    def put_manifest(self, ref: Named, media_type: str, payload: bytes) -> str:
        """PUT a manifest (or list) at ref's tag or digest; the digest the registry gave it."""
        repo = self._connect(self.push_endpoint(ref), ref, ("pull", "push"))
        resp = repo.request(
            "PUT", f"/v2/{repo.name}/manifests/{ref.tag or ref.digest}",
            headers={"Content-Type": media_type}, body=payload,
        )  # fmt: skip
        if resp.status not in (200, 201, 202):
            err = registry_error(resp.status, resp.body)
            raise errdefs.Unknown(f"failed to put manifest {ref}: {err}") from err
        return resp.header("docker-content-digest") or _sha256(payload)
