"""Image references: Docker's grammar and its docker.io/library normalisation.

The grammar is distribution/reference's (the package Docker and containerd share):

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [domain "/"] path
    domain     := host [":" port]        host: DNS-ish name, IPv4, or [IPv6]
    path       := component ("/" component)*, component := [a-z0-9]+ joined by . _ __ or -+
    tag        := [\\w][\\w.-]{0,127}
    digest     := algorithm ":" hex      (sha256/sha384/sha512 with their exact hex length)

Normalisation (ParseNormalizedNamed) decides whether the first path element is a registry:
it is when it contains "." or ":", is "localhost", or has upper case; otherwise the name lives
on Docker Hub ("docker.io"), and a one-element Hub name gains "library/". So `alpine` is
`docker.io/library/alpine`, and the familiar form strips both again. Errors carry the reason
Docker prints ("invalid reference format", "... repository name (library/Alpine) must be
lowercase", ...) as errdefs.InvalidArgument.
"""

from __future__ import annotations

import re

from dockyard import errdefs
from dockyard.content import digest as digests
from dockyard.utils.record import record

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
DEFAULT_REGISTRY_HOST = "registry-1.docker.io"  # where docker.io's registry API answers
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

# Possessive quantifiers (Python 3.11) keep Python's backtracking engine linear on hostile
# input where Go's RE2 is linear by construction: no atom below can give characters back
# to a neighbour that could also take them.
_ALNUM = r"[a-z0-9]++"
_SEPARATOR = r"(?:[._]|__|-++)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*+"
_PATH = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*+"
_DOMAIN_COMPONENT = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*+(?<=[a-zA-Z0-9]))?"
_HOST = r"(?:" + _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*|\[[a-fA-F0-9:]++\])"
_DOMAIN = _HOST + r"(?::[0-9]++)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE = re.compile(
    r"(?:(?P<domain>" + _DOMAIN + r")/)?(?P<path>" + _PATH + r")"
    r"(?::(?P<tag>" + _TAG + r"))?"
    r"(?:@(?P<digest>" + _DIGEST + r"))?",
    re.ASCII,
)
_TAG_RE = re.compile(_TAG, re.ASCII)
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")


@record(frozen=True)
class Reference:
    """A parsed, normalised image reference; `str()` gives the full form."""

    domain: str  # "docker.io", "localhost:5000"
    path: str  # "library/alpine"
    tag: str = ""  # "" when absent
    digest: str = ""  # "sha256:<hex>" or ""

    @property
    def name(self) -> str:
        """The repository's full name: "docker.io/library/alpine"."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def familiar_name(self) -> str:
        """The name as Docker shows it: "alpine", "user/repo", "localhost:5000/foo"."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        # Only a one-element name under library/ is shortened: "library/a/b" keeps its prefix.
        rest = self.path.removeprefix(OFFICIAL_REPO_PREFIX)
        if rest != self.path and "/" not in rest:
            return rest
        return self.path

    def familiar(self) -> str:
        """The reference as Docker prints it: "alpine:latest", "alpine@sha256:..."."""
        return self.familiar_name() + self._suffix()

    def with_tag(self, tag: str) -> Reference:
        """The same repository (and digest) with `tag`; InvalidArgument for a bad tag."""
        if not _TAG_RE.fullmatch(tag):
            raise errdefs.InvalidArgument(f"invalid tag format: {tag!r}")
        return Reference(self.domain, self.path, tag, self.digest)

    def with_digest(self, digest: str) -> Reference:
        """The same repository (and tag) pinned to `digest`; InvalidArgument when malformed."""
        digests.parse(digest)
        return Reference(self.domain, self.path, self.tag, digest)

    def repository(self) -> Reference:
        """The name alone, without tag or digest (TrimNamed)."""
        return Reference(self.domain, self.path)

    def _suffix(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return tag + digest

    def __str__(self) -> str:
        return self.name + self._suffix()


def parse(text: str) -> Reference:
    """Parse and normalise a reference as `docker pull` does, without a default tag."""
    if _IDENTIFIER.fullmatch(text):
        raise errdefs.InvalidArgument(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = _split_docker_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise errdefs.InvalidArgument(
            f"invalid reference format: repository name ({remote}) must be lowercase"
        )
    return _parse_canonical(f"{domain}/{remainder}")


def parse_with_default_tag(text: str) -> Reference:
    """`parse` plus TagNameOnly: ":latest" when neither a tag nor a digest is given."""
    ref = parse(text)
    if not ref.tag and not ref.digest:
        return Reference(ref.domain, ref.path, DEFAULT_TAG)
    return ref


def parse_any(text: str) -> Reference | str:
    """ParseAnyReference: an image id or digest gives its "sha256:<hex>", a name a Reference."""
    if _IDENTIFIER.fullmatch(text):
        return "sha256:" + text
    try:
        digests.parse(text)
    except errdefs.InvalidArgument:
        return parse(text)
    return text


def is_image_id(text: str) -> bool:
    """True for a full image id: 64 lower-case hex, bare or after "sha256:"."""
    return _IDENTIFIER.fullmatch(text.removeprefix("sha256:")) is not None


def registry_host(domain: str) -> str:
    """The host serving a domain's registry API: Docker Hub's differs from its name."""
    if domain in (DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN):
        return DEFAULT_REGISTRY_HOST
    return domain


def familiar_match(pattern: str, ref: Reference) -> bool:
    """FamiliarMatch (`docker images --filter reference=`): a Go path.Match glob against the
    familiar reference, then against the familiar name alone."""
    matcher = _glob(pattern)
    return bool(matcher.fullmatch(ref.familiar()) or matcher.fullmatch(ref.familiar_name()))


def _split_docker_domain(name: str) -> tuple[str, str]:
    """splitDockerDomain: is the first element a registry, or part of a Docker Hub path?"""
    first, slash, rest = name.partition("/")
    if not slash:
        # A lone element is always a Hub name ("ubuntu", "ubuntu:22.04", even "localhost").
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if first == "localhost" or ("." in first or ":" in first) or first.lower() != first:
        domain, remote = first, rest
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote


def _parse_canonical(text: str) -> Reference:
    """reference.Parse on an already domain-qualified string."""
    if not text:
        raise errdefs.InvalidArgument("repository name must have at least one component")
    match = _REFERENCE.fullmatch(text)
    if match is None:
        lowered = text.lower()
        if lowered != text and _REFERENCE.fullmatch(lowered):
            raise errdefs.InvalidArgument("repository name must be lowercase")
        raise errdefs.InvalidArgument("invalid reference format")
    domain, path = match["domain"] or "", match["path"]
    if len(path) > NAME_TOTAL_LENGTH_MAX:
        raise errdefs.InvalidArgument(
            f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        )
    digest = match["digest"] or ""
    if digest:
        digests.parse(digest)
    return Reference(domain, path, match["tag"] or "", digest)


def _glob(pattern: str) -> re.Pattern[str]:
    """Go's path.Match as a regex: * and ? never match "/", [...] classes (negated by ^, not
    empty), backslash escapes; a malformed pattern (ErrBadPattern) is InvalidArgument."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i >= n:
                raise errdefs.InvalidArgument(f"syntax error in pattern: {pattern!r}")
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            cls, i = _glob_class(pattern, i)
            out.append(cls)
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def _glob_class(pattern: str, i: int) -> tuple[str, int]:
    """One [...] class of a Go glob starting after "["; returns the regex and next index."""
    bad = errdefs.InvalidArgument(f"syntax error in pattern: {pattern!r}")
    n = len(pattern)
    negate = i < n and pattern[i] == "^"
    if negate:
        i += 1
    items: list[str] = []
    while True:
        if i >= n:
            raise bad
        if pattern[i] == "]" and items:
            return ("[^" if negate else "[") + "".join(items) + "]", i + 1
        lo, i = _glob_char(pattern, i, bad)
        if i < n and pattern[i] == "-":
            hi, i = _glob_char(pattern, i + 1, bad)
            if hi < lo:
                raise bad
            items.append(re.escape(lo) + "-" + re.escape(hi))
        else:
            items.append(re.escape(lo))


def _glob_char(pattern: str, i: int, bad: errdefs.InvalidArgument) -> tuple[str, int]:
    n = len(pattern)
    if i >= n or pattern[i] in "-]":
        raise bad
    if pattern[i] == "\\":
        i += 1
        if i >= n:
            raise bad
    return pattern[i], i + 1
