"""A small in-process registry (the distribution v2 API subset the client uses), for unit tests.

It serves manifests and blobs from dicts and takes uploads, and can misbehave on purpose:
ignore Range headers, cut a blob's body after N bytes (once), answer 503 a few times, delay a
blob. Every request is recorded (method, path, headers) so tests can check what was asked.
The real registry (Debian's docker-registry) is for the integration tests; this is for the
cases a real registry will not produce on demand.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeRegistry:
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    ignore_range: bool = False
    cut_after: dict[str, int] = field(default_factory=dict)  # digest -> bytes, once
    unavailable: int = 0  # answer this many GETs with 503 first
    delays: dict[str, float] = field(default_factory=dict)
    tag_page: int = 0  # tags per page (0: all at once)
    uploads: dict[str, bytearray] = field(default_factory=dict)
    upload_keep: int | None = None  # a PATCH stores at most this many bytes (tests Range)
    port: int = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- content helpers ---------------------------------------------------------------------

    def add_blob(self, data: bytes) -> str:
        digest = sha256(data)
        self.blobs[digest] = data
        return digest

    def add_manifest(self, repo: str, tag: str, document: dict[str, Any]) -> tuple[str, bytes]:
        data = json.dumps(document).encode()
        media_type = str(document.get("mediaType", OCI_MANIFEST))
        digest = sha256(data)
        self.manifests[(repo, tag)] = (media_type, data)
        self.manifests[(repo, digest)] = (media_type, data)
        return digest, data

    def blob_requests(self, digest: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith(digest)]

    # -- the app -----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record], client_max_size=64 << 20)
        app.router.add_route("GET", "/v2/", self._ping)
        app.router.add_route("*", "/v2/{repo:.+}/manifests/{ref}", self._manifest)
        app.router.add_route("HEAD", "/v2/{repo:.+}/blobs/{digest}", self._blob)
        app.router.add_route("GET", "/v2/{repo:.+}/blobs/{digest}", self._blob)
        app.router.add_route("GET", "/v2/{repo:.+}/tags/list", self._tags)
        app.router.add_route("POST", "/v2/{repo:.+}/blobs/uploads/", self._start_upload)
        app.router.add_route("PATCH", "/v2/{repo:.+}/blobs/uploads/{id}", self._patch)
        app.router.add_route("PUT", "/v2/{repo:.+}/blobs/uploads/{id}", self._put)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(Recorded(request.method, request.path, dict(request.headers)))
        if request.method == "GET" and self.unavailable > 0:
            self.unavailable -= 1
            return web.Response(status=503, text="try later")
        response: web.StreamResponse = await handler(request)
        return response

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def _manifest(self, request: web.Request) -> web.Response:
        repo, ref = request.match_info["repo"], request.match_info["ref"]
        if request.method == "PUT":
            data = await request.read()
            media_type = request.headers.get("Content-Type", OCI_MANIFEST)
            self.manifests[(repo, ref)] = (media_type, data)
            self.manifests[(repo, sha256(data))] = (media_type, data)
            return web.Response(status=201, headers={"Docker-Content-Digest": sha256(data)})
        found = self.manifests.get((repo, ref))
        if found is None:
            errors = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}
            return web.json_response(errors, status=404)
        media_type, data = found
        headers = {"Docker-Content-Digest": sha256(data), "Content-Type": media_type}
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return web.Response(status=200, headers=headers)
        return web.Response(status=200, body=data, headers=headers)

    async def _blob(self, request: web.Request) -> web.StreamResponse:
        digest = request.match_info["digest"]
        data = self.blobs.get(digest)
        if data is None:
            errors = {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry"}]}
            return web.json_response(errors, status=404)
        if request.method == "HEAD":
            return web.Response(status=200, headers={"Content-Length": str(len(data))})
        await asyncio.sleep(self.delays.get(digest, 0.0))
        start = 0
        status = 200
        range_header = request.headers.get("Range", "")
        if range_header.startswith("bytes=") and not self.ignore_range:
            start = int(range_header[6:].split("-")[0])
            status = 206
        body = data[start:]
        response = web.StreamResponse(status=status)
        response.content_length = len(body)
        if status == 206:
            response.headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        await response.prepare(request)
        cut = self.cut_after.pop(digest, None)
        if cut is not None:
            await response.write(body[:cut])
            await asyncio.sleep(0.05)
            assert request.transport is not None
            request.transport.abort()  # the connection dies mid-body
            return response
        await response.write(body)
        await response.write_eof()
        return response

    async def _tags(self, request: web.Request) -> web.Response:
        repo = request.match_info["repo"]
        tags = sorted(t for (r, t) in self.manifests if r == repo and ":" not in t)
        last = request.query.get("last", "")
        tags = [t for t in tags if t > last]
        headers = {}
        if self.tag_page and len(tags) > self.tag_page:
            tags = tags[: self.tag_page]
            url = f"/v2/{repo}/tags/list?last={tags[-1]}&n={self.tag_page}"
            headers["Link"] = f'<{url}>; rel="next"'
        return web.json_response({"name": repo, "tags": tags}, headers=headers)

    async def _start_upload(self, request: web.Request) -> web.Response:
        repo = request.match_info["repo"]
        mount = request.query.get("mount")
        if mount and mount in self.blobs:
            return web.Response(status=201, headers={"Location": f"/v2/{repo}/blobs/{mount}"})
        upload = uuid.uuid4().hex
        self.uploads[upload] = bytearray()
        location = f"/v2/{repo}/blobs/uploads/{upload}?_state=opaque"
        return web.Response(status=202, headers={"Location": location, "Range": "0-0"})

    async def _patch(self, request: web.Request) -> web.Response:
        upload = self.uploads[request.match_info["id"]]
        start = int(request.headers["Content-Range"].split("-")[0])
        assert start == len(upload), f"PATCH at {start}, have {len(upload)}"
        data = await request.read()
        if self.upload_keep is not None:
            data = data[: self.upload_keep]
        upload += data
        repo = request.match_info["repo"]
        headers = {
            "Location": f"/v2/{repo}/blobs/uploads/{request.match_info['id']}?_state=next",
            "Range": f"0-{len(upload) - 1}",
        }
        return web.Response(status=202, headers=headers)

    async def _put(self, request: web.Request) -> web.Response:
        upload = self.uploads.pop(request.match_info["id"])
        upload += await request.read()
        digest = request.query["digest"]
        assert request.query.get("_state"), "the Location's own query must be kept"
        if sha256(bytes(upload)) != digest:
            errors = {"errors": [{"code": "DIGEST_INVALID", "message": "digest mismatch"}]}
            return web.json_response(errors, status=400)
        self.blobs[digest] = bytes(upload)
        return web.Response(status=201, headers={"Docker-Content-Digest": digest})


@asynccontextmanager
async def serving(registry: FakeRegistry) -> AsyncIterator[FakeRegistry]:
    runner = web.AppRunner(registry.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    registry.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield registry
    finally:
        await runner.cleanup()


def image(
    registry: FakeRegistry, repo: str, tag: str, layers: list[bytes], **config: Any
) -> dict[str, Any]:
    """Put an image (layers as stored blobs, uncompressed-tar diff_ids faked as the blobs'
    own digests) and return a summary."""
    digests = [registry.add_blob(layer) for layer in layers]
    config_doc = {
        "architecture": config.get("architecture", "amd64"),
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": digests},
    }
    if config.get("variant"):
        config_doc["variant"] = config["variant"]
    config_bytes = json.dumps(config_doc).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": registry.add_blob(config_bytes),
            "size": len(config_bytes),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(b)}
            for d, b in zip(digests, layers, strict=True)
        ],
    }
    digest, data = registry.add_manifest(repo, tag, manifest)
    return {"digest": digest, "size": len(data), "layers": digests, "config": sha256(config_bytes)}
