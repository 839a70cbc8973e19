"""Digests: `algorithm:hex` content names, validated as go-digest does.

Two levels of strictness. `parse` accepts what Docker accepts in a reference (sha256, sha384,
sha512, each with its exact hex length, lower case only — go-digest's `Digest.Validate`). The
content store takes only `sha256:` + 64 lower-case hex (`check_sha256`): every digest that
names a file is checked against that shape before it touches a path, so a digest can never
carry `/` or `..` into the filesystem.
"""

from __future__ import annotations

import hashlib
import re

from dockyard import errdefs

# go-digest's registered algorithms and the length of their hex encoding.
ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}

_HEX = re.compile(r"[a-f0-9]+")
_SHA256 = re.compile(r"sha256:[a-f0-9]{64}")
# go-digest's DigestRegexp: the shape of any digest, registered algorithm or not.
_ANY = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


def parse(digest: str) -> tuple[str, str]:
    """Split and validate `algorithm:hex`; InvalidArgument with go-digest's reason."""
    algorithm, sep, encoded = digest.partition(":")
    if not sep or not algorithm or not encoded:
        raise errdefs.InvalidArgument(f"invalid checksum digest format: {digest}")
    length = ALGORITHMS.get(algorithm)
    if length is None:
        if not _ANY.fullmatch(digest):
            raise errdefs.InvalidArgument(f"invalid checksum digest format: {digest}")
        raise errdefs.InvalidArgument(f"unsupported digest algorithm: {digest}")
    if len(encoded) != length:
        raise errdefs.InvalidArgument(f"invalid checksum digest length: {digest}")
    if not _HEX.fullmatch(encoded):
        raise errdefs.InvalidArgument(f"invalid checksum digest format: {digest}")
    return algorithm, encoded


def is_sha256(digest: str) -> bool:
    """True for `sha256:` + 64 lower-case hex, the only form the content store holds."""
    return _SHA256.fullmatch(digest) is not None


def check_sha256(digest: str) -> str:
    """Return the hex of a store digest; InvalidArgument for anything else."""
    if not isinstance(digest, str) or _SHA256.fullmatch(digest) is None:
        raise errdefs.InvalidArgument(
            f"invalid digest {digest!r}: expected sha256: and 64 lower-case hex digits"
        )
    return digest[7:]


def sha256_of(data: bytes) -> str:
    """The digest of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
