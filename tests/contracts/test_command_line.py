"""What both command lines share (contracts/command_line.py): one port rule, one version."""

from __future__ import annotations

import argparse
import socket

import pytest

from contracts import cli as kit_cli
from contracts.command_line import bound_socket, port, version
from mock_server import cli as sandbox_cli

START_AT = "2026-03-02T08:00:00Z"  # a Monday: the sandbox never reads the calendar


@pytest.mark.parametrize(("text", "number"), [("0", 0), ("8090", 8090), ("65535", 65535)])
def test_a_port_is_digits_from_0_to_65535(text: str, number: int) -> None:
    assert port(text) == number


@pytest.mark.parametrize("text", ["65536", "70000", "-1", "+80", " 80", "80 ", "8_0", "", "８０", "http"])
def test_anything_else_is_not_a_port(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"is not a port number \(0 to 65535\)"):
        port(text)


@pytest.mark.parametrize("text", ["70000", "+80", "-1"])
def test_both_commands_refuse_the_same_ports_in_the_same_words(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for main, argv in ((kit_cli.main, ["proxy", "--target", "http://127.0.0.1:9", "--port", text]),
                       (sandbox_cli.main, ["serve", "--port", text])):
        with pytest.raises(SystemExit) as ended:
            main(argv)
        assert ended.value.code == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.endswith(f"argument --port: '{text}' is not a port number (0 to 65535)"), last


def test_both_commands_print_the_one_version(capsys: pytest.CaptureFixture[str]) -> None:
    for main, prog in ((kit_cli.main, "batchcalls-contract"), (sandbox_cli.main, "batchcalls-mock")):
        with pytest.raises(SystemExit) as ended:
            main(["--version"])
        assert ended.value.code == 0
        assert capsys.readouterr().out.split() == [prog, version()]


@pytest.mark.parametrize("text", ["nan", "inf", "Infinity"])
def test_the_kit_refuses_a_timeout_that_is_no_number(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        kit_cli.main(["run", "--base-url", "http://127.0.0.1:9/api", "--api-key", "k", "--timeout", text])
    assert ended.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"argument --timeout: '{text}' is not a number")


def test_both_commands_refuse_a_taken_port_in_the_same_words(capsys: pytest.CaptureFixture[str]) -> None:
    """Both listen through `bound_socket`: a port another socket listens on is one sentence, exit 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = taken.getsockname()[1]
        kit = ["proxy", "--target", "http://127.0.0.1:9", "--port", str(number)]
        sandbox = ["serve", "--clock", "manual", "--start-at", START_AT, "--port", str(number)]
        for main, argv in ((kit_cli.main, kit), (sandbox_cli.main, sandbox)):
            assert main(argv) == 2
            assert f"cannot listen on 127.0.0.1:{number}: " in capsys.readouterr().err


def test_a_bound_socket_is_of_the_hosts_family_and_not_yet_listening() -> None:
    with bound_socket("127.0.0.1", 0) as sock:
        assert sock.family == socket.AF_INET and sock.getsockname()[1] > 0
        with pytest.raises(OSError):  # not listening: nothing can connect before its server starts
            socket.create_connection(sock.getsockname()[:2], timeout=1).close()
