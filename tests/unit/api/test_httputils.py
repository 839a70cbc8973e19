"""moby's request parsing rules: BoolValue, filters, versions, X-Registry-Auth, status codes."""

from __future__ import annotations

import base64
import json

import pytest
from multidict import MultiDict

from dockyard import errdefs
from dockyard.api import errors, httputils


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("True", True), ("yes", True), (" on ", True),
     ("", False), ("0", False), ("false", False), ("FALSE", False), ("no", False),
     ("none", False), (" 0 ", False)],
)  # fmt: skip
def test_bool_value_is_mobys(value: str, expected: bool) -> None:
    assert httputils.bool_value(MultiDict({"k": value}), "k") is expected


def test_bool_or_default_only_when_absent() -> None:
    assert httputils.bool_or_default(MultiDict(), "stream", True) is True
    assert httputils.bool_or_default(MultiDict({"stream": ""}), "stream", True) is False


def test_filters_both_shapes_and_errors() -> None:
    assert httputils.filters_from_json("") == {}
    assert httputils.filters_from_json('{"name":["x","y","x"]}') == {"name": ["x", "y"]}
    assert httputils.filters_from_json('{"name":{"x":true,"y":false}}') == {"name": ["x", "y"]}
    for bad in ("[1]", '{"name":"x"}', "{", '{"name":[1]}'):
        with pytest.raises(errdefs.InvalidArgument, match=r"^invalid filter$"):
            httputils.filters_from_json(bad)


def test_versions_compare_numerically() -> None:
    assert httputils.compare_versions("1.9", "1.24") < 0
    assert httputils.compare_versions("1.51", "1.51.0") == 0
    assert httputils.compare_versions("2", "1.99") > 0


def test_atoi_and_uint32_messages() -> None:
    assert httputils.atoi(MultiDict({"t": "-5"}), "t") == -5
    assert httputils.atoi(MultiDict(), "t") is None
    with pytest.raises(errdefs.InvalidArgument, match=r'parsing "1\.5": invalid syntax'):
        httputils.atoi(MultiDict({"t": "1.5"}), "t")
    assert httputils.uint32_value(MultiDict({"h": "24"}), "h", "height") == 24
    with pytest.raises(errdefs.InvalidArgument, match=r'^invalid resize width "": invalid syntax$'):
        httputils.uint32_value(MultiDict(), "w", "width")
    with pytest.raises(errdefs.InvalidArgument, match="value out of range"):
        httputils.uint32_value(MultiDict({"w": str(1 << 32)}), "w", "width")


def test_decode_auth_header() -> None:
    def encode(doc: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    auth = httputils.decode_auth(encode({"Username": "u", "Password": "p", "serveraddress": "r"}))
    assert auth is not None and (auth.username, auth.password) == ("u", "p")
    legacy = httputils.decode_auth(encode({"auth": base64.b64encode(b"a:b:c").decode()}))
    assert legacy is not None and (legacy.username, legacy.password) == ("a", "b:c")
    token = httputils.decode_auth(encode({"identitytoken": "tok"}))
    assert token is not None and token.identity_token == "tok"
    assert httputils.decode_auth(encode({})) is None
    assert httputils.decode_auth("%%%not base64") is None
    assert httputils.decode_auth("") is None


def test_status_codes_and_wrapping() -> None:
    cases = [
        (errdefs.NotFound("x"), 404), (errdefs.InvalidArgument("x"), 400),
        (errdefs.AlreadyExists("x"), 409), (errdefs.Conflict("x"), 409),
        (errdefs.Unavailable("x"), 503), (errdefs.Unimplemented("x"), 501),
        (errdefs.FailedPrecondition("x"), 412), (errdefs.Unknown("x"), 500),
        (errors.Unauthorized("x"), 401), (errors.Forbidden("x"), 403),
        (errors.NotModified("x"), 304), (RuntimeError("bug"), 500),
    ]  # fmt: skip
    for err, status in cases:
        assert errors.status_for(err) == status, err
    wrapped = errors.wrap(errdefs.NotFound("No such container: x"), "cannot kill container: x")
    assert isinstance(wrapped, errdefs.NotFound)
    assert str(wrapped) == "cannot kill container: x: No such container: x"
