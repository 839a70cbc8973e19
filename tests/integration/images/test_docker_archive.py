"""Our archives against Debian's dockerd: `docker load` of what we save, and our load of what
`docker save` writes, with the same image ids (and the same inspect document).

The private dockerd is the session's `dockerd` fixture (tests/conftest.py: its own
data-root, containerd and socket; busybox imported into it with `docker import`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dockyard.images.archive import FORMAT_DOCKER, FORMAT_OCI
from dockyard.images.service import ImageService
from tests.support.dockerd import IMAGE, Docker


@pytest.fixture
def docker(dockerd: Docker) -> Docker:
    return dockerd  # the session's private dockerd


pytestmark = [
    pytest.mark.root,
    pytest.mark.integration,
    pytest.mark.compat,
    pytest.mark.slow,
    pytest.mark.timeout(300),
]


@pytest.mark.parametrize("fmt", [FORMAT_DOCKER, FORMAT_OCI])
def test_docker_loads_our_archive_and_sees_the_same_image(
    docker: Docker, daemon: ImageService, busybox_tar: bytes, tmp_path: Path, fmt: str
) -> None:
    ref = f"dockyard/busybox:{fmt}"
    image_id = daemon.import_image(
        io.BytesIO(busybox_tar), repo_tag=ref, changes=['CMD ["sh"]', "ENV MADE_BY=dockyard"]
    )
    archive = tmp_path / "ours.tar"
    with archive.open("wb") as out:
        daemon.save([ref], out, format=fmt)
    try:
        loaded = docker("load", "-i", str(archive))
        assert loaded.stdout.strip() == f"Loaded image: {ref}"
        assert docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip() == image_id
        run = docker(
            "run", "--rm", "--runtime", "refrunc", "--network", "none", ref,
            "sh", "-c", "echo $MADE_BY; ls /bin/busybox",
        )  # fmt: skip
        assert run.stdout == "dockyard\n/bin/busybox\n"
    finally:
        docker("rmi", "-f", ref, check=False)


def test_we_load_what_docker_saves_and_inspect_it_as_docker_does(
    docker: Docker, daemon: ImageService, tmp_path: Path
) -> None:
    archive = tmp_path / "theirs.tar"
    docker("save", "-o", str(archive), IMAGE)
    with archive.open("rb") as stream:
        assert daemon.load(stream) == [f"Loaded image: {IMAGE}"]
    (theirs,) = json.loads(docker("image", "inspect", IMAGE).stdout)
    ours = daemon.inspect(IMAGE, api_version="1.41")  # the API level of Debian's docker CLI
    assert ours["Id"] == theirs["Id"]
    assert list(ours) == list(theirs)
    for key in theirs:
        if key in ("GraphDriver", "Metadata", "Size", "VirtualSize"):
            continue  # local paths, docker import's tag time; sizes below
        assert ours[key] == theirs[key], key
    # Docker's layer size (moby's directory.Size) counts symlinks' own bytes; the overlay
    # snapshotter's usage counts regular files only, for now: allow exactly that difference.
    upper = Path(ours["GraphDriver"]["Data"]["UpperDir"])
    links = sum(p.lstat().st_size for p in upper.rglob("*") if p.is_symlink())
    assert ours["Size"] in (theirs["Size"], theirs["Size"] - links)
    assert ours["VirtualSize"] == ours["Size"]
    assert set(ours["GraphDriver"]["Data"]) == set(theirs["GraphDriver"]["Data"])
    history = daemon.history(IMAGE)
    assert [h["Comment"] for h in history] == ["Imported from -"]
