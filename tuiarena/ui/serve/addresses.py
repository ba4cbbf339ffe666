"""Addresses for ``tuiarena serve``: which host names are loopback, the name part of a ``Host``
header, and the link to hand to voters (with the machine's own address when it binds 0.0.0.0)."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    """True for "localhost" and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name part of a Host header ("[::1]:8000" -> "[::1]", "a.b:80" -> "a.b")."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def url_for(host: str, port: int, token: str | None) -> str:
    """The address to hand to voters (for 0.0.0.0 / :: the machine's name stands in)."""
    shown = host
    if host in ("0.0.0.0", "::", ""):
        import socket

        shown = socket.gethostname()
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def outward_address() -> str | None:
    """This machine's address on the network its default route leads to (for 0.0.0.0, when the
    voters' machines cannot resolve its name); None when there is no such route. Connecting a UDP
    socket only picks a route: nothing is sent."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if is_loopback(address) or address == "0.0.0.0" else address
