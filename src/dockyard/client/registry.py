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
dance), and a plain-http endpoint is used for pulls only with `--insecure`.

Auth per distribution's client: `GET /v2/` collects the challenges; a Bearer challenge gets
a token from its realm for `repository:<name>:<actions>` (Basic credentials, or a refresh
token as OAuth2 form POST), a Basic challenge gets the credentials, and an auth config with
a registry token passes it through as Bearer.
"""

from __future__ import annotations

import base64
import json
import re

from dockyard import errdefs
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import http.client
    import ssl
    from collections.abc import Callable, Mapping

    AuthResolver = Callable[[str], "AuthConfig"]

DEFAULT_DOMAIN = "docker.io"
DEFAULT_HOST = "registry-1.docker.io"
USER_AGENT = "dockyard-cli"
CERTS_DIR = "/etc/docker/certs.d"

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = (SCHEMA2, MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)
MAX_MANIFEST = 4 << 20


# -- references ------------------------------------------------------------------------------

_ALNUM = r"[a-z0-9]+"
_COMPONENT = _ALNUM + r"(?:(?:[._]|__|-+)" + _ALNUM + r")*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = r"(?:" + _DOMAIN_PART + r"(?:\." + _DOMAIN_PART + r")*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    r"(?:(?P<domain>" + _DOMAIN + r")/)?(?P<path>" + _COMPONENT + r"(?:/" + _COMPONENT + r")*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}))?",
    re.ASCII,
)
_HEX64 = re.compile(r"[a-f0-9]{64}")


@record(frozen=True)
class Named:
    """A normalised image reference (distribution/reference's Named, Tagged, Canonical)."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    def trim(self) -> Named:
        """The repository alone (reference.TrimNamed)."""
        return Named(self.domain, self.path)

    def with_digest(self, digest: str) -> Named:
        return Named(self.domain, self.path, self.tag, digest)

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return self.name + tag + digest


def parse_named(text: str) -> Named:
    """reference.ParseNormalizedNamed: `busybox` is docker.io/library/busybox; errors carry
    docker's words."""
    if _HEX64.fullmatch(text):
        raise errdefs.InvalidArgument(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
        )
    first, slash, rest = text.partition("/")
    if slash and (first == "localhost" or "." in first or ":" in first or first != first.lower()):
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, text
    if domain == "index.docker.io":
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = "library/" + remainder
    remote = remainder.split(":", 1)[0]
    if remote != remote.lower():
        raise errdefs.InvalidArgument(
            f"invalid reference format: repository name ({remote}) must be lowercase"
        )
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None:
        raise errdefs.InvalidArgument("invalid reference format")
    if len(match["path"]) > 255:
        raise errdefs.InvalidArgument("repository name must not be more than 255 characters")
    return Named(match["domain"], match["path"], match["tag"] or "", match["digest"] or "")


def normalize(text: str) -> Named:
    """The CLI's normalizeReference: parse, and add `:latest` unless pinned by digest."""
    ref = parse_named(text)
    if not ref.digest and not ref.tag:
        return Named(ref.domain, ref.path, "latest")
    return ref


# -- errors ----------------------------------------------------------------------------------


class RegistryError(errdefs.Unknown):
    """An error response of the registry, worded as distribution's errcode does it."""

    def __init__(self, message: str, *, status: int, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes

    @property
    def continuable(self) -> bool:
        """The errors on which docker tries the next endpoint (continueOnError)."""
        if not self.codes:
            return True  # an unexpected HTTP response
        return self.codes[0] in ("UNAUTHORIZED", "MANIFEST_UNKNOWN", "NAME_UNKNOWN")


def _registry_error(status: int, body: bytes) -> RegistryError:
    try:
        errors = json.loads(body)["errors"]
        parts = [(str(e.get("code", "UNKNOWN")), str(e.get("message", ""))) for e in errors if e]
    except (ValueError, KeyError, TypeError, AttributeError):
        parts = []
    if not parts:
        if status == 401:
            return RegistryError(
                "unauthorized: authentication required", status=status, codes=("UNAUTHORIZED",)
            )
        text = body.decode(errors="replace")
        return RegistryError(
            f"error parsing HTTP {status} response body: invalid character: {text!r}",
            status=status,
        )
    lines = [f"{code.replace('_', ' ').lower()}: {message}" for code, message in parts]
    text = lines[0] if len(lines) == 1 else "errors:\n" + "".join(f"{ln}\n" for ln in lines)
    return RegistryError(text, status=status, codes=tuple(code for code, _ in parts))


class _ProtocolMismatch(Exception):
    """TLS spoken to a plain-HTTP server (Go: "server gave HTTP response to HTTPS client")."""


# -- auth ------------------------------------------------------------------------------------


@record(frozen=True)
class AuthConfig:
    """Credentials for one registry, as config.json / X-Registry-Auth carry them."""

    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""


_CHALLENGE = re.compile(r'(\w+)="([^"]*)"|(\w+)=([^\s,]+)')


def parse_challenges(headers: list[str]) -> dict[str, dict[str, str]]:
    """WWW-Authenticate values -> {scheme (lower case): params}."""
    out: dict[str, dict[str, str]] = {}
    for value in headers:
        scheme, _, rest = value.strip().partition(" ")
        params = {}
        for m in _CHALLENGE.finditer(rest):
            key = (m[1] or m[3]).lower()
            params[key] = m[2] if m[1] else m[4]
        out[scheme.lower()] = params
    return out


# -- HTTP ------------------------------------------------------------------------------------


@record(frozen=True)
class Endpoint:
    """One base URL of a registry, and whether TLS certificates go unchecked."""

    scheme: str
    host: str  # "127.0.0.1:5000"
    skip_verify: bool = False

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


@record(frozen=True)
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def _tls_context(endpoint: Endpoint) -> ssl.SSLContext:
    import os
    import ssl

    context = ssl.create_default_context()
    if endpoint.skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    directory = os.path.join(CERTS_DIR, endpoint.host)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        names = []
    for name in names:
        path = os.path.join(directory, name)
        if name.endswith(".crt"):
            context.load_verify_locations(cafile=path)
        elif name.endswith(".cert"):
            context.load_cert_chain(path, path[: -len(".cert")] + ".key")
    return context


def _describe(err: OSError) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "connect: connection refused"
    return err.strerror or str(err)


def _send(
    endpoint: Endpoint,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None = None,
    timeout: float = 60.0,
) -> Response:
    """One request on a fresh connection (docker's manifest transport disables keep-alive)."""
    import http.client
    import ssl

    conn: http.client.HTTPConnection
    if endpoint.scheme == "https":
        conn = http.client.HTTPSConnection(
            endpoint.host, timeout=timeout, context=_tls_context(endpoint)
        )
    else:
        conn = http.client.HTTPConnection(endpoint.host, timeout=timeout)
    full = url if "://" in url else endpoint.url + url
    target = url
    if "://" in url:  # the request line carries the path alone (origin-form)
        target = "/" + url.split("://", 1)[1].partition("/")[2]
    try:
        conn.request(method, target, body=body, headers={"User-Agent": USER_AGENT, **headers})
        resp = conn.getresponse()
        data = resp.read(MAX_MANIFEST + 1)
        collected: dict[str, list[str]] = {}
        for key, value in resp.getheaders():
            collected.setdefault(key.lower(), []).append(value)
        return Response(status=resp.status, headers=collected, body=data)
    except ssl.SSLCertVerificationError as err:
        raise errdefs.Unavailable(
            f'{method} "{full}": tls: failed to verify certificate: {err.verify_message}'
        ) from err
    except ssl.SSLError as err:
        raise _ProtocolMismatch(f'{method} "{full}": http: server gave HTTP response') from err
    except OSError as err:
        raise errdefs.Unavailable(
            f'{method.capitalize()} "{full}": dial tcp {endpoint.host}: {_describe(err)}'
        ) from err
    except http.client.HTTPException as err:
        raise errdefs.Unavailable(f'{method} "{full}": {err}') from err
    finally:
        conn.close()


class Repository:
    """One repository on one endpoint, with the challenges of its `/v2/` ping."""

    def __init__(
        self, endpoint: Endpoint, name: str, auth: AuthConfig, actions: tuple[str, ...]
    ) -> None:
        self.endpoint = endpoint
        self.name = name  # the path: "library/busybox"
        self.auth = auth
        self.actions = actions
        self.challenges: dict[str, dict[str, str]] = {}
        self._tokens: dict[str, str] = {}

    def ping(self) -> None:
        """GET /v2/ (PingV2Registry): remember how the registry wants to be asked."""
        try:
            resp = _send(self.endpoint, "GET", "/v2/", headers={})
        except errdefs.Unavailable as err:
            raise errdefs.Unavailable(
                f"failed to configure transport: error pinging v2 registry: {err}"
            ) from err
        if resp.status == 401:
            self.challenges = parse_challenges(resp.headers.get("www-authenticate", []))

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        extra_scopes: tuple[str, ...] = (),
    ) -> Response:
        hdrs = dict(headers or {})
        authorization = self._authorization(extra_scopes)
        if authorization:
            hdrs["Authorization"] = authorization
        return _send(self.endpoint, method, path, headers=hdrs, body=body)

    def _authorization(self, extra_scopes: tuple[str, ...]) -> str:
        a = self.auth
        if "bearer" in self.challenges:
            if a.registry_token:
                return "Bearer " + a.registry_token
            scopes = (f"repository:{self.name}:{','.join(self.actions)}", *extra_scopes)
            key = " ".join(scopes)
            if key not in self._tokens:
                self._tokens[key] = self._fetch_token(self.challenges["bearer"], scopes)
            return "Bearer " + self._tokens[key]
        if "basic" in self.challenges and (a.username or a.password):
            raw = f"{a.username}:{a.password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        return ""

    def _fetch_token(self, params: Mapping[str, str], scopes: tuple[str, ...]) -> str:
        from urllib.parse import urlencode, urlsplit

        realm = params.get("realm", "")
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https"):
            raise errdefs.Unavailable(f"invalid token auth challenge realm: {realm!r}")
        endpoint = Endpoint(
            scheme=parts.scheme, host=parts.netloc, skip_verify=self.endpoint.skip_verify
        )
        a = self.auth
        service = params.get("service", "")
        if a.identity_token:
            form = [("grant_type", "refresh_token"), ("refresh_token", a.identity_token)]
            form += [("service", service), ("client_id", "docker")]
            form += [("scope", s) for s in scopes]
            resp = _send(
                endpoint, "POST", realm, body=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
        else:
            query = [("scope", s) for s in scopes] + [("service", service)]
            headers = {}
            if a.username or a.password:
                query.append(("account", a.username))
                raw = f"{a.username}:{a.password}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
            sep = "&" if "?" in realm else "?"
            resp = _send(endpoint, "GET", realm + sep + urlencode(query), headers=headers)
        if resp.status != 200:
            raise _registry_error(resp.status, resp.body)
        try:
            answer = json.loads(resp.body)
            token = answer.get("token") or answer.get("access_token") or ""
        except (ValueError, AttributeError):
            token = ""
        if not token:
            raise errdefs.Unknown("authorization server did not include a token in the response")
        return str(token)


# -- manifests -------------------------------------------------------------------------------


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
        except _ProtocolMismatch:
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
            except _ProtocolMismatch:
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
            raise _registry_error(resp.status, resp.body)
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
            raise _registry_error(resp.status, resp.body)
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
        err = _registry_error(resp.status, resp.body)
        raise errdefs.Unknown(f"failed to mount blob {source} to {target}: {err}") from err

    def put_manifest(self, ref: Named, media_type: str, payload: bytes) -> str:
        """PUT a manifest (or list) at ref's tag or digest; the digest the registry gave it."""
        repo = self._connect(self.push_endpoint(ref), ref, ("pull", "push"))
        resp = repo.request(
            "PUT", f"/v2/{repo.name}/manifests/{ref.tag or ref.digest}",
            headers={"Content-Type": media_type}, body=payload,
        )  # fmt: skip
        if resp.status not in (200, 201, 202):
            err = _registry_error(resp.status, resp.body)
            raise errdefs.Unknown(f"failed to put manifest {ref}: {err}") from err
        return resp.header("docker-content-digest") or _sha256(payload)
