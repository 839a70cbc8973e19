"""RegistryClient: the Docker registry v2 / OCI distribution API (docs/spec/api.md).

Manifests (resolve by HEAD, fetch with the digest verified, put), tags with pagination, and
blobs: existence (HEAD), download into a content-store writer, cross-repository mount, and
upload (monolithic PUT, or PATCH chunks then PUT). A blob download that breaks resumes where
it stopped with `Range: bytes=<offset>-`, restarting from zero when the server ignores the
Range. One session, endpoint choice, auth, retries and error mapping are transport.py's.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import BinaryIO

import aiohttp
from yarl import URL

from dockyard import errdefs
from dockyard.content.store import Writer
from dockyard.distribution import auth
from dockyard.distribution.auth import Authorizer, CredentialsProvider, LoginResult
from dockyard.distribution.blobs import Downloads
from dockyard.distribution.credentials import DockerConfig
from dockyard.distribution.hosts import Endpoint, RegistryHosts
from dockyard.distribution.manifests import ACCEPT, MAX_MANIFEST_SIZE, Descriptor, media_type_of
from dockyard.distribution.transport import (
    READ_SIZE,
    Transport,
    describe,
    raise_for,
    read_limited,
)
from dockyard.images.reference import Reference
from dockyard.utils import jsonfast

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


class RegistryClient:
    """A client for every registry the daemon talks to; close it (or `async with` it)."""

    def __init__(
        self,
        *,
        hosts: RegistryHosts | None = None,
        credentials: CredentialsProvider | None = None,
        limit_per_host: int = 8,
        retries: int = 5,
        backoff: float = 0.1,
        upload_chunk_size: int = 32 << 20,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.transport = Transport(
            hosts=hosts or RegistryHosts(),
            authorizer=Authorizer(credentials),
            limit_per_host=limit_per_host,
            retries=retries,
            backoff=backoff,
            trace_configs=trace_configs,
        )
        self.upload_chunk_size = upload_chunk_size
        self.downloads = Downloads(self)
        self._owner = True
        self._request = self.transport.request
        self._request_url = self.transport.request_url

    def with_credentials(self, credentials: CredentialsProvider | None) -> RegistryClient:
        """A client with other credentials (one API request's X-Registry-Auth) sharing this
        one's connections and its one-download-per-blob map; closing it closes nothing."""
        other = copy.copy(self)
        other.transport = self.transport.with_authorizer(Authorizer(credentials))
        other._owner = False
        other._request = other.transport.request
        other._request_url = other.transport.request_url
        return other

    # -- lifecycle ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop downloads still running, then close the session (the owner only)."""
        if self._owner:
            await self.downloads.close()
            await self.transport.close()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- manifests ---------------------------------------------------------------------------

    async def resolve(self, ref: Reference) -> Descriptor:
        """The descriptor a tag (or digest) names: HEAD, and GET when HEAD says too little."""
        target = ref.digest or ref.tag or "latest"
        path = f"{ref.path}/manifests/{target}"
        headers = {"Accept": ", ".join(ACCEPT)}
        scopes = [auth.pull_scope(ref.path)]
        resp, _ = await self._request("HEAD", ref.domain, path, scopes=scopes, headers=headers)
        async with resp:
            digest = resp.headers.get("Docker-Content-Digest", "")
            length = resp.headers.get("Content-Length", "")
            media_type = resp.headers.get("Content-Type", "").split(";", 1)[0].strip()
            head_ok = resp.status == 200 and length.isdigit()
        if head_ok and media_type in ACCEPT and (digest or ref.digest):
            if ref.digest and digest and digest != ref.digest:
                raise errdefs.InvalidArgument(
                    f"manifest digest mismatch for {ref.familiar()}: registry says {digest}"
                )
            return Descriptor(media_type=media_type, digest=digest or ref.digest, size=int(length))
        descriptor, _ = await self.fetch_manifest(ref)
        return descriptor

    async def fetch_manifest(self, ref: Reference) -> tuple[Descriptor, bytes]:
        """GET a manifest by `ref`'s digest (else its tag); the body's digest is verified
        against the one asked for (or the Docker-Content-Digest the registry sent)."""
        target = ref.digest or ref.tag or "latest"
        path = f"{ref.path}/manifests/{target}"
        headers = {"Accept": ", ".join(ACCEPT)}
        scopes = [auth.pull_scope(ref.path)]
        resp, _ = await self._request("GET", ref.domain, path, scopes=scopes, headers=headers)
        async with resp:
            if resp.status != 200:
                await raise_for(resp, f"manifest for {ref.familiar()}")
            data = await read_limited(resp, MAX_MANIFEST_SIZE, f"manifest {ref.familiar()}")
            served = resp.headers.get("Content-Type", "")
            header_digest = resp.headers.get("Docker-Content-Digest", "")
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        wanted = ref.digest or (header_digest if header_digest.startswith("sha256:") else "")
        if wanted and digest != wanted:
            raise errdefs.InvalidArgument(
                f"manifest verification failed for {ref.familiar()}: expected {wanted}, got"
                f" {digest}"
            )
        return Descriptor(
            media_type=media_type_of(data, served), digest=digest, size=len(data)
        ), data

    async def put_manifest(
        self, repo: Reference, reference: str, media_type: str, data: bytes
    ) -> str:
        """PUT a manifest under a tag or digest; returns its digest."""
        path = f"{repo.path}/manifests/{reference}"
        resp, _ = await self._request(
            "PUT",
            repo.domain,
            path,
            scopes=[auth.push_scope(repo.path)],
            headers={"Content-Type": media_type},
            data=data,
            push=True,
        )
        async with resp:
            if resp.status not in (200, 201, 202):
                await raise_for(resp, f"manifest {repo.familiar_name()}:{reference}")
            served = resp.headers.get("Docker-Content-Digest", "")
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if served and served != digest:
            raise errdefs.Unknown(f"registry stored manifest as {served}, we sent {digest}")
        return digest

    async def tags(self, repo: Reference) -> list[str]:
        """Every tag of a repository, following `Link: <...>; rel="next"` pages."""
        found: list[str] = []
        path: str | None = f"{repo.path}/tags/list"
        scopes = [auth.pull_scope(repo.path)]
        while path is not None:
            resp, endpoint = await self._request("GET", repo.domain, path, scopes=scopes)
            async with resp:
                if resp.status != 200:
                    await raise_for(resp, f"repository {repo.familiar_name()}")
                document = jsonfast.loads(await read_limited(resp, 16 << 20, "tag list"))
                path = _next_page(resp.headers.get("Link", ""), endpoint)
            tags = document.get("tags") if isinstance(document, dict) else None
            found += [str(t) for t in tags or ()]
        return found

    # -- blobs -------------------------------------------------------------------------------

    async def blob_exists(self, repo: Reference, digest: str, *, push: bool = False) -> bool:
        """HEAD /blobs/<digest>: True on 200, False on 404."""
        scopes = [auth.push_scope(repo.path) if push else auth.pull_scope(repo.path)]
        path = f"{repo.path}/blobs/{digest}"
        resp, _ = await self._request("HEAD", repo.domain, path, scopes=scopes, push=push)
        async with resp:
            if resp.status == 200:
                return True
            if resp.status == 404:
                return False
            await raise_for(resp, f"blob {digest}")
        return False  # not reached: _raise_for raises

    async def read_blob(self, repo: Reference, desc: Descriptor, *, limit: int = 32 << 20) -> bytes:
        """A small blob (an image config) into memory, its digest verified."""
        if desc.size > limit:
            raise errdefs.InvalidArgument(f"blob {desc.digest} is {desc.size} bytes, over {limit}")
        path = f"{repo.path}/blobs/{desc.digest}"
        scopes = [auth.pull_scope(repo.path)]
        resp, _ = await self._request("GET", repo.domain, path, scopes=scopes)
        async with resp:
            if resp.status != 200:
                await raise_for(resp, f"blob {desc.digest}")
            data = await read_limited(resp, limit, f"blob {desc.digest}")
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if digest != desc.digest or len(data) != desc.size:
            raise errdefs.InvalidArgument(
                f"digest mismatch: expected {desc.digest} ({desc.size} bytes), got {digest}"
                f" ({len(data)} bytes)"
            )
        return data

    async def fetch_blob(
        self,
        repo: Reference,
        desc: Descriptor,
        writer: Writer,
        *,
        progress: Progress | None = None,
    ) -> str:
        """Stream a blob into `writer` (resuming at writer.offset) and commit it.

        Returns the digest; InvalidArgument from the commit when the bytes do not match
        `desc` (the partial data is dropped then). A broken stream resumes from the new
        offset with back-off; the attempts are counted only while no byte arrives.
        """
        failures = 0
        while writer.offset < desc.size or desc.size == 0:
            before = writer.offset
            try:
                await self._stream_blob(repo, desc, writer, progress)
                break
            except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, TimeoutError) as err:
                failures = 0 if writer.offset > before else failures + 1
                if failures > self.transport.retries:
                    raise errdefs.Unavailable(
                        f"failed to download {desc.digest}: {describe(err)}"
                    ) from err
                log.info("download of %s broke at %d: %s", desc.digest, writer.offset, err)
                await asyncio.sleep(self.transport.delay(failures))
        return await asyncio.to_thread(writer.commit, expected=desc.digest, size=desc.size)

    async def _stream_blob(
        self, repo: Reference, desc: Descriptor, writer: Writer, progress: Progress | None
    ) -> None:
        offset = writer.offset
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        path = f"{repo.path}/blobs/{desc.digest}"
        scopes = [auth.pull_scope(repo.path)]
        resp, _ = await self._request("GET", repo.domain, path, scopes=scopes, headers=headers)
        async with resp:
            if resp.status == 416 and offset:
                await asyncio.to_thread(writer.truncate, 0)  # our partial data is wrong
                raise aiohttp.ClientPayloadError("range not satisfiable; restarting")
            if resp.status not in (200, 206):
                await raise_for(resp, f"blob {desc.digest}")
            if offset and (resp.status == 200 or not _range_starts_at(resp, offset)):
                # The server sent the whole blob (or another range): start from zero.
                await asyncio.to_thread(writer.truncate, 0)
                if resp.status != 200:
                    raise aiohttp.ClientPayloadError("unexpected Content-Range; restarting")
            await _copy_body(resp, writer, progress)

    async def mount_blob(self, repo: Reference, digest: str, from_repo: str) -> bool:
        """Cross-repository mount (same registry): True when the registry mounted it."""
        location = await self._start_upload(repo, digest=digest, mount_from=from_repo)
        if location is None:
            return True
        resp, _ = await self._request_url(
            "DELETE", repo.domain, location, push=True, scopes=[auth.push_scope(repo.path)]
        )
        resp.release()  # cancelling the upload session it opened instead is a courtesy
        return False

    async def upload_blob(
        self,
        repo: Reference,
        digest: str,
        size: int,
        open_reader: Callable[[], BinaryIO],
        *,
        mount_from: str = "",
        progress: Progress | None = None,
    ) -> str:
        """Push a blob: "mounted" when `mount_from` could lend it, else "pushed".

        POST /blobs/uploads/ (with ?mount=&from= when asked), then one PUT with the whole
        blob when it fits in `upload_chunk_size`, else PATCH chunks with Content-Range
        (following each answer's Location and Range) and a closing PUT ?digest=.
        """
        location = await self._start_upload(repo, digest=digest, mount_from=mount_from)
        if location is None:
            return "mounted"
        with open_reader() as reader:
            if size <= self.upload_chunk_size:
                body = _file_body(reader, 0, size, progress)
                await self._put_upload(repo, location, digest, body, size)
                return "pushed"
            offset = 0
            while offset < size:
                length = min(self.upload_chunk_size, size - offset)
                body = _file_body(reader, offset, length, progress)
                location, offset = await self._patch_upload(repo, location, body, offset, length)
            await self._put_upload(repo, location, digest, None, 0)
        return "pushed"

    async def _start_upload(self, repo: Reference, *, digest: str, mount_from: str) -> URL | None:
        scopes = [auth.push_scope(repo.path)]
        params: dict[str, str] = {}
        if mount_from and mount_from != repo.path:
            scopes.append(auth.pull_scope(mount_from))
            params = {"mount": digest, "from": mount_from}
        resp, endpoint = await self._request(
            "POST", repo.domain, f"{repo.path}/blobs/uploads/", scopes=scopes, push=True,
            params=params, headers={"Content-Length": "0"},
        )  # fmt: skip
        async with resp:
            if resp.status == 201 and params:
                return None
            if resp.status != 202:
                await raise_for(resp, f"upload of {digest} to {repo.familiar_name()}")
            return _location(resp, endpoint)

    async def _patch_upload(
        self, repo: Reference, location: URL, body: AsyncIterator[bytes], offset: int, length: int
    ) -> tuple[URL, int]:
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + length - 1}",
            "Content-Length": str(length),
        }
        resp, endpoint = await self._request_url(
            "PATCH", repo.domain, location, headers=headers, data=body, push=True,
            scopes=[auth.push_scope(repo.path)],
        )  # fmt: skip
        async with resp:
            if resp.status != 202:
                await raise_for(resp, f"upload to {repo.familiar_name()}")
            # The registry says how much it holds; continue from there, not from our guess.
            stored = resp.headers.get("Range", "")
            end = int(stored.rsplit("-", 1)[1]) + 1 if "-" in stored else offset + length
            return _location(resp, endpoint), end

    async def _put_upload(
        self,
        repo: Reference,
        location: URL,
        digest: str,
        body: AsyncIterator[bytes] | None,
        size: int,
    ) -> None:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        url = location.update_query(digest=digest)
        resp, _ = await self._request_url(
            "PUT", repo.domain, url, headers=headers, data=body if body is not None else b"",
            push=True, scopes=[auth.push_scope(repo.path)],
        )  # fmt: skip
        async with resp:
            if resp.status not in (201, 204):
                await raise_for(resp, f"upload of {digest} to {repo.familiar_name()}")

    # -- login ----------------------------------------------------------------------------------

    async def login(
        self, domain: str, username: str, password: str, *, config: DockerConfig | None = None
    ) -> LoginResult:
        """`docker login`: verify against the registry, then store into `config`."""
        return await auth.login(
            self.transport.session,
            self.transport.endpoints(domain, push=True),
            domain=domain,
            username=username,
            password=password,
            config=config,
        )


async def _copy_body(
    resp: aiohttp.ClientResponse, writer: Writer, progress: Progress | None
) -> None:
    """Body -> writer, 1 MiB at a time; each write runs in a thread (hashing and the file
    write release the GIL) while the next read waits on the socket."""
    pending: asyncio.Future[None] | None = None
    current = writer.offset
    try:
        while True:
            chunk = await resp.content.read(READ_SIZE)
            if not chunk:
                break
            if pending is not None:
                await pending
            pending = asyncio.ensure_future(asyncio.to_thread(writer.write, chunk))
            current += len(chunk)
            if progress is not None:
                progress(current)
    finally:
        if pending is not None:
            await asyncio.shield(pending)  # writer.offset must account for every byte read


async def _file_body(
    reader: BinaryIO, offset: int, length: int, progress: Progress | None
) -> AsyncIterator[bytes]:
    """`length` bytes of a file from `offset`, read 1 MiB at a time in a thread."""
    await asyncio.to_thread(reader.seek, offset)
    sent = 0
    while sent < length:
        chunk: bytes = await asyncio.to_thread(reader.read, min(READ_SIZE, length - sent))
        if not chunk:
            raise errdefs.Unknown(f"blob file ended after {offset + sent} bytes")
        sent += len(chunk)
        yield chunk
        if progress is not None:
            progress(offset + sent)


def _range_starts_at(resp: aiohttp.ClientResponse, offset: int) -> bool:
    # Content-Range: bytes <start>-<end>/<total>
    value = resp.headers.get("Content-Range", "")
    start = value.removeprefix("bytes ").split("-", 1)[0].strip()
    return start.isdigit() and int(start) == offset


def _location(resp: aiohttp.ClientResponse, endpoint: Endpoint) -> URL:
    location = resp.headers.get("Location")
    if not location:
        raise errdefs.Unknown(f"registry {endpoint.host} answered an upload without Location")
    url = URL(location)
    return url if url.is_absolute() else resp.url.join(url)


def _next_page(link: str, endpoint: Endpoint) -> str | None:
    """The path (relative to /v2/) of a `Link: </v2/...>; rel="next"` header, or None."""
    for part in link.split(","):
        target, _, attributes = part.partition(";")
        if 'rel="next"' in attributes.replace(" ", "") or "rel=next" in attributes:
            url = URL(target.strip().strip("<>"))
            path = url.path.split("/v2/", 1)[-1]
            return path + (f"?{url.query_string}" if url.query_string else "")
    return None
