"""Cold pull of a 4-layer, 160 MB (gzip) image from a local registry: dockyard vs skopeo vs
docker.

The image is made here (each layer: 25 MB of random files, 25 MB of text, 2000 small text
files; 226 MB unpacked, gzip level 6 as `docker push` writes) and copied into a private
Debian docker-registry on 127.0.0.1 with skopeo. Each run starts cold for its subject:

- dockyard: `distribution.pull` into a fresh LocalStore and OverlaySnapshotter, so the time
  includes download, digest checks and unpacking into overlay snapshots;
- skopeo: `skopeo copy docker://... oci:<fresh dir>` (download and verify; no unpacking);
- docker: `docker pull` against a private dockerd started with --insecure-registry, the image
  removed (`docker rmi`) before each run so every layer is downloaded and extracted again.

Runs are interleaved round by round (order rotating). Rows give the median seconds, the
compressed throughput (MB/s) and the ratio against skopeo; the issue's targets are dockyard
at least twice docker's throughput and within 2x of skopeo's time. Unpacking 8000 files is
most of dockyard's and docker's time (skopeo unpacks nothing), so the file-creation speed of
the machine weighs on both; the JSON rows keep min and max beside the median.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import dockerd
from tests.support.mounts import unmount_under
from tests.support.registry import SKOPEO, OCILayout, Registry, running_registry

from bench.row import Row
from bench.timing import first_error_line

NAME = "pull"
REFERENCE = "skopeo"
DEFAULT_RUNS = 5
DEFAULT_WARMUP = 1
REPO = "bench/image:v1"
DOCKERD = shutil.which("dockerd") or "/usr/sbin/dockerd"
DOCKER = shutil.which("docker") or "/usr/bin/docker"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _text(rng: random.Random, soup: bytes, size: int) -> bytes:
    """Compressible text (gzip halves it), like the docs and scripts in an image: slices of
    a word soup far bigger than gzip's 32 KiB window, so nothing repeats for it."""
    out = bytearray()
    while len(out) < size:
        start = rng.randrange(len(soup) - 65536)
        out += soup[start : start + rng.randint(4096, 65536)]
    return bytes(out[:size])


def _soup(rng: random.Random) -> bytes:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(5000)]
    return "\n".join(" ".join(rng.choices(words, k=12)) for _ in range(30000)).encode()


def _layer(rng: random.Random, soup: bytes, n: int) -> bytes:
    """One layer's tar: 25 MB random, 25 MB text, 2000 small text files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))

        for d in (f"layer{n}", f"layer{n}/bin", f"layer{n}/share", f"layer{n}/small"):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
            tar.addfile(info)
        for i in range(5):
            add(f"layer{n}/bin/blob{i}", rng.randbytes(5 << 20))
        for i in range(5):
            add(f"layer{n}/share/doc{i}.txt", _text(rng, soup, 5 << 20))
        for i in range(2000):
            add(f"layer{n}/small/f{i:04}.conf", _text(rng, soup, 1500))
    return buffer.getvalue()


def build_image(root: Path) -> tuple[OCILayout, int]:
    """The benchmark image as an OCI layout; returns it and its compressed size."""
    rng = random.Random(1234)
    layout = OCILayout(root)
    soup = _soup(rng)
    tars = [_layer(rng, soup, n) for n in range(4)]
    image = layout.image(tars, compresslevel=6)
    layout.tag("bench", image.manifest_digest, image.manifest_size)
    return layout, sum(layer.size for layer in image.layers)


@dataclass(kw_only=True)
class _Subject:
    name: str
    run: Callable[[], None]
    reset: Callable[[], None]
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    version: str = ""

    def once(self, *, counted: bool) -> None:
        try:
            self.reset()
            start = time.perf_counter()
            self.run()
            elapsed = time.perf_counter() - start
        except Exception as err:  # a failing subject is a row, never a crash
            self.error = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            return
        if counted:
            self.samples.append(elapsed)


def measure(*, runs: int | None = None, warmup: int | None = None) -> list[Row]:
    """Median seconds and MB/s of a cold pull, per subject; ratios against skopeo."""
    runs = DEFAULT_RUNS if runs is None else runs
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    if os.geteuid() != 0:
        return [
            Row(benchmark=NAME, subject=s, median_ms=None, runs=0, error="needs root")
            for s in ("dockyard", "skopeo", "docker")
        ]
    tmp = Path(tempfile.mkdtemp(prefix="dockyard-bench-pull-"))
    notes: list[str] = []
    try:
        layout, compressed = build_image(tmp / "layout")
        with running_registry(tmp / "registry") as registry:
            registry.push_layout(layout.root, "bench", REPO)
            with _docker(tmp / "docker", registry, notes) as docker:
                subjects = [
                    _dockyard(tmp / "dockyard", registry),
                    _skopeo(tmp / "skopeo", registry),
                ]
                if docker is not None:
                    subjects.append(docker)
                for n in range(warmup + runs):
                    shift = n % len(subjects)
                    for subject in subjects[shift:] + subjects[:shift]:
                        if subject.error is None:
                            subject.once(counted=n >= warmup)
    finally:
        if left := unmount_under(tmp):
            notes.append(f"unmounted {len(left)} leftover mounts")
        shutil.rmtree(tmp, ignore_errors=True)
    return _rows(subjects, compressed, notes)


def _dockyard(root: Path, registry: Registry) -> _Subject:
    from dockyard.content.local import LocalStore
    from dockyard.distribution.client import RegistryClient
    from dockyard.distribution.pull import pull
    from dockyard.images.reference import parse
    from dockyard.snapshots.overlay import OverlaySnapshotter

    def reset() -> None:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)

    def run() -> None:
        async def main() -> None:
            content = LocalStore(str(root / "content"))
            with OverlaySnapshotter(str(root / "snapshots")) as sn:
                async with RegistryClient() as client:
                    await pull(
                        parse(f"{registry.host}/{REPO}"),
                        client=client,
                        content=content,
                        snapshotter=sn,
                    )

        asyncio.run(main())

    return _Subject(name="dockyard", run=run, reset=reset, version="dockyard (this tree)")


def _skopeo(root: Path, registry: Registry) -> _Subject:
    def reset() -> None:
        shutil.rmtree(root, ignore_errors=True)

    def run() -> None:
        _check(
            [SKOPEO, "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
             f"docker://{registry.host}/{REPO}", f"oci:{root}:bench"]
        )  # fmt: skip

    version = subprocess.run([SKOPEO, "--version"], capture_output=True, text=True).stdout
    return _Subject(name="skopeo", run=run, reset=reset, version=version.strip())


def _check(argv: list[str], env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(first_error_line(proc.stderr, proc.returncode))
    return proc.stdout


@contextmanager
def _docker(base: Path, registry: Registry, notes: list[str]) -> Iterator[_Subject | None]:
    """A private dockerd trusting the registry over HTTP, or None when it cannot start."""
    why = dockerd.available()
    if why is not None:
        notes.append(f"docker: {why}")
        yield None
        return
    base.mkdir(parents=True)
    image = f"{registry.host}/{REPO}"
    try:
        daemon = dockerd.private_dockerd(base, extra_args=[f"--insecure-registry={registry.host}"])
        docker = daemon.__enter__()
    except (AssertionError, RuntimeError) as err:
        notes.append(f"docker: dockerd did not come up ({str(err).splitlines()[0]})")
        yield None
        return
    try:
        version = docker("version", "--format", "{{.Server.Version}}").stdout.strip()

        def reset() -> None:
            docker("rmi", "-f", image, check=False, timeout=120)

        def run() -> None:
            docker("pull", "-q", image, timeout=600)

        yield _Subject(name="docker", run=run, reset=reset, version=f"dockerd {version}")
    finally:
        daemon.__exit__(None, None, None)


def _rows(subjects: list[_Subject], compressed: int, notes: list[str]) -> list[Row]:
    medians = {s.name: statistics.median(s.samples) for s in subjects if s.samples and not s.error}
    reference = medians.get(REFERENCE)
    docker = medians.get("docker")
    rows = []
    for s in subjects:
        median = medians.get(s.name)
        extra: dict[str, object] = {"version": s.version, "compressed_bytes": compressed}
        note = ""
        if median is not None:
            mbps = compressed / median / 1e6
            extra |= {
                "median_s": round(median, 3),
                "min_s": round(min(s.samples), 3),
                "max_s": round(max(s.samples), 3),
                "mb_per_s": round(mbps, 1),
            }
            note = f"{median:.2f} s, {mbps:.0f} MB/s of {compressed / 1e6:.0f} MB gzip"
            if docker and s.name != "docker":
                note += f", {docker / median:.1f}x docker's throughput"
        if notes:
            extra["notes"] = notes
            note = "; ".join([note, *notes]) if note else "; ".join(notes)
        rows.append(
            Row(
                benchmark=NAME,
                subject=s.name,
                median_ms=None if median is None else round(median * 1000, 1),
                runs=len(s.samples),
                ratio=None if median is None or not reference else round(median / reference, 3),
                error=s.error,
                note=note,
                extra=extra,
            )
        )
    return rows
