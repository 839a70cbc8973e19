"""Request parsing and JSON answers with moby's semantics (daemon/server/httputils).

Query values follow Go's net/http form rules as moby reads them: BoolValue treats "", "0",
"no", "false" and "none" (any case, trimmed) as false and anything else as true; numbers are
strconv's, with its error text. Filters arrive as JSON, `{"name": ["x"]}` or the legacy
`{"name": {"x": true}}`, and leave here as `dict[str, list[str]]`. Bodies are JSON objects;
syntax errors read as Go's encoding/json words them, behind moby's "invalid JSON: " prefix.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from dockyard import errdefs
from dockyard.distribution.credentials import AuthConfig

API_VERSION = "1.51"  # DESIGN.md §5: the level of Docker 28
MIN_API_VERSION = "1.24"
AUTH_HEADER = "X-Registry-Auth"
API_VERSION_KEY = web.RequestKey("api_version", str)  # set by the version middleware

Filters = dict[str, list[str]]
Query = MultiMapping[str]


# -- API versions -----------------------------------------------------------------------------


def compare_versions(a: str, b: str) -> int:
    """versions.compare: dot-separated integers, missing or non-numeric parts count as 0."""
    left, right = a.split("."), b.split(".")
    for i in range(max(len(left), len(right))):
        x = _atoi(left[i]) if i < len(left) else 0
        y = _atoi(right[i]) if i < len(right) else 0
        if x != y:
            return -1 if x < y else 1
    return 0


def _atoi(text: str) -> int:
    return int(text) if text.isdigit() else 0


def version_less_than(a: str, b: str) -> bool:
    return compare_versions(a, b) < 0


def api_version(request: web.Request) -> str:
    """The version the client asked for (the /vX.Y prefix), else the server's own."""
    version: str = request.get(API_VERSION_KEY, API_VERSION)
    return version


# -- query values -----------------------------------------------------------------------------


def bool_value(query: Query, key: str) -> bool:
    """httputils.BoolValue."""
    return query.get(key, "").strip().lower() not in ("", "0", "no", "false", "none")


def bool_or_default(query: Query, key: str, default: bool) -> bool:
    """httputils.BoolValueOrDefault: the default only when the key is absent."""
    return bool_value(query, key) if key in query else default


def go_quote(text: str) -> str:
    """strconv.Quote, near enough for error messages."""
    return json.dumps(text, ensure_ascii=False)


def atoi(query: Query, key: str) -> int | None:
    """strconv.Atoi of a query value (None when absent or empty), InvalidArgument with Go's
    message (`strconv.Atoi: parsing "x": invalid syntax`) otherwise."""
    text = query.get(key, "")
    if text == "":
        return None
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        raise errdefs.InvalidArgument(f"strconv.Atoi: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not -(1 << 63) <= value < (1 << 63):
        raise errdefs.InvalidArgument(f"strconv.Atoi: parsing {go_quote(text)}: value out of range")
    return value


def uint32_value(query: Query, key: str, what: str) -> int:
    """httputils.Uint32Value for resize's h and w, with moby's wrapping message."""
    text = query.get(key, "")
    digits = text.removeprefix("-")
    reason = ""
    if digits == "" or not digits.isascii() or not digits.isdigit():
        reason = "invalid syntax"
    elif int(digits) >= 1 << 32 or text.startswith("-"):
        reason = "value out of range"
    if reason:
        raise errdefs.InvalidArgument(f"invalid resize {what} {go_quote(text)}: {reason}")
    return int(digits)


def filters_from_json(text: str) -> Filters:
    """filters.FromJSON: `{"k": ["v"]}` or the legacy `{"k": {"v": true}}` (every key of the
    inner object counts, as moby's Args.Get returns them all)."""
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        raise errdefs.InvalidArgument("invalid filter") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise errdefs.InvalidArgument("invalid filter")
    parsed: Filters = {}
    for name, values in raw.items():
        if values is None:
            parsed[name] = []
        elif isinstance(values, dict) and all(isinstance(v, bool) for v in values.values()):
            parsed[name] = list(values)
        elif isinstance(values, list) and all(isinstance(v, str) for v in values):
            parsed[name] = list(dict.fromkeys(values))
        else:
            raise errdefs.InvalidArgument("invalid filter")
    return parsed


def platform_value(query: Query, key: str = "platform") -> str:
    """The `platform` query value ("" when absent); its syntax is the backend's to check."""
    return query.get(key, "")


# -- JSON bodies ------------------------------------------------------------------------------


async def read_json(request: web.Request, *, type_name: str) -> dict[str, Any] | None:
    """httputils.ReadJSON: None for an empty body; the object otherwise. `type_name` is the
    Go type moby decodes into, for Go's "cannot unmarshal" message."""
    check_for_json(request)
    data = await request.read()
    if not data:
        return None
    return decode_object(data, type_name=type_name, empty_eof="got EOF while reading request body")


async def read_create_json(request: web.Request) -> dict[str, Any]:
    """POST /containers/create's body: runconfig's loadJSON, where an empty body is
    "invalid JSON: EOF" and the top level must be an object."""
    check_for_json(request)
    data = await request.read()
    value = decode_object(data, type_name="container.CreateRequest", empty_eof="EOF")
    return value if value is not None else {}


def check_for_json(request: web.Request) -> None:
    """httputils.CheckForJSON: a body must say Content-Type application/json."""
    content_type = request.headers.get("Content-Type", "")
    if not content_type and not request.body_exists:
        return
    mime = content_type.split(";", 1)[0].strip().lower()
    if not mime:
        if not request.body_exists:
            return
        raise errdefs.InvalidArgument("malformed Content-Type header (): mime: no media type")
    if mime != "application/json":
        raise errdefs.InvalidArgument(
            f"unsupported Content-Type header ({content_type}): must be 'application/json'"
        )


def decode_object(data: bytes, *, type_name: str, empty_eof: str) -> dict[str, Any] | None:
    """One JSON object (or null) from `data`, errors in moby's words."""
    text = data.decode("utf-8", errors="replace")
    if not text.strip():
        raise errdefs.InvalidArgument(f"invalid JSON: {empty_eof}")
    try:
        value, end = json.JSONDecoder().raw_decode(text, len(text) - len(text.lstrip()))
    except json.JSONDecodeError as err:
        raise errdefs.InvalidArgument(f"invalid JSON: {_go_syntax_error(err)}") from None
    if text[end:].strip():
        raise errdefs.InvalidArgument("unexpected content after JSON")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise errdefs.InvalidArgument(
            f"invalid JSON: json: cannot unmarshal {_go_kind(value)} into Go value of type"
            f" {type_name}"
        )
    return value


def _go_syntax_error(err: json.JSONDecodeError) -> str:
    """encoding/json's SyntaxError text for what Python's decoder reports."""
    if err.pos >= len(err.doc.rstrip()):
        return "unexpected EOF"
    char = err.doc[err.pos]
    quoted = "'\\''" if char == "'" else f"'{char}'"
    if err.msg.startswith("Expecting value"):
        return f"invalid character {quoted} looking for beginning of value"
    if err.msg.startswith("Expecting property name"):
        return f"invalid character {quoted} looking for beginning of object key string"
    if err.msg.startswith("Expecting ':'"):
        return f"invalid character {quoted} after object key"
    if err.msg.startswith("Expecting ','"):
        return f"invalid character {quoted} after object key:value pair"
    return f"invalid character {quoted} in string literal"


def _go_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


# -- answers ----------------------------------------------------------------------------------


def json_bytes(value: Any) -> bytes:
    """json.Encoder with SetEscapeHTML(false), as httputils.WriteJSON: compact, one line."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def json_response(value: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=json_bytes(value), status=status, content_type="application/json")


def empty(status: int) -> web.Response:
    return web.Response(status=status)


# -- registry credentials ---------------------------------------------------------------------


def decode_auth(header: str) -> AuthConfig | None:
    """X-Registry-Auth: base64url JSON of the CLI's AuthConfig. Anything undecodable counts as
    no credentials, as moby does for pull and push ("to increase compatibility")."""
    if not header:
        return None
    padded = header + "=" * (-len(header) % 4)
    try:
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(raw, dict):
        return None
    return auth_config(raw)


def auth_config(raw: Mapping[str, Any]) -> AuthConfig | None:
    """An AuthConfig from its JSON (keys matched case-insensitively, as Go decodes)."""
    fields = {str(k).lower(): v for k, v in raw.items() if isinstance(v, str)}
    username, password = fields.get("username", ""), fields.get("password", "")
    if not username and not password and fields.get("auth"):
        try:
            decoded = base64.b64decode(fields["auth"]).decode()
        except (ValueError, binascii.Error):
            decoded = ""
        username, _, password = decoded.partition(":")
    config = AuthConfig(
        username=username,
        password=password,
        identity_token=fields.get("identitytoken", ""),
        registry_token=fields.get("registrytoken", ""),
    )
    return None if config.empty else config
