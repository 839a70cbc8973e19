"""daemon.json and flags: Docker's refusals, defaults and merging (config.py, flags.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.daemon.config import DaemonConfig, Flags, load, parse_host, reload_attributes
from dockyard.daemon.flags import parse_flags


def _load(tmp_path: Path, document: Any, *argv: str) -> DaemonConfig:
    path = tmp_path / "daemon.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return load(parse_flags(["--config-file", str(path), *argv]))


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load(Flags(config_file=str(tmp_path / "absent.json")))
    assert config.live_restore is True  # DESIGN.md §1: unlike Docker
    assert config.data_root == "/var/lib/dockyard"
    assert config.exec_root == "/run/dockyard"
    assert config.hosts == ("unix:///run/dockyard.sock",)
    assert config.pidfile == "/run/dockyard.pid"
    assert config.default_runtime == "dockyard"
    assert config.log_driver == "json-file"
    assert config.max_concurrent_downloads == 3
    assert config.cgroup_parent == "/dockyard"


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(errdefs.InvalidArgument) as err:
        load(parse_flags(["--config-file", str(missing)]))
    assert str(err.value).startswith(f"unable to configure the Docker daemon with file {missing}")


def test_unknown_key_is_refused_with_dockers_message(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument) as err:
        _load(tmp_path, {"debug": True, "foo": 1})
    path = tmp_path / "daemon.json"
    assert str(err.value) == (
        f"unable to configure the Docker daemon with file {path}: the following directives"
        " don't match any configuration option: foo"
    )


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (
            {"debug": "yes"},
            "cannot unmarshal string into Go struct field Config.debug of type bool",
        ),
        ({"hosts": "unix:///x"}, "Config.hosts of type []string"),
        ({"max-concurrent-downloads": "3"}, "Config.max-concurrent-downloads of type int"),
        ({"runtimes": {"r": {"path": 1}}}, "Config.runtimes"),
        ({"default-ulimits": {"nofile": {"Soft": "1", "Hard": 2}}}, "Config.default-ulimits"),
        ({"log-opts": {"max-size": 10}}, "Config.log-opts of type map[string]string"),
    ],
)
def test_ill_typed_values_are_refused(tmp_path: Path, document: Any, fragment: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as err:
        _load(tmp_path, document)
    assert "unable to configure the Docker daemon" in str(err.value)
    assert fragment in str(err.value)


def test_malformed_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="invalid JSON"):
        _load(tmp_path, "{debug: true")


def test_flag_and_file_conflict_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument) as err:
        _load(tmp_path, {"debug": False, "data-root": "/srv/a"}, "-D", "--data-root", "/srv/b")
    message = str(err.value)
    assert "the following directives are specified both as a flag and in the configuration" in (
        message
    )
    assert "debug: (from flag: true, from file: false)" in message
    assert "data-root: (from flag: /srv/b, from file: /srv/a)" in message


def test_runtimes_from_flag_and_file_merge(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        {"runtimes": {"crun": {"path": "/usr/bin/crun", "runtimeArgs": ["--debug"]}}},
        "--add-runtime",
        "youki=/usr/bin/youki",
    )
    assert set(config.runtimes) == {"crun", "youki"}
    assert config.runtimes["crun"].args == ("--debug",)


def test_file_values_and_flags_combine(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        {
            "live-restore": False,
            "insecure-registries": ["reg:5000"],
            "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}},
            "log-opts": {"max-size": "10m"},
            "labels": ["a=b"],
        },
        "-H",
        "unix:///tmp/x.sock",
        "-H",
        "tcp://127.0.0.1:2375",
        "--log-level",
        "debug",
    )
    assert config.live_restore is False
    assert config.insecure_registries == ("reg:5000",)
    assert config.default_ulimits == {"nofile": {"Soft": 1024, "Hard": 2048}}
    assert config.log_opts == {"max-size": "10m"}
    assert config.hosts == ("unix:///tmp/x.sock", "tcp://127.0.0.1:2375")
    assert config.log_level == "debug"


def test_live_restore_flag_takes_a_value() -> None:
    assert parse_flags(["--live-restore=false"]).values["live-restore"] is False
    assert parse_flags(["--live-restore"]).values["live-restore"] is True
    assert "live-restore" not in parse_flags([]).values


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"log-level": "loud"}, "invalid logging level: loud"),
        ({"default-runtime": "nope"}, "specified default runtime 'nope' does not exist"),
        ({"runtimes": {"runc": {"path": "/x"}}}, "runtime name 'runc' is reserved"),
        ({"max-concurrent-downloads": -1}, "invalid max concurrent downloads: -1"),
        ({"hosts": ["fd://"]}, "invalid bind address format: fd://"),
        ({"tlsverify": True, "tlscert": "c", "tlskey": "k"}, "tlscacert"),
    ],
)
def test_invalid_settings_are_refused(tmp_path: Path, document: Any, message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=message):
        _load(tmp_path, document)


def test_empty_file_is_fine(tmp_path: Path) -> None:
    assert _load(tmp_path, "  \n").debug is False


@pytest.mark.parametrize(
    ("host", "tls", "expected"),
    [
        ("unix://", False, ("unix", "/run/dockyard.sock")),
        ("unix:///tmp/d.sock", False, ("unix", "/tmp/d.sock")),
        ("tcp://", False, ("tcp", "127.0.0.1:2375")),
        ("tcp://", True, ("tcp", "127.0.0.1:2376")),
        ("tcp://0.0.0.0:4243", False, ("tcp", "0.0.0.0:4243")),
        ("tcp://:4243", False, ("tcp", "127.0.0.1:4243")),
    ],
)
def test_parse_host_applies_dockers_defaults(
    host: str, tls: bool, expected: tuple[str, str]
) -> None:
    assert parse_host(host, tls=tls) == expected


def test_reload_attributes_are_dockers() -> None:
    attrs = reload_attributes(DaemonConfig(registry_mirrors=("https://m",), debug=True))
    assert attrs["debug"] == "true"
    assert attrs["registry-mirrors"] == '["https://m"]'
    assert attrs["insecure-registries"] == "[]"
    assert attrs["live-restore"] == "true"
    assert attrs["max-concurrent-downloads"] == "3"
