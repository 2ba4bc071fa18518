"""Who the client is: X-Forwarded-For is believed only when it comes from a trusted proxy.

Every service that needs a client address (views: the reader hash; articles: rate limits)
resolves it here, from the ASGI peer and the header, so the uvicorn processes run with
``--no-proxy-headers`` and a client cannot choose its own address by sending the header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


def _parse_networks(trusted: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(t, strict=False) for t in trusted]


class ClientAddress:
    """Works out the client address, trusting X-Forwarded-For only from trusted proxies."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.networks = _parse_networks(trusted_proxies)
        # Single trusted addresses (the usual case: the local gateway), as the canonical text
        # an ASGI server reports, are checked by a set lookup: parsing every address with
        # the ipaddress module costs more than the rest of the beacon's Python work.
        self.exact = frozenset(
            str(n.network_address) for n in self.networks if n.num_addresses == 1
        )
        self.ranges = [n for n in self.networks if n.num_addresses > 1]

    def _trusted(self, address: str) -> bool:
        if address in self.exact:
            return True
        # An IPv4 address not in the set is not trusted unless some range is configured
        # (ipaddress refuses non-canonical IPv4 spellings anyway); an IPv6 address may be
        # spelled many ways, so it is always parsed.
        if not self.ranges and ":" not in address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str:
        peer = peer or "unknown"
        if not forwarded_for or not self._trusted(peer):
            return peer
        # Walk from the right: the first hop that is not one of our proxies is the client.
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else peer
