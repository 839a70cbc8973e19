"""Platforms: which os/architecture/variant an image is for, and which one this host runs.

The rules are containerd's `platforms` package, which Docker uses: user input is a specifier
`<os>|<arch>|<os>/<arch>[/<variant>]`; spellings are normalised (`aarch64` -> `arm64`,
`x86_64` -> `amd64`, `armhf` -> `arm/v7`, arm64's `v8` and amd64's `v1` mean "no variant");
a platform also runs images built for older variants of its family (arm/v7 runs v6 and v5,
arm64 runs arm/v8..v5, amd64 runs 386), and a manifest list entry is chosen by the first of
those in order (`select_manifest`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.utils.record import record

_COMPONENT = re.compile(r"^[A-Za-z0-9_.-]+$")
_OS_AND_VERSION = re.compile(r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$")
# Go's GOOS and GOARCH lists (go/build/syslist.go), as containerd knows them.
KNOWN_OS = frozenset(
    {
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
        "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos",
    }
)  # fmt: skip
KNOWN_ARCH = frozenset(
    {
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le",
        "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc",
        "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
    }
)  # fmt: skip
# uname(2) machine names -> (GOARCH, variant) as Go (and so Docker) names them.
_MACHINES: dict[str, tuple[str, str]] = {
    "x86_64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "i386": ("386", ""),
    "i486": ("386", ""),
    "i586": ("386", ""),
    "i686": ("386", ""),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv8l": ("arm", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "armv5tel": ("arm", "v5"),
    "armv5tejl": ("arm", "v5"),
    "ppc64le": ("ppc64le", ""),
    "ppc64": ("ppc64", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
    "mips64": ("mips64", ""),
    "loongarch64": ("loong64", ""),
}


@record(frozen=True)
class Platform:
    """An OCI image-index platform: what an image's binaries run on."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    def __str__(self) -> str:
        """containerd's `platforms.Format`: "linux/arm64/v8", "linux/amd64"."""
        if not self.os:
            return "unknown"
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def as_json(self) -> dict[str, str]:
        """The OCI descriptor's `platform` object."""
        out = {"architecture": self.architecture, "os": self.os}
        if self.os_version:
            out["os.version"] = self.os_version
        if self.variant:
            out["variant"] = self.variant
        return out

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Platform:
        """From a descriptor's `platform` or an image config (both spell the keys alike)."""
        return cls(
            os=str(value.get("os", "") or ""),
            architecture=str(value.get("architecture", "") or ""),
            variant=str(value.get("variant", "") or ""),
            os_version=str(value.get("os.version", "") or ""),
        )


def host_platform() -> Platform:
    """The platform this machine runs natively (containerd's `platforms.DefaultSpec`)."""
    machine = os.uname().machine.lower()
    arch, variant = _MACHINES.get(machine, (machine, ""))
    if arch == "arm" and machine not in _MACHINES:
        variant = _arm_variant_from_cpuinfo()
    return Platform(os="linux", architecture=arch, variant=variant)


def _arm_variant_from_cpuinfo() -> str:
    # 32-bit ARM kernels name the ISA in "CPU architecture"; that is what containerd reads.
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip().lower() == "cpu architecture":
                    digits = re.match(r"\d+", value.strip())
                    return f"v{min(int(digits.group()), 8)}" if digits else "v7"
    except OSError:
        pass
    return "v7"


def normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    """containerd's normalizeArch: canonical architecture and variant spellings."""
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        if variant in ("8", "v8", "v8.0"):
            variant = ""
        elif variant in ("9", "9.0", "v9.0"):
            variant = "v9"
        return "arm64", variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return arch, variant


def normalize(platform: Platform) -> Platform:
    """The canonical form two platforms are compared in (arm64/v8 -> arm64, arm -> arm/v7)."""
    os_name = (platform.os or "linux").lower()
    if os_name == "macos":
        os_name = "darwin"
    arch, variant = normalize_arch(platform.architecture, platform.variant)
    return Platform(os=os_name, architecture=arch, variant=variant, os_version=platform.os_version)


def parse_platform(specifier: str) -> Platform:
    """A `--platform` value: "linux/arm64/v8", "linux/amd64", "arm64", "linux".

    InvalidArgument when a component has characters outside [A-Za-z0-9_.-], there are more
    than three components, or a lone word is neither a known OS nor a known architecture.
    """
    if "*" in specifier:
        raise errdefs.InvalidArgument(f'invalid platform "{specifier}": wildcards not supported')
    parts = specifier.split("/")
    match = _OS_AND_VERSION.match(parts[0])
    if match is None or any(not _COMPONENT.match(p) for p in parts[1:]):
        raise errdefs.InvalidArgument(
            f'invalid platform "{specifier}": components must match [A-Za-z0-9_.-]+'
        )
    os_name = match.group(1).lower()
    os_name = "darwin" if os_name == "macos" else os_name
    os_version = match.group(2) or ""
    if len(parts) == 1:
        if os_name in KNOWN_OS:
            host = host_platform()
            variant = host.variant if host.architecture == "arm" else ""
            return Platform(os_name, host.architecture, "" if variant == "v7" else variant)
        arch, variant = normalize_arch(parts[0], "")
        if arch in KNOWN_ARCH:
            return Platform("linux", arch, "" if (arch, variant) == ("arm", "v7") else variant)
        raise errdefs.InvalidArgument(
            f'invalid platform "{specifier}": unknown operating system or architecture'
        )
    if len(parts) == 2:
        arch, variant = normalize_arch(parts[1], "")
        variant = "" if (arch, variant) == ("arm", "v7") else variant
        return Platform(os_name, arch, variant, os_version)
    if len(parts) == 3:
        arch, variant = normalize_arch(parts[1], parts[2])
        if arch == "arm64" and not variant:
            variant = "v8"
        return Platform(os_name, arch, variant, os_version)
    raise errdefs.InvalidArgument(f'invalid platform "{specifier}": too many components')


def compatible(platform: Platform) -> list[Platform]:
    """What `platform` runs, best first (containerd's platformVector for `platforms.Only`)."""
    p = normalize(platform)
    vector = [p]
    level = _variant_number(p.variant)
    if p.architecture == "amd64":
        if level is not None and level > 1:
            vector += [Platform(p.os, "amd64", f"v{n}") for n in range(level - 1, 0, -1)]
        vector.append(Platform(p.os, "386"))
    elif p.architecture == "arm" and level is not None:
        vector += [Platform(p.os, "arm", f"v{n}") for n in range(level - 1, 4, -1)]
    elif p.architecture == "arm64":
        if p.variant:  # v9 (or v8.x) runs plain v8 too
            vector.append(Platform(p.os, "arm64"))
        # arm64 runs the 32-bit arm variants too (arm/v8 and down), after its own.
        vector += [Platform(p.os, "arm", f"v{n}") for n in range(8, 4, -1)]
    return [normalize(v) for v in vector]


def _variant_number(variant: str) -> int | None:
    digits = variant.removeprefix("v")
    return int(digits) if digits.isdigit() else None


def matches(want: Platform, candidate: Platform) -> bool:
    """Whether an image built for `candidate` runs on `want` (containerd's Only().Match)."""
    return _rank(want, candidate) is not None


def _rank(want: Platform, candidate: Platform) -> int | None:
    c = normalize(candidate)
    for i, p in enumerate(compatible(want)):
        if (p.os, p.architecture, p.variant) == (c.os, c.architecture, c.variant):
            return i
    return None


def select_manifest(manifests: Sequence[Mapping[str, Any]], want: Platform) -> Mapping[str, Any]:
    """The index entry (descriptor) best matching `want`; the first listed wins a tie.

    Entries without a platform (attestations, unknown artifacts) never match. NotFound with
    Docker's message when none does.
    """
    best: tuple[int, int] | None = None
    chosen: Mapping[str, Any] | None = None
    for position, descriptor in enumerate(manifests):
        platform = descriptor.get("platform")
        if not isinstance(platform, Mapping):
            continue
        rank = _rank(want, Platform.from_json(platform))
        if rank is not None and (best is None or (rank, position) < best):
            best, chosen = (rank, position), descriptor
    if chosen is None:
        raise errdefs.NotFound(f"no matching manifest for {want} in the manifest list entries")
    return chosen
