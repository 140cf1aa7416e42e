"""The dashboard as the README's start command serves it listens on this machine only: a browser
on the loopback address gets the app, a connection to the machine's network address is refused
(it has no login: anyone who reaches the port could start and delete runs)."""

import socket
import urllib.parse

import pytest


def network_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None if it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_start_command_listens_on_localhost_only(app_server):
    port = urllib.parse.urlsplit(app_server.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # the app answers here
    address = network_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=5):
        pass
