"""IPAM: subnet choice clear of taken networks, address allocation, Docker's MACs."""

from __future__ import annotations

import ipaddress

import pytest

from dockyard import errdefs
from dockyard.network import ipam


def _nets(*cidrs: str) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(c) for c in cidrs]


def test_choose_subnet_skips_overlapping_pools() -> None:
    taken = _nets("172.17.0.0/16", "172.18.5.0/24")
    assert str(ipam.choose_subnet(ipam.DEFAULT_POOLS, taken)) == "172.19.0.0/16"


def test_choose_subnet_uses_configured_pools_and_their_size() -> None:
    pools = ipam.pools_from_config([{"base": "10.10.0.0/16", "size": 24}])
    assert str(ipam.choose_subnet(pools, _nets("10.10.0.0/24"))) == "10.10.1.0/24"


def test_choose_subnet_fails_when_every_pool_is_used() -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="fully subnetted"):
        ipam.choose_subnet([("10.0.0.0/30", 30)], _nets("10.0.0.0/8"))


def test_make_pool_defaults_gateway_and_checks_range() -> None:
    pool = ipam.make_pool(subnet="10.213.7.0/24", ip_range="10.213.7.128/25")
    assert (pool.gateway, pool.prefixlen) == ("10.213.7.1", 24)
    with pytest.raises(errdefs.InvalidArgument):
        ipam.make_pool(subnet="10.213.7.0/24", ip_range="10.9.0.0/25")
    with pytest.raises(errdefs.InvalidArgument):
        ipam.make_pool(subnet="10.213.7.0/24", gateway="10.9.0.1")
    with pytest.raises(errdefs.Conflict):
        ipam.make_pool(subnet="10.213.7.0/24", taken=_nets("10.213.0.0/16"))


def test_allocate_lowest_free_in_range_and_requested() -> None:
    pool = ipam.make_pool(subnet="10.1.0.0/29")
    assert ipam.allocate(pool, used=[]) == "10.1.0.2"
    assert ipam.allocate(pool, used=["10.1.0.2", "10.1.0.3"]) == "10.1.0.4"
    assert ipam.allocate(pool, used=[], requested="10.1.0.5") == "10.1.0.5"
    with pytest.raises(errdefs.Conflict):
        ipam.allocate(pool, used=["10.1.0.5"], requested="10.1.0.5")
    with pytest.raises(errdefs.InvalidArgument):
        ipam.allocate(pool, used=[], requested="10.2.0.5")
    with pytest.raises(errdefs.Unavailable):
        ipam.allocate(pool, used=[f"10.1.0.{i}" for i in range(2, 7)])
    ranged = ipam.make_pool(subnet="10.1.0.0/24", ip_range="10.1.0.128/25")
    assert ipam.allocate(ranged, used=[]) == "10.1.0.128"  # libnetwork: the range start too


def test_mac_is_02_42_and_the_address() -> None:
    assert ipam.mac_for("172.17.0.2") == "02:42:ac:11:00:02"


def test_allocate_from_the_first_pool_with_room_or_the_requested_ones() -> None:
    first = ipam.make_pool(subnet="10.1.0.0/24", gateway="10.1.0.254", ip_range="10.1.0.0/31")
    second = ipam.make_pool(subnet="10.1.1.0/24")
    assert ipam.allocate_from([first, second], used=[]) == (first, "10.1.0.1")
    assert ipam.allocate_from([first, second], used=["10.1.0.1"]) == (second, "10.1.1.2")
    assert ipam.allocate_from([first, second], used=[], requested="10.1.1.9")[0] == second
    with pytest.raises(errdefs.InvalidArgument, match="no configured subnet"):
        ipam.allocate_from([first, second], used=[], requested="10.9.0.1")


def test_ipv6_pools_allocate_after_the_gateway() -> None:
    pool = ipam.make_pool(subnet="fd00:dead:beef::/64")
    assert (pool.gateway, pool.version) == ("fd00:dead:beef::1", 6)
    assert ipam.allocate(pool, used=["172.18.0.2"]) == "fd00:dead:beef::2"


def test_aux_addresses_are_shown_and_never_given_out() -> None:
    pool = ipam.make_pool(subnet="10.9.0.0/29", aux={"router": "10.9.0.2", "dns": "10.9.0.3"})
    assert pool.doc()["AuxiliaryAddresses"] == {"router": "10.9.0.2", "dns": "10.9.0.3"}
    got = [ipam.allocate(pool, used=[])]
    got.append(ipam.allocate(pool, used=got))
    assert got == ["10.9.0.4", "10.9.0.5"]  # .1 gateway, .2/.3 reserved
    with pytest.raises(errdefs.InvalidArgument, match="no matching subnet for aux-address"):
        ipam.make_pool(subnet="10.9.0.0/29", aux={"x": "10.8.0.1"})


def test_stored_pools_keep_their_aux_addresses() -> None:
    from dockyard.network.model import Network

    pool = ipam.make_pool(subnet="10.9.0.0/24", aux={"r": "10.9.0.9"})
    n = Network(id="a" * 64, name="n", driver="bridge", created="", pools=[pool])
    assert Network.from_json(n.to_json()).pools == [pool]
    old = {**n.to_json(), "pools": [["10.9.0.0/24", "10.9.0.1", ""]]}
    assert Network.from_json(old).pools[0].aux == ()
