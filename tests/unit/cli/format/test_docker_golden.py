"""Listings rendered from the daemon's JSON match the real docker CLI's output byte for byte.

golden/docker_28.json was captured with the docker CLI 28.2.2 (/usr/local/bin/docker)
against a private Debian dockerd 20.10 (tests/support/dockerd.py): for each case the
daemon's JSON answer, docker's stdout/stderr/exit status and the capture time ("now", for
"4 minutes ago"). The capture script is described in the file's "docker"/"daemon" keys.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.cli.command import StatusError
from dockyard.cli.format import (
    containers,
    df,
    events,
    history,
    images,
    inspect,
    networks,
    volumes,
)
from dockyard.cli.format.template import TemplateError

GOLDEN = json.loads((Path(__file__).parent / "golden" / "docker_28.json").read_text())


def _render(case: dict[str, Any]) -> str:
    out = io.StringIO()
    kind, data, kw, now = case["kind"], case["data"], dict(case["kw"]), case["now"]
    if kind == "ps":
        containers.write(out, data, now=now, **kw)
    elif kind == "images":
        images.write(out, data, now=now, **kw)
    elif kind == "networks":
        networks.write(out, data, **kw)
    elif kind == "volumes":
        volumes.write(out, data["Volumes"], **kw)
    elif kind == "history":
        history.write(out, data, now=now, **kw)
    elif kind == "df":
        df.write(out, data, now=now, **kw)
    elif kind == "events":
        tmpl = events.compile_format(kw["fmt"])
        for event in data:
            out.write(events.format_event(tmpl, event))
    return out.getvalue()


@pytest.mark.parametrize(
    "case", GOLDEN["listings"], ids=lambda c: " ".join(c["args"])[:60].replace("\\", "")
)
def test_listing_matches_docker(case: dict[str, Any]) -> None:
    assert case["rc"] == 0, case["stderr"]
    assert _render(case) == case["stdout"]


def _inspect(case: dict[str, Any]) -> tuple[str, str]:
    out = io.StringIO()
    obj = GOLDEN["inspect_objects"][case["kind"]]
    try:
        inspect.write(out, [obj], fmt=case["fmt"])
    except StatusError as err:
        return out.getvalue(), err.message + "\n"
    return out.getvalue(), ""


# docker runs `inspect -f` on its typed structs first and on the raw JSON only when that
# fails; here the image's typed run failed (docker 28 types vs a 20.10 daemon), so its
# `json` of a map has sorted keys, which a template on the JSON alone cannot know.
_TYPED_ONLY = {"{{.Size}}|{{.Id}}|{{.RepoTags}}|{{json .RootFS}}"}


@pytest.mark.parametrize("case", GOLDEN["inspect"], ids=lambda c: c["fmt"][:40])
def test_inspect_format_matches_docker(case: dict[str, Any]) -> None:
    if case["fmt"] in _TYPED_ONLY:
        pytest.skip("docker's typed-struct rendering (see _TYPED_ONLY)")
    stdout, stderr = _inspect(case)
    assert stdout == case["stdout"]
    assert stderr == case["stderr"]


def test_inspect_without_format_is_docker_indented_json() -> None:
    out = io.StringIO()
    inspect.write(out, [GOLDEN["inspect_objects"]["network"]])
    assert out.getvalue() == GOLDEN["inspect_plain"]["network"]["stdout"]


def test_inspect_json_format_is_compact() -> None:
    out = io.StringIO()
    inspect.write(out, [GOLDEN["inspect_objects"]["network"]], fmt="json")
    assert out.getvalue() == GOLDEN["inspect_plain"]["network_json"]["stdout"]


def test_inspect_reports_lookups_and_template_errors_after_output() -> None:
    out = io.StringIO()
    objs = [inspect.InspectError("Error: No such object: nope"), {"Id": "abc"}]
    with pytest.raises(StatusError) as err:
        inspect.write(out, objs, fmt="{{.Id}} {{.Nope}}")
    assert out.getvalue() == "\n"  # docker flushes an empty line when nothing printed
    assert err.value.status == 1
    assert err.value.message == (
        "Error: No such object: nope\n"
        'template parsing error: template: :1:10: executing "" at <.Nope>: '
        'map has no entry for key "Nope"'
    )


def test_inspect_bad_template_exits_64() -> None:
    with pytest.raises(StatusError) as err:
        inspect.write(io.StringIO(), [{}], fmt="{{foo}}")
    assert err.value.status == 64
    assert err.value.message == 'template parsing error: template: :1: function "foo" not defined'


def test_inspect_nothing_found_prints_empty_array() -> None:
    out = io.StringIO()
    with pytest.raises(StatusError):
        inspect.write(out, [inspect.InspectError("Error: No such object: x")])
    assert out.getvalue() == "[]\n"


def test_ps_format_check_reports_failures_and_size_use() -> None:
    # docker ps --format 'table {{.Foo}}': "failed to execute template: template: :1:8: ..."
    with pytest.raises(TemplateError.__mro__[1]) as err:
        containers.check_format("table {{.Foo}}")
    assert str(err.value) == (
        'failed to execute template: template: :1:8: executing "" at <.Foo>: '
        "can't evaluate field Foo in type *formatter.ContainerContext"
    )
    assert containers.check_format("{{.ID}} {{.Size}}") is True
    assert containers.check_format("table {{.ID}}") is False
