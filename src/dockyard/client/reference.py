"""Image references as the docker CLI parses them (distribution/reference).

`parse_named("busybox")` is docker.io/library/busybox (ParseNormalizedNamed); `normalize`
adds `:latest` unless the reference is pinned by digest, as the CLI's normalizeReference.
Errors carry docker's words ("invalid reference format: repository name (X) must be
lowercase").
"""

from __future__ import annotations

import re

from dockyard import errdefs
from dockyard.utils.record import record

DEFAULT_DOMAIN = "docker.io"

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
