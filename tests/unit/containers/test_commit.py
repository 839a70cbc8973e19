"""docker commit's config rules (moby's BuildFromConfig + merge), without a data-root."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.containers import commit
from dockyard.images.changes import apply_changes
from dockyard.images.image import HealthConfig, ImageConfig, parse_config

CONTAINER = {
    "Hostname": "0123456789ab",
    "User": "",
    "Env": ["PATH=/bin", "X=1"],
    "Cmd": ["sh"],
    "Image": "busybox",
    "Volumes": {"/data": {}},
    "WorkingDir": "/srv",
    "Entrypoint": None,
    "Labels": {"a": "1"},
    "ExposedPorts": {"80/tcp": {}},
}


def committed(changes: list[str], body: dict[str, object] | None = None) -> ImageConfig:
    """What the new image's config is, as commit() computes it."""
    container = parse_config(CONTAINER)
    requested = parse_config(body) if body is not None else container
    return commit.merge_config(apply_changes(changes, requested), container)


def test_no_changes_keeps_the_container_config() -> None:
    config = committed([])
    assert config.env == ("PATH=/bin", "X=1")
    assert config.cmd == ("sh",)
    assert config.working_dir == "/srv"
    assert config.volumes == ("/data",)
    assert config.labels == {"a": "1"}


def test_changes_override_and_extend() -> None:
    config = committed(["ENV X=2 Y=3", "LABEL b=2", "EXPOSE 443", "USER nobody", "WORKDIR app"])
    assert config.env == ("PATH=/bin", "X=2", "Y=3")
    assert config.labels == {"a": "1", "b": "2"}
    assert config.exposed_ports == ("80/tcp", "443/tcp")
    assert config.user == "nobody"
    assert config.working_dir == "/srv/app"


def test_entrypoint_change_drops_the_containers_cmd_as_docker_does() -> None:
    config = committed(['ENTRYPOINT ["/bin/echo"]'])
    assert config.entrypoint == ("/bin/echo",)
    assert config.cmd is None
    config = committed(['ENTRYPOINT ["/bin/echo"]', 'CMD ["hi"]'])
    assert (config.entrypoint, config.cmd) == (("/bin/echo",), ("hi",))


def test_a_request_config_is_completed_from_the_containers() -> None:
    config = committed([], {"Env": ["X=9", "Z=1"], "Cmd": ["top"], "Labels": {"a": "0"}})
    assert config.env == ("X=9", "Z=1", "PATH=/bin")
    assert config.cmd == ("top",)
    assert config.labels == {"a": "0"}
    assert config.working_dir == "/srv"
    assert config.exposed_ports == ("80/tcp",)


def test_healthcheck_is_merged_field_by_field() -> None:
    user = ImageConfig(healthcheck=HealthConfig(test=("CMD", "true"), retries=0))
    image = ImageConfig(healthcheck=HealthConfig(test=("CMD", "false"), interval=5, retries=3))
    merged = commit.merge_config(user, image).healthcheck
    assert merged == HealthConfig(test=("CMD", "true"), interval=5, retries=3)


def test_a_bad_change_is_dockers_error() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="run is not a valid change command"):
        committed(["RUN true"])
