"""`docker rmi` and `docker image prune`: moby's daemon/images/image_delete.go, rule for rule.

Removing by *reference* untags: the tag goes (and the repository's digests with it when that
was its last tag there), and the image itself is deleted only when nothing names it any more,
quietly, so a conflict then leaves it in place. Removing by *id* deletes the image, untagging
it first when all its names are one repository's.

Conflicts are Docker's, with its messages: *hard* ones (a child image; a running container)
cannot be forced; *soft* ones (other repositories' names; a stopped container) need `force`.
Deleting an image releases the snapshots of its layers that no other image uses, top down,
and reports each as "Deleted: <chain id>" after the image, as Docker's layer store does; the
blobs become unreferenced and the content garbage collector takes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.images import reference as refs
from dockyard.images.filters import PRUNE_FILTERS, FilterArgs, Filters
from dockyard.images.reference import Reference
from dockyard.images.store import ImageRecord, ImageStore
from dockyard.snapshots.snapshotter import Snapshotter
from dockyard.utils.record import record


@record(frozen=True)
class ImageUser:
    """A container created from an image: what rm and prune must respect."""

    id: str
    running: bool = False


InUse = Callable[[str], Sequence[ImageUser]]

_CHILD, _RUNNING, _REFERENCED, _STOPPED = 1, 2, 4, 8
_HARD = _CHILD | _RUNNING
_SOFT = _REFERENCED | _STOPPED


def short_id(image_id: str) -> str:
    """stringid.TruncateID: 12 hex digits, no "sha256:"."""
    return image_id.partition(":")[2][:12] if ":" in image_id else image_id[:12]


class _DeleteConflict(errdefs.Conflict):
    def __init__(self, image_id: str, *, hard: bool, used: bool, message: str) -> None:
        forced = "cannot be forced" if hard else "must be forced"
        super().__init__(f"conflict: unable to delete {short_id(image_id)} ({forced}) - {message}")
        self.used = used


class Deleter:
    """One rm or prune: collects Docker's ImageDeleteResponseItem records."""

    def __init__(
        self,
        store: ImageStore,
        snapshotter: Snapshotter,
        *,
        in_use: InUse | None,
        labels: Callable[[str], dict[str, str] | None],
    ) -> None:
        self._store = store
        self._snapshotter = snapshotter
        self._in_use = in_use or (lambda _id: ())
        self._labels = labels
        self.records: list[dict[str, str]] = []
        self.reclaimed = 0

    # -- docker rmi ------------------------------------------------------------------------

    def remove(self, name: str, *, force: bool, prune: bool) -> None:
        image = self._store.get(name)
        references = self._store.references(image.id)
        removed_reference = False
        if not _is_id_prefix(image.id, name):
            if not force and _single_reference(references):
                users = self._in_use(image.id)
                if users:
                    raise errdefs.Conflict(
                        f'conflict: unable to remove repository reference "{name}" (must force)'
                        f" - container {short_id(users[0].id)} is using its referenced image"
                        f" {short_id(image.id)}"
                    )
            ref = refs.parse_with_default_tag(name)
            self._untag(ref)
            references = self._store.references(image.id)
            if not ref.digest and not any(r.name == ref.name and not r.digest for r in references):
                # The repository's last tag went: its digests go too.
                for other in [r for r in references if r.digest and r.name == ref.name]:
                    self._untag(other)
                references = self._store.references(image.id)
            if references:
                return
            removed_reference = True
        elif _single_reference(references):
            mask = _HARD if force else _HARD | (_SOFT & ~_REFERENCED)
            conflict = self._conflict(image.id, mask)
            if conflict is not None:
                raise conflict
            for ref in references:
                self._untag(ref)
        self._delete(image.id, force=force, prune=prune, quiet=removed_reference)

    def _untag(self, ref: Reference) -> None:
        self._store.untag(ref)
        self.records.append({"Untagged": ref.familiar()})

    def _delete(self, image_id: str, *, force: bool, prune: bool, quiet: bool) -> None:
        """imageDeleteHelper: delete one image (and, with `prune`, its unused parents)."""
        conflict = self._conflict(image_id, _HARD if force else _HARD | _SOFT)
        if conflict is not None:
            if quiet and (not self._dangling(image_id) or conflict.used):
                return  # the untag was what was asked for; the image stays
            raise conflict
        image = self._store.by_id(image_id)
        for ref in self._store.references(image_id):
            self._untag(ref)
        self._store.delete(image_id)
        self.records.append({"Deleted": image_id})
        self._release_layers(image)
        if prune and image.parent and self._store.exists(image.parent):
            self._delete(image.parent, force=False, prune=True, quiet=True)

    def _conflict(self, image_id: str, mask: int) -> _DeleteConflict | None:
        """checkImageDeleteConflict, in Docker's order."""
        if mask & _CHILD and self._store.children(image_id):
            return _DeleteConflict(
                image_id, hard=True, used=False, message="image has dependent child images"
            )
        users = self._in_use(image_id) if mask & (_RUNNING | _STOPPED) else ()
        running = [u for u in users if u.running]
        if mask & _RUNNING and running:
            return _DeleteConflict(
                image_id,
                hard=True,
                used=True,
                message=f"image is being used by running container {short_id(running[0].id)}",
            )
        if mask & _REFERENCED and self._store.references(image_id):
            return _DeleteConflict(
                image_id,
                hard=False,
                used=False,
                message="image is referenced in multiple repositories",
            )
        stopped = [u for u in users if not u.running]
        if mask & _STOPPED and stopped:
            return _DeleteConflict(
                image_id,
                hard=False,
                used=True,
                message=f"image is being used by stopped container {short_id(stopped[0].id)}",
            )
        return None

    def _dangling(self, image_id: str) -> bool:
        return not self._store.references(image_id) and not self._store.children(image_id)

    def _release_layers(self, image: ImageRecord) -> None:
        """Remove the image's snapshots, top down, until one another image still uses (its
        parents are then used too) or one has children (a container's rw layer)."""
        in_use: set[str] = set()
        for other in self._store.list():
            in_use.update(other.chain_ids)
        for chain_id in reversed(image.chain_ids):
            if chain_id in in_use:
                return
            try:
                size = self._snapshotter.usage(chain_id).size
                self._snapshotter.remove(chain_id)
            except errdefs.NotFound:
                continue
            except errdefs.Conflict:
                return  # something still stands on it; it stays, and so do its parents
            self.records.append({"Deleted": chain_id})
            self.reclaimed += size

    # -- docker image prune ----------------------------------------------------------------

    def prune(self, *, filters: FilterArgs | None, all_images: bool) -> dict[str, Any]:
        """ImagePrune: dangling images (`all_images`: every image no container uses)."""
        args = Filters(filters, accepted=PRUNE_FILTERS)
        dangling_only = args.get_bool("dangling", not all_images)
        until = args.until()
        images = self._store.list()
        parents = {image.parent for image in images if image.parent}
        for image in images:
            if dangling_only and image.id in parents:
                continue  # only the heads of chains are candidates
            references = self._store.references(image.id)
            if not references and image.id in parents:
                continue
            if until is not None and (not image.created or image.created_ns > until):
                continue
            if not args.match_labels(self._labels(image.id)):
                continue
            if references:
                if dangling_only and any(r.tag for r in references):
                    continue
                for ref in references:
                    self._prune_one(str(ref))
            else:
                self._prune_one(image.id.partition(":")[2])
        return {"ImagesDeleted": self.records or None, "SpaceReclaimed": self.reclaimed}

    def _prune_one(self, name: str) -> None:
        mark = len(self.records)
        try:
            self.remove(name, force=False, prune=True)
        except errdefs.Conflict:
            del self.records[mark:]  # moby keeps only what a successful delete reports
        except errdefs.NotFound:
            del self.records[mark:]  # gone with an earlier reference of the same image


def _is_id_prefix(image_id: str, name: str) -> bool:
    """isImageIDPrefix: `name` is a prefix of the id, with or without "sha256:"."""
    return image_id.startswith(name) or image_id.partition(":")[2].startswith(name)


def _single_reference(references: Sequence[Reference]) -> bool:
    """isSingleReference: all names are of one repository, with at most one tag."""
    if len(references) <= 1:
        return len(references) == 1
    tags = [r for r in references if not r.digest]
    if len(tags) > 1:
        return False
    digest_names = {r.name for r in references if r.digest}
    single = tags[0] if tags else references[0]
    return len(digest_names) == 1 and single.name in digest_names
