"""Who is logging in, as far as login throttling is concerned: the client's IP address.

The app sees the address of the connection's peer (`st.context.ip_address` in the UI).
Behind a reverse proxy that peer is the proxy, shared by every user, so the address the
proxy forwards in `X-Forwarded-For` is used instead — but only when the peer is one of the
proxies the admin trusts (TRUSTED_PROXIES): anyone else can write that header. The header
is read from the right (the entry the nearest trusted proxy appended) past trusted hops.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = "127.0.0.1"  # Streamlit reports no address for a connection from this machine


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """`10.0.0.0/8, 192.168.1.5` (or a list of those) as networks; raises ValueError."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def client_address(
    peer: str | None, forwarded_for: str | None = None, trusted: Sequence[Network] = ()
) -> str:
    """The client's address: the peer's, or behind trusted proxies the forwarded one."""
    current = _ip(peer) or ipaddress.ip_address(LOOPBACK)
    if not _is_trusted(current, trusted) or not forwarded_for:
        return str(current)
    for hop in reversed(forwarded_for.split(",")):
        address = _ip(hop)
        if address is None:  # malformed: stop at the last hop we could believe
            break
        current = address
        if not _is_trusted(address, trusted):
            break
    return str(current)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]
) -> bool:
    return any(address.version == net.version and address in net for net in trusted)
