"""`docker images`: moby's Images(), filter for filter.

Without `--all`, images that are only a parent of others (no names of their own) are
hidden. `dangling=true` keeps images without tags and without children; `before`/`since`
compare creation times with the images they name (several values: the strictest);
`until` is a time; `label` matches `key` or `key=value`; `reference` is a glob on the names
(only the matching names are shown, and an image with none is left out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dockyard.images import docs
from dockyard.images.delete import InUse
from dockyard.images.filters import LIST_FILTERS, FilterArgs, Filters, parse_until
from dockyard.images.image import Image
from dockyard.images.store import ImageRecord

if TYPE_CHECKING:
    from dockyard.images.service import ImageService

_Row = tuple[ImageRecord, Image, list[str], list[str], int]


def list_images(
    images: ImageService,
    *,
    all_images: bool,
    filters: FilterArgs | None,
    shared_size: bool,
    in_use: InUse | None,
    api_version: str,
) -> list[dict[str, Any]]:
    """ImageSummary documents, newest first."""
    args = Filters(filters, accepted=LIST_FILTERS)
    dangling_only = args.get_bool("dangling", False)
    before, since = _before_since(images, args)
    records = images.store.list()
    references = images.store.all_references()
    parents = {r.parent for r in records if r.parent}
    rows: list[_Row] = []
    for record in records:
        if dangling_only and record.id in parents:
            continue
        created = record.created_ns if record.created else None
        if before is not None and (created is None or created >= before):
            continue
        if since is not None and (created is None or created <= since):
            continue
        image = images.image(record.id)
        if "label" in args and not args.match_kv_list("label", image.config.labels):
            continue
        shown = [
            r for r in references.get(record.id, ())
            if "reference" not in args or args.match_reference(r)
        ]  # fmt: skip
        tags, digests = docs.split_references(shown)
        if not tags and not digests:
            if not (all_images or record.id not in parents):
                continue  # an intermediate image: shown with --all only
            if ("dangling" in args and not dangling_only) or "reference" in args:
                continue
        elif dangling_only and tags:
            continue
        containers = len(in_use(record.id)) if in_use is not None else -1
        rows.append((record, image, tags, digests, containers))
    shared = _shared_sizes(images, records, [row[0] for row in rows]) if shared_size else {}
    rows.sort(key=lambda row: (row[0].created_ns, row[0].id), reverse=True)
    return [
        docs.summary_doc(
            record=record,
            image=image,
            tags=tags,
            digests=digests,
            containers=containers,
            shared_size=shared.get(record.id, -1),
            api_version=api_version,
        )
        for record, image, tags, digests, containers in rows
    ]


def _before_since(images: ImageService, args: Filters) -> tuple[int | None, int | None]:
    """The `before`/`until` bound and the `since` bound, in Unix nanoseconds."""
    before: int | None = None
    for name in args.get("before"):
        other = images.store.get(name)
        if other.created and (before is None or other.created_ns < before):
            before = other.created_ns
    for value in args.get("until"):
        until = parse_until(value)
        before = until if before is None else min(before, until)
    since: int | None = None
    for name in args.get("since"):
        other = images.store.get(name)
        if other.created and (since is None or other.created_ns > since):
            since = other.created_ns
    return before, since


def _shared_sizes(
    images: ImageService, everything: Sequence[ImageRecord], shown: Sequence[ImageRecord]
) -> dict[str, int]:
    """SharedSize: the bytes of an image's layers that another image uses as well."""
    counts: dict[str, int] = {}
    for record in everything:
        for chain_id in record.chain_ids:
            counts[chain_id] = counts.get(chain_id, 0) + 1
    return {
        record.id: sum(images.layer_size(c) for c in record.chain_ids if counts[c] > 1)
        for record in shown
    }
