"""network create bodies: pools per family, Docker's refusals by driver."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.network import bridge, ipam, request
from dockyard.network.model import Network, Refused


def _pools(configs: list[dict[str, str]], *, ipv6: bool = False) -> list[ipam.Pool]:
    return request.pools(configs, ipv6=ipv6, defaults=ipam.DEFAULT_POOLS, taken=[], mine=[])


def test_an_ipv4_pool_is_chosen_beside_a_given_ipv6_one() -> None:
    pools = _pools([{"Subnet": "fd00:1::/64"}], ipv6=True)
    assert [p.subnet for p in pools] == ["172.17.0.0/16", "fd00:1::/64"]


def test_ipv6_without_an_ipv6_subnet_is_refused() -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="non-overlapping IPv6 address pool"):
        _pools([], ipv6=True)


def test_subnets_of_one_network_may_not_overlap() -> None:
    with pytest.raises(errdefs.Conflict, match="Pool overlaps"):
        _pools([{"Subnet": "10.1.0.0/16"}, {"Subnet": "10.1.2.0/24"}])


def test_bridge_refuses_two_ipv4_subnets_as_docker() -> None:
    pools = _pools([{"Subnet": "10.1.0.0/24"}, {"Subnet": "10.1.1.0/24"}])
    n = Network(id="a" * 64, name="two", driver="bridge", created="", pools=pools)
    with pytest.raises(Refused, match="bridge driver doesn't support multiple subnets"):
        bridge.check(n)


def test_unavailable_and_unknown_drivers() -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="no ipvlan support"):
        request.check_driver("x", "ipvlan", exists=False)
    with pytest.raises(errdefs.NotFound, match='plugin "nope" not found'):
        request.check_driver("x", "nope", exists=False)
    with pytest.raises(Refused, match='only one instance of "host" network'):
        request.check_driver("x", "host", exists=False)
