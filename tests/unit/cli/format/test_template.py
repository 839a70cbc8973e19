"""Go text/template semantics on decoded JSON (what `inspect -f` and `events --format` see)."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.cli.format.template import TemplateError, parse

DATA = {
    "Name": "/web",
    "Labels": {"b": "2", "a": "1"},
    "Cmd": ["sh", "-c", "true"],
    "Env": None,
    "Pid": 42,
    "Ratio": 1234567.0,
    "State": {"Running": True, "ExitCode": 0},
}


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("{{.Name}} {{.Pid}} {{.State.Running}}", "/web 42 true"),
        (
            "{{.Labels}} {{.Cmd}} {{.Env}} {{.Missing}}",
            "map[a:1 b:2] [sh -c true] <nil> <no value>",
        ),
        ("{{.Ratio}}", "1.234567e+06"),
        ("{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}", "a=1,b=2,"),
        ("{{range .Cmd}}[{{.}}]{{end}}", "[sh][-c][true]"),
        ("{{range .Env}}x{{else}}none{{end}}", "none"),
        ("{{if .State.ExitCode}}failed{{else if .State.Running}}up{{end}}", "up"),
        ("{{with .State}}{{.ExitCode}}{{end}}", "0"),
        ('{{index .Labels "a"}} {{index .Cmd 1}} {{index .Labels "zz"}}', "1 -c "),
        (
            '{{len .Cmd}} {{join .Cmd " "}} {{json .State}}',
            '3 sh -c true {"Running":true,"ExitCode":0}',
        ),
        ("{{and .Pid .Name}} {{or .Env .Name}} {{not .Env}}", "/web /web true"),
        ("{{$n := .Name}}{{range .Cmd}}{{$n}}{{end}}", "/web/web/web"),
        ('{{.Name | printf "%s!" | upper}}', "/WEB!"),
        ("a  {{- .Pid -}}  b", "a42b"),
    ],
)
def test_executes_like_go(text: str, out: str) -> None:
    assert parse(text).execute(DATA) == out


def test_missingkey_error_is_docker_inspects_fallback() -> None:
    tmpl = parse("{{.State.Health.Status}}")
    assert tmpl.execute(DATA) == "<no value>"
    tmpl.missingkey_error = True
    with pytest.raises(TemplateError, match='map has no entry for key "Health"'):
        tmpl.execute(DATA)


def test_template_errors_are_invalid_argument() -> None:
    with pytest.raises(errdefs.InvalidArgument, match='function "nope" not defined'):
        parse("{{nope .}}")
    with pytest.raises(errdefs.InvalidArgument, match=r"nil pointer evaluating interface \{\}\.X"):
        parse("{{.Env.X}}").execute(DATA)


def test_caller_functions_are_callable() -> None:
    assert parse("{{twice .Pid}}", {"twice": lambda v: v * 2}).execute(DATA) == "84"
