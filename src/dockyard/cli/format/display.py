"""Small display helpers docker's formatters share (displayutils.go, pkg/stringid, and the
familiar form of image references from distribution/reference)."""

from __future__ import annotations


def truncate_id(ident: str) -> str:
    """stringid.TruncateID: drop an algorithm prefix ("sha256:"), keep 12 characters."""
    i = ident.find(":")
    if i >= 0:
        ident = ident[i + 1 :]
    return ident[:12]


def ellipsis(text: str, max_width: int) -> str:
    """formatter.Ellipsis: cut to `max_width` display columns ending in "…"."""
    if max_width <= 0:
        return ""
    if max_width == 1:
        return text[:1]
    if text.isascii():
        return text if len(text) <= max_width else text[: max_width - 1] + "…"
    from dockyard.cli.format.tabwriter import cell_width

    if cell_width(text) <= max_width:
        return text
    width = 0
    for i, ch in enumerate(text):
        width += cell_width(ch)
        if width > max_width - 1:
            return text[:i] + "…"
    return text


def split_reference(ref: str) -> tuple[str, str, str]:
    """(name, tag, digest) of "name[:tag][@digest]"; the tag's colon follows the last "/"."""
    name, _, digest = ref.partition("@")
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        return name[:colon], name[colon + 1 :], digest
    return name, "", digest


def familiar_name(name: str) -> str:
    """reference.FamiliarName: "docker.io/library/busybox" -> "busybox"."""
    for prefix in ("docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            if name.startswith("library/") and name.count("/") == 1:
                name = name[len("library/") :]
            break
    return name


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-/:")


def is_valid_name(name: str) -> bool:
    """A repository name reference.ParseNormalizedNamed accepts (lower case, no 64-hex id)."""
    if not name or name != name.lower() or not set(name) <= _NAME_CHARS:
        return False
    return not (len(name) == 64 and all(c in "0123456789abcdef" for c in name))


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """sortorder.NaturalLess as a sort key: digit runs compare as numbers ("n2" < "n10")
    and come before other characters ("1a" < "a")."""
    parts: list[tuple[int, int, str]] = []
    i = 0
    while i < len(text):
        j = i
        digits = text[i].isdigit()
        while j < len(text) and text[j].isdigit() == digits:
            j += 1
        chunk = text[i:j]
        parts.append((0, int(chunk), chunk) if digits else (1, 0, chunk))
        i = j
    return tuple(parts)


def join_labels(labels: dict[str, str] | None) -> str:
    """k=v,k2=v2 (Go ranges over the map in random order; sorted here for stable output)."""
    return ",".join(sorted(f"{k}={v}" for k, v in (labels or {}).items()))
