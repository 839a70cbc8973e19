"""stats: Docker's StatsJSON from cgroup v1/v2 files, and moby's pacing of the stream."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.containers.state import Status
from dockyard.containers.stats import (
    V1_MEMORY_KEYS,
    blkio_entries,
    empty_doc,
    io_stat_entries,
    net_dev,
    sample,
    stats,
    system_cpu,
)
from tests.unit.runtime.cgroups.faketree import fake_v1, fake_v2

CID = "e" * 64
INNER = f"dockyard/{CID}"
HOST_MEMORY = 8 * 1024**3
NET_DEV = (
    "Inter-|   Receive                            |  Transmit\n"
    " face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop"
    " fifo colls carrier compressed\n"
    "    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"
    "  eth0: 2000 20 1 2 0 0 0 0 3000 30 3 4 0 0 0 0\n"
)


def container(*, running: bool = True, network: str = "bridge") -> Container:
    c = Container(
        id=CID,
        name="web",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "a" * 64,
        config={},
        host_config={"NetworkMode": network},
        data_dir="/nonexistent",
        exec_dir="/nonexistent",
    )
    if running:
        c.state.status = Status.RUNNING
        c.state.pid = 4242
    return c


def fake_proc(root: Path, *, cpu_ticks: int = 1000) -> Path:
    proc = root / "proc"
    (proc / "4242" / "net").mkdir(parents=True)
    (proc / "4242" / "net" / "dev").write_text(NET_DEV)
    (proc / "meminfo").write_text(f"MemTotal:       {HOST_MEMORY // 1024} kB\nMemFree: 1 kB\n")
    (proc / "stat").write_text(
        f"cpu  {cpu_ticks} 0 {cpu_ticks} {cpu_ticks} 0 0 0 5 0 0\n"
        "cpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\nintr 1 2 3\n"
    )
    return proc


def v1_tree(tmp_path: Path) -> Any:
    tree = fake_v1(tmp_path / "cg")
    tree.populate(INNER)
    acct = tree.dir("cpu,cpuacct", INNER)
    (acct / "cpuacct.usage").write_text("123456789\n")
    (acct / "cpuacct.usage_percpu").write_text("100000000 23456789 \n")
    (acct / "cpuacct.stat").write_text("user 5\nsystem 7\n")
    (acct / "cpu.stat").write_text("nr_periods 10\nnr_throttled 2\nthrottled_time 3000\n")
    mem = tree.dir("memory", INNER)
    (mem / "memory.failcnt").write_text("0\n")
    (mem / "memory.stat").write_text("cache 4096\nrss 8192\ntotal_inactive_file 1024\nshmem 1\n")
    pids = tree.dir("pids", INNER)
    (pids / "pids.current").write_text("3\n")
    blkio = tree.dir("blkio", INNER)
    (blkio / "blkio.throttle.io_service_bytes").write_text(
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n"
    )
    (blkio / "blkio.throttle.io_serviced").write_text("8:0 Read 1\n8:0 Write 2\nTotal 3\n")
    return tree


def test_v1_sample_has_dockers_fields(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path)
    proc = fake_proc(tmp_path)
    doc = sample(container(), defaults=Defaults(), hierarchies=tree.hierarchies, proc=str(proc))
    assert doc["name"] == "/web" and doc["id"] == CID
    usage = doc["cpu_stats"]["cpu_usage"]
    assert usage["total_usage"] == 123456789
    assert usage["percpu_usage"] == [100000000, 23456789]
    assert usage["usage_in_usermode"] == 50_000_000  # 5 ticks of 1/100 s
    assert usage["usage_in_kernelmode"] == 70_000_000
    assert doc["cpu_stats"]["throttling_data"] == {
        "periods": 10,
        "throttled_periods": 2,
        "throttled_time": 3000,
    }
    assert doc["cpu_stats"]["system_cpu_usage"] == 3000 * 10**7
    assert doc["cpu_stats"]["online_cpus"] == 2
    mem = doc["memory_stats"]
    assert mem["usage"] == 1234 and mem["max_usage"] == 5678
    assert mem["limit"] == HOST_MEMORY  # unlimited: the host's memory
    assert list(mem["stats"]) == V1_MEMORY_KEYS and mem["stats"]["rss"] == 8192
    assert mem["stats"]["total_inactive_file"] == 1024 and "shmem" not in mem["stats"]
    assert "failcnt" not in mem  # omitempty
    assert doc["pids_stats"] == {"current": 3}
    assert doc["blkio_stats"]["io_service_bytes_recursive"] == [
        {"major": 8, "minor": 0, "op": "Read", "value": 4096},
        {"major": 8, "minor": 0, "op": "Write", "value": 8192},
        {"major": 8, "minor": 0, "op": "Total", "value": 12288},
    ]
    assert doc["blkio_stats"]["io_queue_recursive"] is None
    assert doc["networks"]["eth0"] == {
        "rx_bytes": 2000,
        "rx_packets": 20,
        "rx_errors": 1,
        "rx_dropped": 2,
        "tx_bytes": 3000,
        "tx_packets": 30,
        "tx_errors": 3,
        "tx_dropped": 4,
    }
    assert doc["read"].endswith("Z") and doc["num_procs"] == 0 and doc["storage_stats"] == {}


def test_memory_limit_below_host_memory_is_kept_and_none_network_has_no_networks(
    tmp_path: Path,
) -> None:
    tree = v1_tree(tmp_path)
    (tree.dir("memory", INNER) / "memory.limit_in_bytes").write_text(str(64 << 20))
    (tree.dir("pids", INNER) / "pids.max").write_text("100\n")
    proc = fake_proc(tmp_path)
    c = container(network="none")
    doc = sample(c, defaults=Defaults(), hierarchies=tree.hierarchies, proc=str(proc))
    assert doc["memory_stats"]["limit"] == 64 << 20
    assert doc["pids_stats"] == {"current": 3, "limit": 100}
    assert "networks" not in doc


def test_v2_sample(tmp_path: Path) -> None:
    tree = fake_v2(tmp_path / "cg")
    tree.populate(INNER)
    d = tree.dir(INNER)
    (d / "cpu.stat").write_text(
        "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\n"
        "nr_periods 4\nnr_throttled 1\nthrottled_usec 7\n"
    )
    (d / "memory.current").write_text("4096\n")
    (d / "memory.stat").write_text("anon 100\nfile 200\n")
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 0\noom 2\noom_kill 1\n")
    (d / "pids.current").write_text("1\n")
    (d / "io.stat").write_text("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n")
    proc = fake_proc(tmp_path)
    doc = sample(container(), defaults=Defaults(), hierarchies=tree.hierarchies, proc=str(proc))
    assert doc["cpu_stats"]["cpu_usage"] == {
        "total_usage": 2_000_000,
        "usage_in_kernelmode": 500_000,
        "usage_in_usermode": 1_500_000,
    }
    assert doc["cpu_stats"]["throttling_data"]["throttled_time"] == 7000
    mem = doc["memory_stats"]
    assert mem["usage"] == 4096 and mem["limit"] == HOST_MEMORY and mem["failcnt"] == 2
    assert mem["stats"]["anon"] == 100 and "max_usage" not in mem
    assert doc["blkio_stats"]["io_serviced_recursive"] == [
        {"major": 8, "minor": 0, "op": "read", "value": 1},
        {"major": 8, "minor": 0, "op": "write", "value": 2},
    ]


def test_parsers() -> None:
    assert blkio_entries("Total 0\n") == []
    nbytes, serviced = io_stat_entries("253:1 rbytes=1 wbytes=2\n")
    assert [e["value"] for e in nbytes] == [1, 2] and serviced == []
    assert list(net_dev(NET_DEV)) == ["eth0"]


def test_system_cpu_reads_seven_fields(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, cpu_ticks=100)
    assert system_cpu(str(proc / "stat")) == (300 * 10**7, 2)


def collect(**kwargs: Any) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        out = []
        async for doc in stats(**kwargs):
            out.append(doc)
            if len(out) == 3:
                break
        return out

    return asyncio.run(main())


def test_no_stream_primes_precpu_and_one_shot_does_not(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path)
    proc = fake_proc(tmp_path)
    common: dict[str, Any] = {
        "container": container(),
        "defaults": Defaults(),
        "running": lambda: True,
        "hierarchies": tree.hierarchies,
        "interval": 0.01,
        "proc": str(proc),
    }
    [doc] = collect(stream=False, one_shot=False, **common)
    assert doc["precpu_stats"]["cpu_usage"]["total_usage"] == 123456789
    assert doc["preread"] != "0001-01-01T00:00:00Z"
    [doc] = collect(stream=False, one_shot=True, **common)
    assert doc["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert doc["preread"] == "0001-01-01T00:00:00Z"
    docs = collect(stream=True, one_shot=False, **common)
    assert len(docs) == 3
    assert docs[0]["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert docs[1]["precpu_stats"] == docs[0]["cpu_stats"]


def test_stopped_container_gives_one_zeroed_document() -> None:
    c = container(running=False)
    docs = collect(
        container=c, stream=False, one_shot=False, defaults=Defaults(), running=lambda: False
    )
    assert docs == [empty_doc(c)]
    assert docs[0]["memory_stats"] == {} and docs[0]["read"] == "0001-01-01T00:00:00Z"
    assert docs[0]["cpu_stats"]["cpu_usage"] == {
        "total_usage": 0,
        "usage_in_kernelmode": 0,
        "usage_in_usermode": 0,
    }
