"""The `daemon` fixture: a CLI test parametrized over the session's Debian dockerd and the
session's dockyardd, for commands whose behaviour both daemons share."""

from __future__ import annotations

import pytest

from tests.support.cli import Daemon
from tests.support.dockerd import Docker
from tests.support.dockyardd import Dockyardd


@pytest.fixture(params=["dockerd", "dockyardd"])
def daemon(request: pytest.FixtureRequest) -> Daemon:
    if request.param == "dockerd":
        dockerd: Docker = request.getfixturevalue("dockerd")
        return Daemon("dockerd", dockerd.env["DOCKER_HOST"], dockerd.env, dockerd)
    dockyardd: Dockyardd = request.getfixturevalue("dockyardd")
    return Daemon("dockyardd", dockyardd.host, dockyardd.env, dockyardd.cli)


@pytest.fixture
def ours(dockyardd: Dockyardd) -> Daemon:
    """The session's dockyardd alone, as a `Daemon` (for what only our daemon does)."""
    return Daemon("dockyardd", dockyardd.host, dockyardd.env, dockyardd.cli)
