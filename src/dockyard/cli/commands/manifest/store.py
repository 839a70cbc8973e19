"""The local manifest-list store of `dockyard manifest`, and the JSON docker prints for it.

Laid out as docker/cli's manifest store keeps it, so docker and dockyard share it:
`<config_dir>/manifests/<list ref>/<image ref>`, each reference made file-safe (":" -> "-",
"/" -> "_"), each file one image manifest as Go's json.Marshal writes docker's
types.ImageManifest: {"Ref", "Descriptor", "Raw" (base64), "SchemaV2Manifest"|"OCIManifest"}.

Output is byte for byte docker's: Go's json.Indent of the raw manifest (tabs), Go's
json.MarshalIndent for `-v` (the embedded manifest compacted then indented, with Go's HTML
escaping), and a manifest list as distribution's manifestlist.FromDescriptors marshals it
(three spaces).
"""

from __future__ import annotations

import base64
import json
import os
import re

from dockyard import errdefs
from dockyard.client.reference import Named, parse_named
from dockyard.client.registry import (
    MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    ImageManifest,
    platform_from,
)

# -- Go's encoding/json, the parts docker's output shows ---------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]")


def _escape_html(token: str) -> str:
    return _HTML_RE.sub(lambda m: _HTML[m[0]], token) if token.startswith('"') else token


def go_compact(text: str) -> str:
    """json.Compact with HTML escaping, as json.Marshal treats a Marshaler's output."""
    return "".join(_escape_html(t) for t in _TOKEN.findall(text))


def go_indent(text: str, indent: str, prefix: str = "") -> str:
    """json.Indent: literals kept as written, empty {} and [] kept on one line."""
    out: list[str] = []
    depth = 0
    need_indent = False
    for token in _TOKEN.findall(text):
        if need_indent and token not in ("]", "}"):
            need_indent = False
            depth += 1
            out.append("\n" + prefix + indent * depth)
        if token in ("{", "["):
            need_indent = True
            out.append(token)
        elif token == ",":
            out.append(",\n" + prefix + indent * depth)
        elif token == ":":
            out.append(": ")
        elif token in ("}", "]"):
            if need_indent:
                need_indent = False
            else:
                depth -= 1
                out.append("\n" + prefix + indent * depth)
            out.append(token)
        else:
            out.append(token)
    return "".join(out)


def go_marshal(value: object) -> str:
    """json.Marshal of plain data (dicts keep their order)."""
    return go_compact(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


# -- types.ImageManifest ------------------------------------------------------------------------

DESCRIPTOR_KEYS = ("mediaType", "digest", "size", "urls", "annotations", "data", "platform")


def marshal_manifest(image: ImageManifest) -> str:
    """json.Marshal(types.ImageManifest): the store's file, and `inspect -v` before indent."""
    parts = [f'"Ref":{go_marshal(str(image.ref))}', f'"Descriptor":{go_marshal(image.descriptor)}']
    if image.raw:
        parts.append(f'"Raw":"{base64.b64encode(image.raw).decode()}"')
        parts.append(f'"{image.kind}":{go_compact(image.raw.decode())}')
    return "{" + ",".join(parts) + "}"


def unmarshal_manifest(data: str, path: str) -> ImageManifest:
    """A store file back into an ImageManifest (also the pre-Descriptor format: Digest and
    Platform at the top, the manifest's own bytes its payload)."""
    try:
        doc = json.loads(data)
        ref = parse_named(str(doc["Ref"]))
    except (ValueError, KeyError, TypeError, errdefs.InvalidArgument) as err:
        raise errdefs.Unknown(f"invalid manifest file {path}: {err}") from err
    kind = "SchemaV2Manifest" if doc.get("SchemaV2Manifest") else "OCIManifest"
    raw = base64.b64decode(doc["Raw"]) if doc.get("Raw") else b""
    if not raw and doc.get(kind):
        raw = go_compact(json.dumps(doc[kind], separators=(",", ":"))).encode()
    source = doc.get("Descriptor") or {}
    if doc.get("Digest"):  # written before docker stored a Descriptor
        payload = go_compact(json.dumps(doc.get(kind) or {}, separators=(",", ":"))).encode()
        media_type = str((doc.get(kind) or {}).get("mediaType") or OCI_MANIFEST)
        source = {"mediaType": media_type, "digest": doc["Digest"], "size": len(payload)}
        if doc.get("Platform"):
            source["platform"] = doc["Platform"]
    descriptor = {k: source[k] for k in DESCRIPTOR_KEYS if k in source}
    if isinstance(descriptor.get("platform"), dict):
        descriptor["platform"] = platform_from(descriptor["platform"])
    return ImageManifest(ref=ref, descriptor=descriptor, raw=raw, kind=kind)


def payload(image: ImageManifest) -> bytes:
    """The manifest's bytes (Payload()): what `inspect` indents and `push` puts."""
    if not image.raw:
        raise errdefs.Unknown(f"{image.ref} has no payload")
    return image.raw


# -- the store -----------------------------------------------------------------------------------


def _safe(ref: Named | str) -> str:
    return str(ref).replace(":", "-").replace("/", "_")


class ManifestStore:
    """docker/cli's fsStore under <config_dir>/manifests."""

    def __init__(self, root: str) -> None:
        self.root = root

    def _dir(self, list_ref: Named) -> str:
        return os.path.join(self.root, _safe(list_ref))

    def get(self, list_ref: Named, ref: Named) -> ImageManifest:
        return self._read(os.path.join(self._dir(list_ref), _safe(ref)), ref)

    def _read(self, path: str, ref: Named) -> ImageManifest:
        try:
            with open(path, encoding="utf-8") as f:
                data = f.read()
        except FileNotFoundError:
            raise errdefs.NotFound(f"No such manifest: {ref}") from None
        return unmarshal_manifest(data, path)

    def get_list(self, list_ref: Named) -> list[ImageManifest]:
        directory = self._dir(list_ref)
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            raise errdefs.NotFound(f"No such manifest: {list_ref}") from None
        return [self._read(os.path.join(directory, name), list_ref) for name in names]

    def save(self, list_ref: Named, ref: Named, image: ImageManifest) -> None:
        directory = self._dir(list_ref)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        with open(os.path.join(directory, _safe(ref)), "w", encoding="utf-8") as f:
            f.write(marshal_manifest(image))

    def remove(self, list_ref: Named) -> None:
        import shutil

        shutil.rmtree(self._dir(list_ref), ignore_errors=True)


def open_store(config_dir: str) -> ManifestStore:
    return ManifestStore(os.path.join(config_dir, "manifests"))


# -- manifest lists -------------------------------------------------------------------------------

SPEC_KEYS = ("architecture", "os", "os.version", "os.features", "variant", "features")


def list_descriptor(target: Named, image: ImageManifest) -> dict[str, object]:
    """buildManifestDescriptor: one entry of the list; the image must live on the list's
    registry."""
    if image.ref.domain != target.domain:
        raise errdefs.InvalidArgument(
            "cannot use source images from a different registry than the target image: "
            f"{image.ref.domain} != {target.domain}"
        )
    entry: dict[str, object] = {}
    for key in ("mediaType", "size", "digest"):
        if image.descriptor.get(key):
            entry[key] = image.descriptor[key]
    platform = image.platform or {}
    spec: dict[str, object] = {
        "architecture": platform.get("architecture", ""),
        "os": platform.get("os", ""),
    }
    for key in SPEC_KEYS[2:]:
        if platform.get(key):
            spec[key] = platform[key]
    entry["platform"] = spec
    digest = str(image.descriptor.get("digest", ""))
    if not re.fullmatch(r"sha256:[a-f0-9]{64}", digest):
        raise errdefs.InvalidArgument(
            f'digest parse of image "{image.ref}" failed: invalid checksum digest format'
        )
    return entry


def build_list(target: Named, images: list[ImageManifest]) -> tuple[str, bytes]:
    """manifestlist.FromDescriptors: (media type, canonical bytes, indented by 3 spaces);
    an OCI index when the first entry is an OCI manifest, else a docker manifest list."""
    entries = [list_descriptor(target, image) for image in images]
    media_type = MANIFEST_LIST
    if entries and entries[0].get("mediaType") == OCI_MANIFEST:
        media_type = OCI_INDEX
    body = go_marshal({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})
    return media_type, go_indent(body, "   ").encode()
