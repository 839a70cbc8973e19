"""Image references parse and normalise exactly as Docker's distribution/reference does."""

from __future__ import annotations

import time

import pytest

from dockyard import errdefs
from dockyard.images import reference
from dockyard.images.reference import Reference

D = "sha256:" + "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
D512 = "sha512:" + "ab" * 64
ID = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"

# input -> (domain, path, tag, digest) from parse() (no default tag)
NORMALISED = [
    ("alpine", "docker.io", "library/alpine", "", ""),
    ("alpine:3.19", "docker.io", "library/alpine", "3.19", ""),
    ("library/alpine", "docker.io", "library/alpine", "", ""),
    ("docker.io/alpine", "docker.io", "library/alpine", "", ""),
    ("docker.io/library/alpine", "docker.io", "library/alpine", "", ""),
    ("index.docker.io/alpine", "docker.io", "library/alpine", "", ""),
    ("index.docker.io/docker/docker", "docker.io", "docker/docker", "", ""),
    ("user/repo", "docker.io", "user/repo", "", ""),
    ("user/repo:v1", "docker.io", "user/repo", "v1", ""),
    ("docker.io/library/foo/bar", "docker.io", "library/foo/bar", "", ""),
    ("store/foo/bar", "docker.io", "store/foo/bar", "", ""),
    ("test_com/foo", "docker.io", "test_com/foo", "", ""),
    ("test.com/foo", "test.com", "foo", "", ""),
    ("test.com:8080/foo", "test.com:8080", "foo", "", ""),
    ("test-com:8080/foo", "test-com:8080", "foo", "", ""),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "", ""),
    ("localhost/x", "localhost", "x", "", ""),
    ("localhost:5000/ns/repo:tag", "localhost:5000", "ns/repo", "tag", ""),
    ("localhost:5000/ns/repo:tag@" + D, "localhost:5000", "ns/repo", "tag", D),
    ("127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", "", ""),
    ("[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", "", ""),
    (
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "[fc00:1:2:3:4:5:6:7]:5000",
        "library/debian",
        "",
        "",
    ),
    # A lone element is a Docker Hub name even when it looks like a host.
    ("localhost", "docker.io", "library/localhost", "", ""),
    ("192.168.0.1", "docker.io", "library/192.168.0.1", "", ""),
    ("192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", ""),
    # An upper-case first element is taken for a registry, not refused.
    ("Foo/bar", "Foo", "bar", "", ""),
    ("DOCKER/docker", "DOCKER", "docker", "", ""),
    ("busybox@" + D, "docker.io", "library/busybox", "", D),
    ("busybox:latest@" + D, "docker.io", "library/busybox", "latest", D),
    ("gcr.io/library/busybox:latest@" + D, "gcr.io", "library/busybox", "latest", D),
    ("foo@" + D512, "docker.io", "library/foo", "", D512),
    ("docker---rules/docker", "docker.io", "docker---rules/docker", "", ""),
    ("dock__er/docker", "docker.io", "dock__er/docker", "", ""),
    ("d/docker", "docker.io", "d/docker", "", ""),
    ("docker.io/" + ID, "docker.io", "library/" + ID, "", ""),
    ("foo:" + "T" * 128, "docker.io", "library/foo", "T" * 128, ""),
    ("foo:_under.dot-dash", "docker.io", "library/foo", "_under.dot-dash", ""),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), NORMALISED)
def test_parse_normalises_as_docker(
    text: str, domain: str, path: str, tag: str, digest: str
) -> None:
    ref = reference.parse(text)
    assert ref == Reference(domain, path, tag, digest)
    # The full form parses back to the same reference (it is canonical).
    assert reference.parse(str(ref)) == ref


# input -> the reason Docker gives (the whole message, or its start before ": <detail>")
INVALID = [
    ("", "invalid reference format"),
    ("Alpine", "invalid reference format: repository name (library/Alpine) must be lowercase"),
    (
        "docker/Docker",
        "invalid reference format: repository name (docker/Docker) must be lowercase",
    ),
    (
        "docker.io/docker/Docker",
        "invalid reference format: repository name (docker/Docker) must be lowercase",
    ),
    ("example.com/Foo:tag", "invalid reference format: repository name (Foo) must be lowercase"),
    (ID, f"invalid repository name ({ID}), cannot specify 64-byte hexadecimal strings"),
    ("a:b:c", "invalid reference format"),
    ("https://github.com/docker/docker", "invalid reference format"),
    ("-docker", "invalid reference format"),
    ("-docker/docker", "invalid reference format"),
    ("docker-/docker", "invalid reference format"),
    ("-docker.io/docker/docker", "invalid reference format"),
    ("docker///docker", "invalid reference format"),
    ("docker.io/docker///docker", "invalid reference format"),
    ("____/____", "invalid reference format"),
    ("_docker/_docker", "invalid reference format"),
    ("dock..er/docker", "invalid reference format"),
    ("dock_.er/docker", "invalid reference format"),
    ("dock-.er/docker", "invalid reference format"),
    ("docker/", "invalid reference format"),
    ("[fc00::1]", "invalid reference format"),
    ("[fc00::1]:5000", "invalid reference format"),
    ("fc00::1:5000/debian", "invalid reference format"),
    ("[fe80::1%eth0]:5000/debian", "invalid reference format"),
    ("[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format"),
    ("foo:" + "t" * 129, "invalid reference format"),
    ("foo:-tag", "invalid reference format"),
    ("foo:.tag", "invalid reference format"),
    ("foo@sha256:abc", "invalid reference format"),
    ("foo@sha256:" + "a" * 40, "invalid checksum digest length"),
    ("foo@sha256:" + "A" * 64, "invalid checksum digest format"),
    ("foo@sha512:" + "a" * 64, "invalid checksum digest length"),
    ("foo@md5:" + "a" * 32, "unsupported digest algorithm"),
    ("foo bar", "invalid reference format"),
    ("foo\n", "invalid reference format"),
    ("ubuntu:latest\n", "invalid reference format"),
    ("ÿ/foo", "invalid reference format"),
    ("a/" + "b" * 254, "repository name must not be more than 255 characters"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_parse_refuses_invalid_reference_with_dockers_reason(text: str, reason: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as caught:
        reference.parse(text)
    message = str(caught.value)
    assert message == reason or message.startswith(reason + ": ")


def test_long_name_is_measured_on_the_path_alone() -> None:
    path = "a/" + "b" * 253  # 255 characters
    assert reference.parse(path).path == path
    assert reference.parse("example.com/" + path).path == path


@pytest.mark.parametrize(
    ("text", "full", "familiar_name", "familiar"),
    [
        ("alpine", "docker.io/library/alpine:latest", "alpine", "alpine:latest"),
        ("library/ubuntu", "docker.io/library/ubuntu:latest", "ubuntu", "ubuntu:latest"),
        ("fooo/bar", "docker.io/fooo/bar:latest", "fooo/bar", "fooo/bar:latest"),
        (
            "other/library",
            "docker.io/other/library:latest",
            "other/library",
            "other/library:latest",
        ),
        (
            "library/foo/bar",
            "docker.io/library/foo/bar:latest",
            "library/foo/bar",
            "library/foo/bar:latest",
        ),
        (
            "ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base:latest",
            "ubuntu-12.04-base",
            "ubuntu-12.04-base:latest",
        ),
        (
            "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000/private/moonbase:latest",
            "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000/private/moonbase:latest",
        ),
        (
            "example.com/privatebase:1",
            "example.com/privatebase:1",
            "example.com/privatebase",
            "example.com/privatebase:1",
        ),
        (
            "localhost:5000/foo",
            "localhost:5000/foo:latest",
            "localhost:5000/foo",
            "localhost:5000/foo:latest",
        ),
        ("FOO/bar", "FOO/bar:latest", "FOO/bar", "FOO/bar:latest"),
        ("busybox@" + D, "docker.io/library/busybox@" + D, "busybox", "busybox@" + D),
        ("busybox:1@" + D, "docker.io/library/busybox:1@" + D, "busybox", "busybox:1@" + D),
    ],
)
def test_default_tag_and_familiar_forms(
    text: str, full: str, familiar_name: str, familiar: str
) -> None:
    ref = reference.parse_with_default_tag(text)
    assert str(ref) == full
    assert ref.familiar_name() == familiar_name
    assert ref.familiar() == familiar


def test_parse_without_default_tag_keeps_name_only() -> None:
    ref = reference.parse("alpine")
    assert ref.tag == "" and ref.digest == ""
    assert str(ref) == ref.name == "docker.io/library/alpine"
    assert ref.familiar() == "alpine"


def test_with_tag_and_with_digest_validate_and_keep_the_other_part() -> None:
    ref = reference.parse("localhost:5000/app")
    tagged = ref.with_tag("v2")
    assert str(tagged) == "localhost:5000/app:v2"
    pinned = tagged.with_digest(D)
    assert str(pinned) == f"localhost:5000/app:v2@{D}"
    assert pinned.repository() == ref
    assert str(pinned.with_tag("v3")) == f"localhost:5000/app:v3@{D}"
    for bad_tag in ("", "-x", "a" * 129, "a/b", "a:b"):
        with pytest.raises(errdefs.InvalidArgument, match="invalid tag format"):
            ref.with_tag(bad_tag)
    for bad_digest in ("", "foo", "sha256:xyz", "sha256:" + "a" * 63, "sha256:../../etc"):
        with pytest.raises(errdefs.InvalidArgument):
            ref.with_digest(bad_digest)


def test_reference_is_a_frozen_hashable_record() -> None:
    ref = reference.parse("alpine")
    assert {ref, reference.parse("docker.io/library/alpine")} == {ref}
    with pytest.raises(AttributeError):
        ref.tag = "x"  # type: ignore[misc]


def test_is_image_id() -> None:
    assert reference.is_image_id(ID)
    assert reference.is_image_id("sha256:" + ID)
    assert not reference.is_image_id(ID[:12])
    assert not reference.is_image_id(ID.upper())
    assert not reference.is_image_id("sha512:" + ID)
    assert not reference.is_image_id("alpine")


def test_parse_any_tells_ids_and_digests_from_names() -> None:
    assert reference.parse_any(ID) == "sha256:" + ID
    assert reference.parse_any("sha256:" + ID) == "sha256:" + ID
    assert reference.parse_any("redis") == reference.parse("docker.io/library/redis")
    # 63 hex digits is not an id: it is a (valid) repository name.
    short = ID[:63]
    assert reference.parse_any(short) == Reference("docker.io", "library/" + short)
    with pytest.raises(errdefs.InvalidArgument):
        reference.parse_any("Redis")


def test_registry_host_maps_docker_hub_only() -> None:
    assert reference.registry_host("docker.io") == "registry-1.docker.io"
    assert reference.registry_host("index.docker.io") == "registry-1.docker.io"
    assert reference.registry_host("localhost:5000") == "localhost:5000"
    assert reference.registry_host("ghcr.io") == "ghcr.io"


@pytest.mark.parametrize(
    ("text", "pattern", "matches"),
    [
        ("foo", "foo/**/ba[rz]", False),
        ("foo/any/bat", "foo/**/ba[rz]", False),
        ("foo/a/bar", "foo/**/ba[rz]", True),
        ("foo/b/baz", "foo/**/ba[rz]", True),
        ("foo/c/baz:tag", "foo/**/ba[rz]", True),
        ("foo/c/baz:tag", "foo/*/baz:tag", True),
        ("foo/c/baz:tag", "foo/c/baz:tag", True),
        ("example.com/foo/c/baz:tag", "*/foo/c/baz", True),
        ("example.com/foo/c/baz:tag", "example.com/foo/c/baz", True),
        ("alpine:3.19", "alp*", True),
        ("alpine:3.19", "alpine:3.*", True),
        ("alpine:3.19", "a?pine", True),
        ("alpine:3.19", "[^b]lpine", True),
        ("alpine:3.19", "[a-c]lpine:3.1[0-9]", True),
        ("alpine:3.19", "*", True),
        ("user/repo", "*", False),  # * never crosses "/"
        ("user/repo", "user\\/repo", True),
    ],
)
def test_familiar_match_is_go_path_match(text: str, pattern: str, matches: bool) -> None:
    assert reference.familiar_match(pattern, reference.parse(text)) is matches


@pytest.mark.parametrize("pattern", ["[", "[]", "[a-", "a\\", "[z-a]", "[-a]"])
def test_familiar_match_refuses_malformed_pattern(pattern: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="syntax error in pattern"):
        reference.familiar_match(pattern, reference.parse("alpine"))


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 5000 + "!",
        "a-" * 3000 + "!",
        ("a" * 50 + ".") * 100 + "/x!",
        "a/" * 3000 + "!",
        "x/" + "a_" * 3000 + "!",
        "a-a" * 2000 + "/",
        "[" + ":" * 5000,
        "a.b-" * 2000 + ":5/x",
    ],
)
def test_hostile_input_is_refused_quickly(hostile: str) -> None:
    start = time.perf_counter()
    with pytest.raises(errdefs.InvalidArgument):
        reference.parse(hostile)
    assert time.perf_counter() - start < 0.05
