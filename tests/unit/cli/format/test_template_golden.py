"""Templates execute (and fail) exactly as the real docker CLI's do.

golden/templates_28.json: `docker context ls --format <template>` run with the docker CLI
28.2.2 (no daemon needed; its one row is the default context, recorded under "row").
Each case keeps docker's stdout, stderr and exit status; errors are compared verbatim
("template parsing error: template: :1:2: executing ...").
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.cli.format import contexts
from dockyard.cli.format.template import TemplateError

GOLDEN = json.loads((Path(__file__).parent / "golden" / "templates_28.json").read_text())
ROW = GOLDEN["row"]


def _run(args: list[str]) -> tuple[str, str, int]:
    out = io.StringIO()
    fmt = args[args.index("--format") + 1] if "--format" in args else ""
    try:
        contexts.write(out, [ROW], fmt=fmt, quiet="-q" in args)
    except TemplateError as err:
        return out.getvalue(), f"{err}\n", 1
    return out.getvalue(), "", 0


CASES = [c for c in GOLDEN["cases"] if "format" in c]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["format"][:50])
def test_template_matches_docker(case: dict[str, Any]) -> None:
    stdout, stderr, rc = _run(["context", "ls", "--format", case["format"]])
    assert (stdout, stderr, rc) == (case["stdout"], case["stderr"], case["rc"])


@pytest.mark.parametrize(
    "case", [c for c in GOLDEN["cases"] if "args" in c], ids=lambda c: " ".join(c["args"])
)
def test_context_ls_matches_docker(case: dict[str, Any]) -> None:
    assert _run(case["args"]) == (case["stdout"], case["stderr"], case["rc"])
