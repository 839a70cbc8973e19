"""Go value printing, DisplayablePorts, the tabwriter and docker stats' arithmetic.

The ports cases are docker's own (docker/cli v28.2.2 cli/command/formatter/container_test.go
TestDisplayablePorts); printf/float cases were checked against the docker CLI
(golden/templates_28.json holds the template-level ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.cli.format import gofmt, stats, tabwriter
from dockyard.cli.format.ports import displayable_ports

PORTS = json.loads((Path(__file__).parent / "golden" / "ports_28.json").read_text())


@pytest.mark.parametrize(("ports", "expected"), PORTS, ids=lambda v: str(v)[:40])
def test_displayable_ports_matches_docker(ports: list[dict[str, object]], expected: str) -> None:
    assert displayable_ports(ports) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567.0, "1.234567e+06"),
        (123456.0, "123456"),
        (0.5, "0.5"),
        (1e6, "1e+06"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (100.0, "100"),
        (-2.25, "-2.25"),
        (1e21, "1e+21"),
    ],
)
def test_float_v_is_go_percent_v(value: float, text: str) -> None:
    assert gofmt.go_str(value) == text


def test_go_str_of_containers_sorts_maps() -> None:
    assert gofmt.go_str({"b": [1, None], "a": {"x": True}}) == "map[a:map[x:true] b:[1 <nil>]]"
    assert gofmt.go_str(gofmt.MISSING) == "<no value>"


def test_sprintf_verbs_and_mismatches() -> None:
    assert gofmt.sprintf("%q %v %5.2f %x", ["", 1.5, "ab", "default"]) == (
        '"" 1.5 %!f(string=   ab) 64656661756c74'
    )
    assert (
        gofmt.sprintf("%-4s|%4d|%05d|%t|%d", ["x", 42, -42, True])
        == "x   |  42|-0042|true|%!d(MISSING)"
    )
    assert gofmt.sprintf("x", [1, "a"]) == "x%!(EXTRA int=1, string=a)"


def test_json_compact_and_indent_follow_encoding_json() -> None:
    value = {"a": [1, 2.0, 1e-7], "s": "<&>"}
    assert gofmt.json_compact(value) == '{"a":[1,2,1e-7],"s":"<&>"}'
    assert gofmt.json_compact(value, escape_html=True) == (
        '{"a":[1,2,1e-7],"s":"\\u003c\\u0026\\u003e"}'
    )
    assert gofmt.json_indent({"e": {}, "l": []}) == '{\n    "e": {},\n    "l": []\n}'


def test_tabwriter_pads_columns_per_block() -> None:
    text = "A\tBB\tC\nAAAAAAAAAAAA\tB\tC\nno tabs\nX\tY\n"
    # column 1: 12 + padding 3; column 2: minwidth 10; "no tabs" ends the block
    assert tabwriter.align(text) == (
        "A              BB        C\nAAAAAAAAAAAA   B         C\nno tabs\nX         Y\n"
    )


def test_tabwriter_counts_wide_runes_twice() -> None:
    assert tabwriter.align("日本語語語\tx\nab\ty\n") == "日本語語語   x\nab           y\n"


SAMPLE = json.loads((Path(__file__).parent / "golden" / "stats_sample.json").read_text())


def test_stats_entry_from_a_dockerd_sample() -> None:
    entry = stats.entry_from_stats(SAMPLE, container="web1")
    # docker stats --no-stream printed "476KiB / 23.54GiB" and "0.00%" for this container
    row = stats.StatsContext(entry)
    assert row.MemUsage() == "476KiB / 23.54GiB"
    assert row.CPUPerc() == "0.00%"
    assert row.PIDs() == "1"
    assert row.Name() == "web1"
    assert row.BlockIO() == "0B / 0B"


def test_stats_cpu_and_memory_arithmetic() -> None:
    raw = {
        "cpu_stats": {
            "cpu_usage": {"total_usage": 300},
            "system_cpu_usage": 2000,
            "online_cpus": 2,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
        "memory_stats": {"usage": 1000, "limit": 4000, "stats": {"inactive_file": 200}},
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"op": "Read", "value": 1000},
                {"op": "write", "value": 2000},
                {"op": "Total", "value": 3000},
            ]
        },
        "networks": {
            "eth0": {"rx_bytes": 1500, "tx_bytes": 10},
            "eth1": {"rx_bytes": 500, "tx_bytes": 0},
        },
        "name": "/c",
        "id": "a" * 64,
    }
    row = stats.StatsContext(stats.entry_from_stats(raw))
    assert row.CPUPerc() == "40.00%"  # (200 / 1000) * 2 CPUs * 100
    assert row.MemPerc() == "20.00%"  # (1000 - 200 inactive_file) / 4000
    assert row.NetIO() == "2kB / 10B"
    assert row.BlockIO() == "1kB / 2kB"
    assert row.ID() == "a" * 12
    header = stats.render([stats.entry_from_stats(raw)]).splitlines()[0]
    assert header == (
        "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     "
        "NET I/O     BLOCK I/O   PIDS"
    )


def test_stats_invalid_entry_prints_dashes() -> None:
    row = stats.StatsContext(stats.StatsEntry(name="/x", is_invalid=True))
    assert (row.CPUPerc(), row.MemUsage(), row.NetIO(), row.PIDs()) == ("--", "-- / --", "--", "--")
