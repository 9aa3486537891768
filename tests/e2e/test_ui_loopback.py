"""The UI listens on the loopback interface only, as `make ui` starts it by default."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.conftest import dagster_dev, graphql

LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp and tcp6 print them) of sockets listening on `port`."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


def outside_address() -> str | None:
    """This machine's address on its default route (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for a UDP connect
        except OSError:
            return None
        address = str(sock.getsockname()[0])
    return None if address.startswith("127.") else address


def test_make_ui_listens_on_loopback_only(tmp_path: Path) -> None:
    """`make ui` binds the webserver to 127.0.0.1: reachable there, on no other interface."""
    make = lambda port: ["make", "--no-print-directory", "-C", str(REPO), "ui", f"PORT={port}"]  # noqa: E731
    with dagster_dev(tmp_path, command=make) as port:
        assert graphql(port, "{ version }")["version"]
        # 0100007F is 127.0.0.1 in /proc/net/tcp; a wildcard bind would show 00000000 or :: instead.
        assert listening_addresses(port) == {"0100007F"}
        outside = outside_address()
        if outside is not None:
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((outside, port)) != 0, f"the UI answers on {outside}"
