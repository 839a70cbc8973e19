"""The -v / --mount / --volumes-from parsers: Docker's semantics and error messages."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.containers import mounts


def test_named_volume_bind_with_modes() -> None:
    mp = mounts.parse_bind("data:/srv/data/:ro,nocopy")
    assert (mp.type, mp.name, mp.destination, mp.rw, mp.copy_data, mp.mode) == (
        "volume", "data", "/srv/data", False, False, "ro,nocopy",
    )  # fmt: skip
    assert mounts.parse_bind("data:/x:z").copy_data


def test_anonymous_volume_and_driver() -> None:
    mp = mounts.parse_bind("/cache", volume_driver="testplugin")
    assert (mp.type, mp.name, mp.destination, mp.driver, mp.rw) == (
        "volume", "", "/cache", "testplugin", True,
    )  # fmt: skip


def test_host_path_is_a_bind_with_propagation() -> None:
    mp = mounts.parse_bind("/srv:/x:rslave")
    assert (mp.type, mp.source, mp.propagation) == ("bind", "/srv", "rslave")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("vol:/x:shared", "invalid volume specification: 'vol:/x:shared': invalid mount config "
         'for type "volume": field BindOptions must not be specified'),
        ("/h:/x:nocopy", "invalid volume specification: '/h:/x:nocopy': invalid mount config "
         'for type "bind": field VolumeOptions must not be specified'),
        ("vol:rel", "invalid volume specification: 'vol:rel': invalid mount config for type "
         "\"volume\": invalid mount path: 'rel' mount path must be absolute"),
        ("vol:/", "invalid volume specification: 'vol:/': invalid mount config for type "
         "\"volume\": invalid specification: destination can't be '/'"),
        ("vol:/x:nocopy,nocopy", "invalid mode: nocopy,nocopy"),
        ("/x:rw", "invalid volume specification: '/x:rw'"),
        ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
    ],
)  # fmt: skip
def test_bad_volume_binds(raw: str, message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as caught:
        mounts.parse_bind(raw)
    assert str(caught.value) == message


def test_mount_type_volume() -> None:
    mp = mounts.parse_mount(
        {
            "Type": "volume",
            "Source": "v1",
            "Target": "/data",
            "ReadOnly": True,
            "VolumeOptions": {
                "NoCopy": True,
                "Labels": {"a": "b"},
                "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs"}},
            },
        }
    )
    assert (mp.type, mp.name, mp.rw, mp.copy_data, mp.driver) == (
        "volume", "v1", False, False, "local",
    )  # fmt: skip
    assert mp.volume_labels == {"a": "b"} and mp.driver_opts == {"type": "tmpfs"}
    assert mounts.parse_mount({"Type": "volume", "Target": "/anon"}).name == ""


@pytest.mark.parametrize(
    ("m", "message"),
    [
        ({"Type": "volume", "Target": "/x", "BindOptions": {}},
         'invalid mount config for type "volume": field BindOptions must not be specified'),
        ({"Type": "volume", "Target": "/x", "TmpfsOptions": {}},
         'invalid mount config for type "volume": field TmpfsOptions must not be specified'),
        ({"Type": "volume", "Source": "v"},
         'invalid mount config for type "volume": field Target must not be empty'),
        ({"Type": "volume", "Target": "/x", "VolumeOptions": {"Subpath": "a"}},
         'invalid mount config for type "volume": must not set Subpath when using anonymous '
         "volumes"),
        ({"Type": "bind", "Source": "/", "Target": "/x", "VolumeOptions": {}},
         'invalid mount config for type "bind": field VolumeOptions must not be specified'),
    ],
)  # fmt: skip
def test_bad_mounts(m: dict[str, object], message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as caught:
        mounts.parse_mount(m)
    assert str(caught.value) == message


def test_volumes_from() -> None:
    assert mounts.parse_volumes_from("data") == ("data", "rw")
    assert mounts.parse_volumes_from("data:ro") == ("data", "ro")
    for bad, message in (
        ("", "volumes-from specification cannot be an empty string"),
        ("data:rshared", "invalid mode: rshared"),
        ("data:nocopy", "invalid mode: nocopy"),
        ("data:bogus", "invalid mode: bogus"),
    ):
        with pytest.raises(errdefs.InvalidArgument) as caught:
            mounts.parse_volumes_from(bad)
        assert str(caught.value) == message
    assert not mounts.read_write("ro") and mounts.read_write("rw")


def test_duplicate_destination_between_binds_and_mounts() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="Duplicate mount point: /x"):
        mounts.mount_points(
            {"Binds": ["v:/x"], "Mounts": [{"Type": "volume", "Source": "w", "Target": "/x"}]}
        )


def test_inspect_doc_of_a_volume_names_it() -> None:
    doc = mounts.inspect_doc(mounts.parse_bind("v:/x"))
    assert list(doc) == [
        "Type", "Name", "Source", "Destination", "Driver", "Mode", "RW", "Propagation",
    ]  # fmt: skip
    assert "Name" not in mounts.inspect_doc(mounts.parse_bind("/h:/x"))
