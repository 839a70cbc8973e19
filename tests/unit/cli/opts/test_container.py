# ruff: noqa: E501 -- the expected messages are docker's, verbatim, one case a line
"""`run`/`create` flags -> the create body, against what docker 28's CLI sends (bodies
captured from `docker create` against a recording socket) and docker's error messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockyard.cli import flags as cliflags
from dockyard.cli.command import Options
from dockyard.cli.opts.container import build
from dockyard.cli.opts.errors import FlagValueError, OptionError
from dockyard.cli.opts.flagdefs import CONTAINER_FLAGS, image_flags

FLAGS = image_flags("Pull image") + CONTAINER_FLAGS


def body(*argv: str, environ: dict[str, str] | None = None) -> dict[str, object]:
    parsed = cliflags.parse(FLAGS, list(argv), interspersed=False)
    opts = Options(FLAGS, parsed.values)
    return build(opts, parsed.args[0], parsed.args[1:], environ=environ or {})


def host(*argv: str) -> dict[str, object]:
    hc = body(*argv)["HostConfig"]
    assert isinstance(hc, dict)
    return hc


def error(*argv: str) -> str:
    try:
        body(*argv)
    except cliflags.FlagError as err:  # the parser's own checks (bytes, durations, --cpus)
        return str(err)
    except FlagValueError as err:
        return f'invalid argument "{err.value}" for "{err.label}" flag: {err.reason}'
    except OptionError as err:
        return f"docker: {err}"
    raise AssertionError("no error")


# docker 28.2 `docker create busybox echo hi`, captured
DOCKER_DEFAULT = json.loads(
    """{"Hostname": "", "Domainname": "", "User": "", "AttachStdin": false,
 "AttachStdout": true, "AttachStderr": true, "Tty": false, "OpenStdin": false,
 "StdinOnce": false, "Env": null, "Cmd": ["echo", "hi"], "Image": "busybox", "Volumes": {},
 "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": {},
 "HostConfig": {"Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
 "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no",
 "MaximumRetryCount": 0}, "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null,
 "ConsoleSize": [0, 0], "CapAdd": null, "CapDrop": null, "CgroupnsMode": "", "Dns": [],
 "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null, "IpcMode": "",
 "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "", "Privileged": false,
 "PublishAllPorts": false, "ReadonlyRootfs": false, "SecurityOpt": null, "UTSMode": "",
 "UsernsMode": "", "ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
 "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [],
 "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
 "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
 "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null,
 "DeviceRequests": null, "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": -1,
 "OomKillDisable": false, "PidsLimit": 0, "Ulimits": [], "CpuCount": 0, "CpuPercent": 0,
 "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "MaskedPaths": null, "ReadonlyPaths": null},
 "NetworkingConfig": {"EndpointsConfig": {"default": {"IPAMConfig": null, "Links": null,
 "Aliases": null, "MacAddress": "", "DriverOpts": null, "GwPriority": 0, "NetworkID": "",
 "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
 "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null}}}}"""
)


def test_default_body_is_dockers_field_for_field_in_order() -> None:
    ours = body("busybox", "echo", "hi")
    assert ours == DOCKER_DEFAULT
    assert list(ours) == list(DOCKER_DEFAULT)
    assert list(ours["HostConfig"]) == list(DOCKER_DEFAULT["HostConfig"])  # type: ignore[arg-type]


def test_interactive_tty_sets_stdin_once_and_attach_flags() -> None:
    b = body("-it", "busybox", "sh")
    assert (b["AttachStdin"], b["OpenStdin"], b["StdinOnce"], b["Tty"]) == (True, True, True, True)


def test_attach_list_selects_streams_case_insensitively() -> None:
    b = body("-a", "stdin", "-a", "STDOUT", "busybox")
    assert (b["AttachStdin"], b["AttachStdout"], b["AttachStderr"]) == (True, True, False)


def test_env_file_then_flags_with_host_lookup(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nA=1\n\n  HOSTVAR\nUNSET\nB= x\n")
    b = body(
        "-e", "X=1", "-e", "HOSTVAR", "--env-file", str(env_file), "busybox",
        environ={"HOSTVAR": "hv"},
    )  # fmt: skip
    assert b["Env"] == ["A=1", "HOSTVAR=hv", "B= x", "X=1", "HOSTVAR=hv"]


def test_env_without_host_value_is_kept_bare() -> None:
    assert body("-e", "NOPE", "busybox")["Env"] == ["NOPE"]


def test_labels_from_file_and_flags(tmp_path: Path) -> None:
    f = tmp_path / "labels"
    f.write_text("a=1\nbare\n")
    assert body("--label-file", str(f), "-l", "a=2", "-l", "c", "busybox")["Labels"] == {
        "a": "2",
        "c": "",
    }


def test_publish_specs_as_docker_parses_them() -> None:
    b = body(
        "-p", "127.0.0.1:8080:80/udp", "-p", "9000-9001:90-91", "-p", "[::1]:5000:5000",
        "-p", "7000", "-p", "8000-8010:81", "-p", "127.0.0.1::82", "--expose", "100-101",
        "busybox",
    )  # fmt: skip
    assert b["ExposedPorts"] == {
        p: {}
        for p in (
            "100/tcp",
            "101/tcp",
            "5000/tcp",
            "7000/tcp",
            "80/udp",
            "81/tcp",
            "82/tcp",
            "90/tcp",
            "91/tcp",
        )
    }
    assert b["HostConfig"]["PortBindings"] == {  # type: ignore[index]
        "5000/tcp": [{"HostIp": "::1", "HostPort": "5000"}],
        "7000/tcp": [{"HostIp": "", "HostPort": ""}],
        "80/udp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
        "81/tcp": [{"HostIp": "", "HostPort": "8000-8010"}],
        "82/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
        "90/tcp": [{"HostIp": "", "HostPort": "9000"}],
        "91/tcp": [{"HostIp": "", "HostPort": "9001"}],
    }


def test_publish_long_syntax() -> None:
    b = body("-p", "published=80,target=8080,protocol=udp", "busybox")
    assert b["HostConfig"]["PortBindings"] == {"8080/udp": [{"HostIp": "", "HostPort": "80"}]}  # type: ignore[index]


def test_volumes_binds_named_and_anonymous() -> None:
    b = body("-v", "/tmp:/x:ro", "-v", "/anon", "-v", "named:/n", "-v", "./rel:/r", "busybox")
    assert b["Volumes"] == {"/anon": {}}
    rel = os.path.abspath("./rel")
    assert b["HostConfig"]["Binds"] == ["/tmp:/x:ro", "named:/n", f"{rel}:/r"]  # type: ignore[index]


def test_mounts_tmpfs_volume_and_bind() -> None:
    hc = host(
        "--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777",
        "--mount", "src=vol,dst=/v,volume-label=k=v,volume-opt=o=p,volume-nocopy",
        "--mount", "type=bind,source=/src,destination=/b,readonly,bind-propagation=rshared",
        "busybox",
    )  # fmt: skip
    assert hc["Mounts"] == [
        {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1 << 20, "Mode": 0o1777}},
        {
            "Type": "volume",
            "Source": "vol",
            "Target": "/v",
            "VolumeOptions": {
                "Labels": {"k": "v"},
                "DriverConfig": {"Options": {"o": "p"}},
                "NoCopy": True,
            },
        },
        {
            "Type": "bind",
            "Source": "/src",
            "Target": "/b",
            "ReadOnly": True,
            "BindOptions": {"Propagation": "rshared"},
        },
    ]


def test_resources_and_misc_host_config() -> None:
    hc = host(
        "--tmpfs", "/run:size=1m", "--ulimit", "nproc=10", "--ulimit", "nofile=1024:2048",
        "--device", "/dev/null:/dev/xnull:r", "--device", "/dev/zero", "--cap-add", "net_admin",
        "--cap-drop", "ALL", "--sysctl", "net.ipv4.ip_forward=1", "--add-host", "h=::1",
        "--dns", "8.8.8.8", "--restart", "on-failure:3", "-m", "64m", "--memory-swap", "-1",
        "--cpus", "1.5", "--pids-limit", "100", "--shm-size", "128m", "--init",
        "--security-opt", "systempaths=unconfined", "busybox",
    )  # fmt: skip
    assert hc["Tmpfs"] == {"/run": "size=1m"}
    assert hc["Ulimits"] == [
        {"Name": "nofile", "Hard": 2048, "Soft": 1024},
        {"Name": "nproc", "Hard": 10, "Soft": 10},
    ]
    assert hc["Devices"] == [
        {"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull", "CgroupPermissions": "r"},
        {"PathOnHost": "/dev/zero", "PathInContainer": "/dev/zero", "CgroupPermissions": "rwm"},
    ]
    assert (hc["CapAdd"], hc["CapDrop"]) == (["CAP_NET_ADMIN"], ["ALL"])
    assert hc["ExtraHosts"] == ["h:::1"]
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert (hc["Memory"], hc["MemorySwap"], hc["NanoCpus"]) == (64 << 20, -1, 1_500_000_000)
    assert (hc["PidsLimit"], hc["ShmSize"], hc["Init"]) == (100, 128 << 20, True)
    assert (hc["SecurityOpt"], hc["MaskedPaths"], hc["ReadonlyPaths"]) == (None, [], [])


def test_entrypoint_empty_string_resets() -> None:
    assert body("--entrypoint=", "busybox")["Entrypoint"] == [""]
    assert body("--entrypoint", "sh", "busybox", "-c", "x")["Entrypoint"] == ["sh"]
    assert body("busybox")["Entrypoint"] is None


def test_healthcheck_and_stop_timeout() -> None:
    b = body("--health-cmd", "true", "--health-interval", "1m30s", "--health-retries", "3",
             "--stop-timeout", "0", "busybox")  # fmt: skip
    assert b["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 90 * 10**9, "Retries": 3}
    assert b["StopTimeout"] == 0
    assert body("--no-healthcheck", "busybox")["Healthcheck"] == {"Test": ["NONE"]}


def test_user_defined_network_with_alias_and_ip() -> None:
    b = body("--network", "mynet", "--network-alias", "al", "--ip", "10.0.0.5", "busybox")
    eps = b["NetworkingConfig"]["EndpointsConfig"]  # type: ignore[index]
    assert list(eps) == ["mynet"]
    assert eps["mynet"]["Aliases"] == ["al"]
    assert eps["mynet"]["IPAMConfig"] == {"IPv4Address": "10.0.0.5"}
    assert b["HostConfig"]["NetworkMode"] == "mynet"  # type: ignore[index]


def test_single_plain_network_sends_no_endpoint() -> None:
    b = body("--network", "host", "busybox")
    assert b["NetworkingConfig"] == {"EndpointsConfig": {}}


# Messages checked against docker 28.2 (`docker create ...` on a recording socket).
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-e", "=x"], 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x'),
        (["-p", "1:2:3:4/xx"], "docker: invalid IP address: 1:2"),
        (["-p", "80/xx"], "docker: invalid proto: xx"),
        (["-p", "abc"], "docker: invalid containerPort: abc"),
        (["-p", "1-2:1-3"], "docker: invalid ranges specified for container and host Ports: 1-3 and 1-2"),
        (["-p", "127.0.0.1:x:80"], "docker: invalid hostPort: x"),
        (["-p", "published=80,bad"], "docker: invalid publish opts format (should be name=value but got 'bad')"),
        (["--expose", "1:2"], "docker: invalid port format for --expose: 1:2"),
        (["-v", ""], "docker: invalid empty volume spec"),
        (["-v", "/a::b"], "docker: invalid spec: /a::b: empty section between colons"),
        (["-v", "/a:/b:ro:x"], "docker: invalid spec: /a:/b:ro:x: too many colons"),
        (["--mount", "foo"], """invalid argument "foo" for "--mount" flag: invalid field 'foo' must be a key=value pair"""),
        (["--mount", "type=bind"], 'invalid argument "type=bind" for "--mount" flag: target is required'),
        (["--mount", "target=/x,bogus=1"], """invalid argument "target=/x,bogus=1" for "--mount" flag: unexpected key 'bogus' in 'bogus=1'"""),
        (["--mount", "type=bind,target=/x,volume-label=a=b"], """invalid argument "type=bind,target=/x,volume-label=a=b" for "--mount" flag: cannot mix 'volume-*' options with mount type 'bind'"""),
        (["--mount", "type=tmpfs,target=/x,tmpfs-mode=999"], 'invalid argument "type=tmpfs,target=/x,tmpfs-mode=999" for "--mount" flag: invalid value for tmpfs-mode: 999'),
        (["--ulimit", "nofile"], 'invalid argument "nofile" for "--ulimit" flag: invalid ulimit argument: nofile'),
        (["--ulimit", "bogus=1"], 'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus'),
        (["--ulimit", "nofile=2:1"], 'invalid argument "nofile=2:1" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 2 > 1'),
        (["--ulimit", "nofile=x"], 'invalid argument "nofile=x" for "--ulimit" flag: strconv.ParseInt: parsing "x": invalid syntax'),
        (["--device", "/dev/null:/x:rwz"], "docker: bad mode specified: rwz"),
        (["--device", "/dev/null:rel"], "docker: rel is not an absolute path"),
        (["--device-cgroup-rule", "bad"], """invalid argument "bad" for "--device-cgroup-rule" flag: invalid device cgroup format 'bad'"""),
        (["-a", "foo"], 'invalid argument "foo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR'),
        (["--add-host", "bad"], 'invalid argument "bad" for "--add-host" flag: bad format for add-host: "bad"'),
        (["--add-host", "h:notip"], 'invalid argument "h:notip" for "--add-host" flag: invalid IP address in add-host: "notip"'),
        (["--dns", "1.2.3"], 'invalid argument "1.2.3" for "--dns" flag: IP address is not correctly formatted: 1.2.3'),
        (["--link", "a:b:c"], 'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c'),
        (["--sysctl", "kernel.foo=1"], """invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl 'kernel.foo=1' is not allowed"""),
        (["--restart", ":3"], "docker: invalid restart policy format: no policy provided before colon"),
        (["--restart", "on-failure:x"], "docker: invalid restart policy format: maximum retry count must be an integer"),
        (["--restart", "always", "--rm"], "docker: conflicting options: cannot specify both --restart and --rm"),
        (["--pid", "bogus"], "docker: --pid: invalid PID mode"),
        (["--uts", "x"], "docker: --uts: invalid UTS mode"),
        (["--userns", "x"], "docker: --userns: invalid USER mode"),
        (["--cgroupns", "x"], "docker: --cgroupns: invalid CGROUP mode"),
        (["--security-opt", "foo"], 'docker: Invalid --security-opt: "foo"'),
        (["--storage-opt", "foo"], "docker: invalid storage option"),
        (["--log-driver", "none", "--log-opt", "a=b"], "docker: invalid logging opts for driver none"),
        (["--no-healthcheck", "--health-cmd", "x"], "docker: --no-healthcheck conflicts with --health-* options"),
        (["--health-interval=-1s"], "docker: --health-interval cannot be negative"),
        (["--memory-swappiness", "200"], "docker: invalid value: 200. Valid memory swappiness range is 0-100"),
        (["--mac-address", "zz"], "docker: zz is not a valid mac address"),
        (["--network-alias", "a"], "docker: network-scoped aliases are only supported for user-defined networks"),
        (["--network", "a", "--network", "a"], 'docker: network "a" is specified multiple times'),
        (["--network", "host", "--network", "mynet"], "docker: conflicting options: cannot attach both user-defined and non-user-defined network-modes"),
        (["--blkio-weight-device", "/dev/sda:5"], 'invalid argument "/dev/sda:5" for "--blkio-weight-device" flag: invalid weight for device: /dev/sda:5'),
        (["--cpus", "1.0000000001"], 'invalid argument "1.0000000001" for "--cpus" flag: value is too precise'),
    ],
)  # fmt: skip
def test_errors_are_dockers(argv: list[str], message: str) -> None:
    assert error(*argv, "busybox") == message


def test_env_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "envf"
    bad.write_text("B = x\n")
    assert error("--env-file", str(bad), "busybox") == (
        f"docker: invalid env file ({bad}): variable 'B ' contains whitespaces"
    )
    assert error("--env-file", "/nonexistent", "busybox") == (
        "docker: open /nonexistent: no such file or directory"
    )


def test_gpus_refused_clearly() -> None:
    assert "not supported" in error("--gpus", "all", "busybox")
