"""`--change` instructions applied to an image config as Docker's BuildFromConfig does."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.images.changes import apply_changes, logical_lines, parse_port_spec
from dockyard.images.image import HealthConfig, ImageConfig
from dockyard.images.shellwords import process_word, split_words


def test_cmd_and_entrypoint_in_exec_and_shell_form() -> None:
    config = apply_changes(['CMD ["sh"]'])
    assert config.cmd == ("sh",)
    config = apply_changes(["CMD echo $HOME && ls"])
    assert config.cmd == ("/bin/sh", "-c", "echo $HOME && ls")  # not expanded: the shell does
    config = apply_changes(['CMD ["sh"]', 'ENTRYPOINT ["/init"]'])
    assert (config.entrypoint, config.cmd) == (("/init",), ("sh",))
    # ENTRYPOINT drops a CMD these changes did not set (it came with the image).
    config = apply_changes(['ENTRYPOINT ["/init"]'], ImageConfig(cmd=("old",)))
    assert (config.entrypoint, config.cmd) == (("/init",), None)
    config = apply_changes(["ENTRYPOINT []"])
    assert config.entrypoint == ()
    config = apply_changes(["CMD run it"], ImageConfig(shell=("/bin/bash", "-lc")))
    assert config.cmd == ("/bin/bash", "-lc", "run it")
    with pytest.raises(errdefs.InvalidArgument, match="arrays must be comprised of strings"):
        apply_changes(['CMD ["sh", 1]'])


def test_env_forms_replacement_and_expansion() -> None:
    config = apply_changes(
        [
            "ENV PATH=/bin",
            'ENV A=1 B="two words" C=${A}x',
            "ENV LEGACY value with  spaces",
            "ENV PATH=$PATH:/opt/bin",
            "env lower=case",
        ]
    )
    assert config.env == (
        "PATH=/bin:/opt/bin",
        "A=1",
        "B=two words",
        "C=x",  # pairs of one ENV expand with the environment from before it
        "LEGACY=value with  spaces",
        "lower=case",
    )
    with pytest.raises(errdefs.InvalidArgument, match=r'can\'t find = in "B"'):
        apply_changes(["ENV A=1 B"])
    with pytest.raises(errdefs.InvalidArgument, match="ENV must have two arguments"):
        apply_changes(["ENV LONELY"])
    with pytest.raises(errdefs.InvalidArgument, match="ENV names can not be blank"):
        apply_changes(["ENV =x"])


def test_label_expose_volume_user_workdir_stopsignal_onbuild() -> None:
    config = apply_changes(
        [
            'LABEL a=b "c d"=e',
            "LABEL legacy form value",
            "EXPOSE 80 443/tcp 7000-7002/udp",
            'VOLUME ["/data", "/logs"]',
            "VOLUME /cache",
            "ENV ME=app",
            "USER $ME:staff",
            "WORKDIR /srv",
            "WORKDIR ../opt/./x",
            "STOPSIGNAL SIGQUIT",
            "ONBUILD run echo hi",
        ]
    )
    assert config.labels == {"a": "b", "c d": "e", "legacy": "form value"}
    assert config.exposed_ports == ("80/tcp", "443/tcp", "7000/udp", "7001/udp", "7002/udp")
    assert config.volumes == ("/data", "/logs", "/cache")
    assert config.user == "app:staff"
    assert config.working_dir == "/opt/x"
    assert config.stop_signal == "SIGQUIT"
    assert config.on_build == ("run echo hi",)


def test_healthcheck() -> None:
    config = apply_changes(["HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/"])
    assert config.healthcheck == HealthConfig(
        test=("CMD-SHELL", "curl -f http://x/"), interval=5_000_000_000, retries=3
    )
    config = apply_changes(['HEALTHCHECK CMD ["true"]'])
    assert config.healthcheck is not None and config.healthcheck.test == ("CMD", "true")
    assert apply_changes(["HEALTHCHECK NONE"]).healthcheck == HealthConfig(test=("NONE",))
    with pytest.raises(errdefs.InvalidArgument, match="cannot be less than 1ms"):
        apply_changes(["HEALTHCHECK --timeout=1us CMD true"])
    with pytest.raises(errdefs.InvalidArgument, match='Unknown type "RUN" in HEALTHCHECK'):
        apply_changes(["HEALTHCHECK RUN true"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("RUN echo hi", "run is not a valid change command"),
        ("FROM scratch", "from is not a valid change command"),
        ("COPY a b", "copy is not a valid change command"),
        ("EXPOSE 80/icmp", "invalid proto: icmp"),
        ("EXPOSE 99999", "invalid containerPort: 99999"),
        ("STOPSIGNAL SIGNOPE", "Invalid signal: SIGNOPE"),
        ('VOLUME [""]', "VOLUME specified can not be an empty string"),
        ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        ("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
        ("USER", "USER requires exactly one argument"),
        ("CMD --flag x", "unknown flag: flag"),
    ],
)
def test_bad_changes_give_dockers_messages(change: str, message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as err:
        apply_changes([change])
    assert str(err.value) == message


def test_lines_comments_and_continuations() -> None:
    assert logical_lines("# comment\n\nENV A=1 \\\n  B=2\nCMD x") == ["ENV A=1   B=2", "CMD x"]
    assert apply_changes(["ENV A=1 \\\n B=2"]).env == ("A=1", "B=2")


def test_shell_words_and_expansion() -> None:
    assert split_words(r'a "b c" d\ e') == ["a", '"b c"', r"d\ e"]
    env = {"X": "1", "EMPTY": ""}
    assert process_word(r'"$X"-\$X-' "'$X'", env) == "1-$X-$X"
    assert process_word("${X:-no}${MISSING:-dflt}${EMPTY:-e}${EMPTY-n}", env) == "1dflte"
    assert process_word("${X:+yes}${MISSING:+no}$", env) == "yes$"
    with pytest.raises(errdefs.InvalidArgument, match="MISSING: need it"):
        process_word("${MISSING:?need it}", env)


def test_port_specs() -> None:
    assert parse_port_spec("8080") == ["8080/tcp"]
    assert parse_port_spec("127.0.0.1:80:8080/udp") == ["8080/udp"]
    assert parse_port_spec("1-2/SCTP") == ["1/sctp", "2/sctp"]
