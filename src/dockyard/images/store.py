"""The image store: image metadata, tags and repo digests in SQLite (data-root/metadata.db).

What Docker keeps in image/imagedb and refstore, as three tables this module owns (every
table here is prefixed `image_`; other packages share the database file):

    image_images   one row per image: id (= the config's digest), the manifest pushed for it,
                   the index it was pulled through, created, diff ids and chain ids, unpacked
                   size, parent (built/committed images), last tag time
    image_refs     "docker.io/library/alpine:latest" or "...alpine@sha256:<manifest>" -> id
    image_layers   diff id -> the compressed blob that carries it (for manifests and save)

Every change is one transaction (WAL mode, DESIGN.md §3). The store is thread-safe: one
connection behind a lock, as the daemon calls it from worker threads.

Name resolution (`get`) is Docker's GetImage: a full id or "sha256:" digest; a reference
(":latest" when neither tag nor digest is given; a digest wins over a tag); then a unique id
prefix, with or without "sha256:". Anything else, an ambiguous prefix included, is NotFound
"No such image: <ref>", exactly what Docker answers.
"""

from __future__ import annotations

import builtins
import json
import re
import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager

from dockyard import errdefs
from dockyard.images import reference as refs
from dockyard.images import timefmt
from dockyard.images.reference import Reference
from dockyard.utils.record import record, replace
from dockyard.utils.sqlitedb import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS image_images (
    id              TEXT PRIMARY KEY,
    manifest_digest TEXT NOT NULL DEFAULT '',
    index_digest    TEXT NOT NULL DEFAULT '',
    created         TEXT NOT NULL DEFAULT '',
    created_ns      INTEGER NOT NULL DEFAULT 0,
    diff_ids        TEXT NOT NULL DEFAULT '[]',
    chain_ids       TEXT NOT NULL DEFAULT '[]',
    size            INTEGER NOT NULL DEFAULT 0,
    parent          TEXT NOT NULL DEFAULT '',
    last_tag_time   TEXT NOT NULL DEFAULT '',
    added_at        REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS image_images_parent ON image_images(parent);
CREATE TABLE IF NOT EXISTS image_refs (
    ref        TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    tag        TEXT NOT NULL DEFAULT '',
    digest     TEXT NOT NULL DEFAULT '',
    image_id   TEXT NOT NULL REFERENCES image_images(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS image_refs_image ON image_refs(image_id);
CREATE TABLE IF NOT EXISTS image_layers (
    diff_id    TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    diff_size  INTEGER NOT NULL DEFAULT -1
);
"""
_COLUMNS = (
    "id, manifest_digest, index_digest, created, created_ns, diff_ids, chain_ids, size, "
    "parent, last_tag_time, added_at"
)
_HEX = re.compile(r"[a-f0-9]+")


@record(frozen=True)
class ImageRecord:
    """One image as the store knows it; the config blob (content store) holds the rest."""

    id: str  # "sha256:<hex>", the digest of the config blob
    diff_ids: tuple[str, ...]
    chain_ids: tuple[str, ...]  # chain_ids[i] names the snapshot of layers 0..i
    manifest_digest: str = ""  # the manifest to push this image with ("" if none)
    index_digest: str = ""  # the manifest list / index it was pulled through
    created: str = ""  # the config's `created`, verbatim
    size: int = 0  # unpacked bytes of all layers (Docker's Size)
    parent: str = ""  # image id, for built and committed images
    last_tag_time: str = ""  # RFC 3339; "" when never tagged locally
    added_at: float = 0.0

    @property
    def chain_id(self) -> str:
        """The top layer's chain id: the snapshot a container's rw layer sits on."""
        return self.chain_ids[-1] if self.chain_ids else ""

    @property
    def created_ns(self) -> int:
        return timefmt.to_ns(self.created)


@record(frozen=True)
class LayerBlob:
    """The blob that carries a layer: compressed (usually gzip) as in a manifest."""

    diff_id: str
    digest: str
    media_type: str
    size: int
    diff_size: int = -1  # bytes of the uncompressed tar; -1 until known


class ImageStore:
    """Image records, tags and repo digests in SQLite; thread-safe."""

    def __init__(self, db_path: str) -> None:
        self._db = Database(db_path, schema=_SCHEMA, foreign_keys=True)

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction()

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self._db.query(sql, args)

    # -- images ----------------------------------------------------------------------------

    def add(self, image: ImageRecord) -> ImageRecord:
        """Insert an image, or refresh one already known (a pull of an image we have): the
        stored parent and last tag time stay unless `image` brings its own."""
        with self._transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM image_images WHERE id = ?", (image.id,))
            old = row.fetchone()
            if old is not None:
                before = _image(old)
                image = ImageRecord(
                    id=image.id,
                    diff_ids=image.diff_ids,
                    chain_ids=image.chain_ids,
                    manifest_digest=image.manifest_digest or before.manifest_digest,
                    index_digest=image.index_digest or before.index_digest,
                    created=image.created,
                    size=image.size or before.size,
                    parent=image.parent or before.parent,
                    last_tag_time=image.last_tag_time or before.last_tag_time,
                    added_at=before.added_at,
                )
            elif not image.added_at:
                image = replace(image, added_at=time.time())
            # An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first, and the
            # ON DELETE CASCADE of image_refs would drop every tag of the image with it (a
            # pull of an image we already have under another name untagged that name).
            updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[1:])
            db.execute(
                f"INSERT INTO image_images ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT(id) DO UPDATE SET {updates}",
                (
                    image.id,
                    image.manifest_digest,
                    image.index_digest,
                    image.created,
                    image.created_ns,
                    json.dumps(list(image.diff_ids)),
                    json.dumps(list(image.chain_ids)),
                    image.size,
                    image.parent,
                    image.last_tag_time,
                    image.added_at,
                ),
            )
        return image

    def by_id(self, image_id: str) -> ImageRecord:
        """The image with exactly this id; NotFound otherwise."""
        rows = self._query(f"SELECT {_COLUMNS} FROM image_images WHERE id = ?", (image_id,))
        if not rows:
            raise errdefs.NotFound(f"No such image: {image_id}")
        return _image(rows[0])

    def exists(self, image_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM image_images WHERE id = ?", (image_id,)))

    def get(self, id_or_ref: str) -> ImageRecord:
        """Resolve a name as `docker image inspect` does (see the module docstring)."""
        parsed = refs.parse_any(id_or_ref)
        if isinstance(parsed, str):
            try:
                return self.by_id(parsed)
            except errdefs.NotFound:
                raise errdefs.NotFound(f"No such image: {parsed}") from None
        image_id = self.lookup(parsed)
        if image_id is None:
            image_id = self._search(id_or_ref)
        if image_id is not None and self.exists(image_id):
            return self.by_id(image_id)
        raise errdefs.NotFound(f"No such image: {_tag_name_only(parsed).familiar()}")

    def _search(self, term: str) -> str | None:
        """digestset.Lookup: the one id starting with `term` (bare hex or "sha256:" + hex)."""
        prefix = term.removeprefix("sha256:")
        if not prefix or not _HEX.fullmatch(prefix):
            return None
        low = "sha256:" + prefix
        rows = self._query(
            "SELECT id FROM image_images WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
            (low, low + "g"),  # "g" sorts after every hex digit
        )
        return str(rows[0][0]) if len(rows) == 1 else None

    def list(self) -> builtins.list[ImageRecord]:
        rows = self._query(f"SELECT {_COLUMNS} FROM image_images ORDER BY created_ns, id")
        return [_image(row) for row in rows]

    def delete(self, image_id: str) -> None:
        """Forget an image and every reference to it; its children lose their parent link."""
        with self._transaction() as db:
            db.execute("DELETE FROM image_refs WHERE image_id = ?", (image_id,))
            db.execute("UPDATE image_images SET parent = '' WHERE parent = ?", (image_id,))
            if db.execute("DELETE FROM image_images WHERE id = ?", (image_id,)).rowcount == 0:
                raise errdefs.NotFound(f"No such image: {image_id}")

    def children(self, image_id: str) -> builtins.list[str]:
        """Images whose parent is `image_id` (Docker's imageStore.Children)."""
        rows = self._query("SELECT id FROM image_images WHERE parent = ? ORDER BY id", (image_id,))
        return [str(row[0]) for row in rows]

    def set_parent(self, image_id: str, parent: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE image_images SET parent = ? WHERE id = ?", (parent, image_id))

    # -- references ------------------------------------------------------------------------

    def lookup(self, ref: Reference) -> str | None:
        """The image a tag or digest reference names (a digest wins over a tag)."""
        key = _key(ref)
        rows = self._query("SELECT image_id FROM image_refs WHERE ref = ?", (str(key),))
        return str(rows[0][0]) if rows else None

    def tag(self, image_id: str, ref: Reference, *, touch: bool = False) -> str:
        """Point a tag (or a repo digest) at an image; return the id it named before, "" if
        none. `touch` records the tag time (docker tag, import), as TagImage does; a pull or
        a load leaves it. Docker's refstore refuses to move a digest."""
        key = _key(ref)
        if key.familiar_name() == "sha256":
            raise errdefs.InvalidArgument(
                "refusing to create an ambiguous tag using digest algorithm as name"
            )
        with self._transaction() as db:
            if (
                db.execute("SELECT 1 FROM image_images WHERE id = ?", (image_id,)).fetchone()
                is None
            ):
                raise errdefs.NotFound(f"No such image: {image_id}")
            row = db.execute("SELECT image_id FROM image_refs WHERE ref = ?", (str(key),))
            found = row.fetchone()
            previous = str(found[0]) if found else ""
            if previous and previous != image_id and key.digest:
                raise errdefs.Conflict(f"cannot overwrite digest {key.digest}")
            db.execute(
                "INSERT OR REPLACE INTO image_refs (ref, repository, tag, digest, image_id) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(key), key.name, key.tag, key.digest, image_id),
            )
            if touch:
                db.execute(
                    "UPDATE image_images SET last_tag_time = ? WHERE id = ?",
                    (timefmt.now_rfc3339(), image_id),
                )
        return previous if previous != image_id else ""

    def untag(self, ref: Reference) -> bool:
        """Drop a tag or digest reference (":latest" when neither is given); False when it
        did not exist (removal is idempotent, as Docker's)."""
        with self._transaction() as db:
            cursor = db.execute("DELETE FROM image_refs WHERE ref = ?", (str(_key(ref)),))
            return cursor.rowcount > 0

    def references(self, image_id: str) -> builtins.list[Reference]:
        """Every tag and digest naming the image, in lexical order (as refstore.References)."""
        rows = self._query(
            "SELECT repository, tag, digest FROM image_refs WHERE image_id = ? ORDER BY ref",
            (image_id,),
        )
        return [_reference(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def all_references(self) -> dict[str, builtins.list[Reference]]:
        """image id -> its references, for listings (one query instead of one per image)."""
        rows = self._query("SELECT image_id, repository, tag, digest FROM image_refs ORDER BY ref")
        out: dict[str, builtins.list[Reference]] = {}
        for image_id, repository, tag, digest in rows:
            out.setdefault(str(image_id), []).append(
                _reference(str(repository), str(tag), str(digest))
            )
        return out

    def references_by_name(self, ref: Reference) -> builtins.list[tuple[Reference, str]]:
        """Every tag and digest of one repository, with the image each names."""
        rows = self._query(
            "SELECT repository, tag, digest, image_id FROM image_refs "
            "WHERE repository = ? ORDER BY ref",
            (ref.name,),
        )
        return [(_reference(str(r[0]), str(r[1]), str(r[2])), str(r[3])) for r in rows]

    # -- layer blobs -----------------------------------------------------------------------

    def put_layer(self, blob: LayerBlob, *, replace: bool = False) -> None:
        """Remember which blob carries a diff id (the first one known wins unless `replace`,
        used when the blob recorded before has gone from the content store)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self._transaction() as db:
            db.execute(
                f"{verb} INTO image_layers (diff_id, digest, media_type, size, diff_size) "
                "VALUES (?, ?, ?, ?, ?)",
                (blob.diff_id, blob.digest, blob.media_type, blob.size, blob.diff_size),
            )
            if blob.diff_size >= 0:
                db.execute(
                    "UPDATE image_layers SET diff_size = ? WHERE diff_id = ? AND diff_size < 0",
                    (blob.diff_size, blob.diff_id),
                )

    def layer(self, diff_id: str) -> LayerBlob | None:
        rows = self._query(
            "SELECT diff_id, digest, media_type, size, diff_size FROM image_layers "
            "WHERE diff_id = ?",
            (diff_id,),
        )
        if not rows:
            return None
        d, digest, media_type, size, diff_size = rows[0]
        return LayerBlob(str(d), str(digest), str(media_type), int(str(size)), int(str(diff_size)))


def _key(ref: Reference) -> Reference:
    """How a reference is stored: a digest wins over a tag (favorDigest); a bare name means
    ":latest" (TagNameOnly)."""
    if ref.digest:
        return Reference(ref.domain, ref.path, "", ref.digest)
    return _tag_name_only(ref)


def _tag_name_only(ref: Reference) -> Reference:
    if ref.tag or ref.digest:
        return ref
    return Reference(ref.domain, ref.path, refs.DEFAULT_TAG)


def _reference(repository: str, tag: str, digest: str) -> Reference:
    domain, _, path = repository.partition("/")
    return Reference(domain, path, tag, digest)


def _image(row: Sequence[object]) -> ImageRecord:
    (image_id, manifest, index, created, _ns, diff_ids, chain_ids, size, parent, tagged, added) = (
        row
    )
    return ImageRecord(
        id=str(image_id),
        diff_ids=tuple(json.loads(str(diff_ids))),
        chain_ids=tuple(json.loads(str(chain_ids))),
        manifest_digest=str(manifest),
        index_digest=str(index),
        created=str(created),
        size=int(str(size)),
        parent=str(parent),
        last_tag_time=str(tagged),
        added_at=float(str(added)),
    )
