"""`docker images` rows: imageContext (docker/cli cli/command/formatter/image.go).

One image summary (GET /images/json) gives a row per repository and tag (and per digest
with --digests); dangling images are one `<none>` row. Fields: ID, Repository, Tag,
Digest, CreatedSince, CreatedAt, Size, Containers, VirtualSize, SharedSize, UniqueSize.
"""

from __future__ import annotations

import time

from dockyard.cli.format import formatter
from dockyard.cli.format.display import familiar_name, is_valid_name, split_reference, truncate_id
from dockyard.cli.format.units import go_time_string, human_duration, human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = (
    "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t"
    "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\\t{{.Size}}"
)
DEFAULT_TABLE_DIGEST = (
    "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t"
    "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\\t{{.Size}}"
)
_RAW = """repository: {{ .Repository }}
tag: {{.Tag}}
{digest}image_id: {{.ID}}
created_at: {{.CreatedAt}}
virtual_size: {{.Size}}
"""
HEADER = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Containers": "CONTAINERS",
    "VirtualSize": "SIZE",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
}


def image_format(source: str, *, quiet: bool, digests: bool) -> str:
    """docker's NewImageFormat ("" is "table", as `docker images` turns it into)."""
    if source in ("", formatter.TABLE):
        if quiet:
            return formatter.QUIET_FORMAT
        return DEFAULT_TABLE_DIGEST if digests else DEFAULT_TABLE
    if source == formatter.RAW:
        if quiet:
            return "image_id: {{.ID}}"
        return _RAW.replace("{digest}", "digest: {{.Digest}}\n" if digests else "")
    if formatter.is_table(source) and digests and "{{.Digest}}" not in source:
        return source + "\t{{.Digest}}"
    return source


class ImageContext(formatter.Context):
    GO_TYPE = "*formatter.imageContext"
    FIELDS = (
        "Containers",
        "CreatedAt",
        "CreatedSince",
        "Digest",
        "ID",
        "Repository",
        "SharedSize",
        "Size",
        "Tag",
        "UniqueSize",
        "VirtualSize",
    )
    __slots__ = ("digest", "i", "now", "repo", "tag", "trunc")

    def __init__(
        self, i: dict[str, Any], repo: str, tag: str, digest: str, *, trunc: bool, now: float
    ) -> None:
        self.i = i
        self.repo = repo
        self.tag = tag
        self.digest = digest
        self.trunc = trunc
        self.now = now

    def ID(self) -> str:  # docker's field names are the methods' names
        ident = str(self.i.get("Id") or "")
        return truncate_id(ident) if self.trunc else ident

    def Repository(self) -> str:
        return self.repo

    def Tag(self) -> str:
        return self.tag

    def Digest(self) -> str:
        return self.digest

    def CreatedSince(self) -> str:
        return human_duration(self.now - int(self.i.get("Created") or 0)) + " ago"

    def CreatedAt(self) -> str:
        return go_time_string(int(self.i.get("Created") or 0))

    def Size(self) -> str:
        return human_size(int(self.i.get("Size") or 0), 3)

    def Containers(self) -> str:
        count = self.i.get("Containers", -1)
        return "N/A" if count == -1 or count is None else str(count)

    def VirtualSize(self) -> str:
        return human_size(int(self.i.get("Size") or 0))

    def SharedSize(self) -> str:
        shared = self.i.get("SharedSize", -1)
        return "N/A" if shared == -1 or shared is None else human_size(shared)

    def UniqueSize(self) -> str:
        size, shared = self.i.get("Size", -1), self.i.get("SharedSize", -1)
        if size == -1 or shared == -1 or size is None or shared is None:
            return "N/A"
        return human_size(size - shared)


def _is_dangling(img: dict[str, Any]) -> bool:
    tags, digests = img.get("RepoTags") or [], img.get("RepoDigests") or []
    if not tags and not digests:
        return True
    return tags == ["<none>:<none>"] and digests == ["<none>@<none>"]


def rows(
    images: Iterable[dict[str, Any]], *, trunc: bool, digests: bool, need_digest: bool, now: float
) -> list[ImageContext]:
    """docker's imageFormat: the rows for a list of image summaries."""
    out: list[ImageContext] = []
    for img in images:
        if _is_dangling(img):
            out.append(ImageContext(img, "<none>", "<none>", "<none>", trunc=trunc, now=now))
            continue
        repo_tags: dict[str, list[str]] = {}
        repo_digests: dict[str, list[str]] = {}
        for ref in img.get("RepoTags") or ():
            name, tag, _ = split_reference(ref)
            if is_valid_name(name) and tag:
                repo_tags.setdefault(familiar_name(name), []).append(tag)
        for ref in img.get("RepoDigests") or ():
            name, _, digest = split_reference(ref)
            if is_valid_name(name) and digest:
                repo_digests.setdefault(familiar_name(name), []).append(digest)
        for repo, tags in repo_tags.items():
            found = repo_digests.pop(repo, [])
            if not need_digest:
                found = []
            for tag in tags:
                for digest in found or ["<none>"]:
                    out.append(ImageContext(img, repo, tag, digest, trunc=trunc, now=now))
        for repo, found in repo_digests.items():
            if digests:
                for digest in found:
                    out.append(ImageContext(img, repo, "<none>", digest, trunc=trunc, now=now))
            else:
                out.append(ImageContext(img, repo, "<none>", "", trunc=trunc, now=now))
    return out


def write(
    out: TextIO,
    items: Iterable[dict[str, Any]],
    *,
    fmt: str = "",
    quiet: bool = False,
    trunc: bool = True,
    digests: bool = False,
    now: float | None = None,
) -> None:
    """`docker images`: items are GET /images/json entries; fmt is --format or imagesFormat."""
    chosen = image_format(fmt, quiet=quiet, digests=digests)
    stamp = time.time() if now is None else now
    need = digests or "{{.Digest}}" in chosen
    formatter.write(
        out, chosen, rows(items, trunc=trunc, digests=digests, need_digest=need, now=stamp), HEADER
    )
