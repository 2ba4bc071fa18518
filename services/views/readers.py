"""Who is reading: readers are recognised without cookies (bots are bots.py's business).

A reader is a salted hash of client address and user agent. The salt is random per day
(kept in Redis for two days) and mixed with a server secret, so yesterday's hashes cannot be
linked to today's and no address is ever stored.

An IPv6 client is known by its /64, not its full address: one household or phone holds a
whole /64 and may rotate within it (privacy addresses), as one IPv4 NAT address is shared.
The address alone (without the agent) is hashed the same way for the per-address limits.
"""

from __future__ import annotations

import hashlib
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


def reader_hash(salt: str, secret: str, address: str, user_agent: str) -> str:
    digest = hashlib.blake2b(digest_size=16, key=secret.encode()[:64])
    digest.update(salt.encode())
    digest.update(b"\x00")
    digest.update(address.encode())
    digest.update(b"\x00")
    digest.update(user_agent.encode())
    return digest.hexdigest()


def address_group(address: str) -> str:
    """The unit a client is known by: an IPv4 address, or the /64 of an IPv6 address
    (an IPv4-mapped IPv6 address is its IPv4 address)."""
    if ":" not in address:
        return address
    try:
        ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))


def address_hash(salt: str, secret: str, address: str) -> str:
    """Like reader_hash, for the address alone; a distinct prefix keeps the two apart."""
    digest = hashlib.blake2b(digest_size=12, key=secret.encode()[:64], person=b"hh-address")
    digest.update(salt.encode())
    digest.update(b"\x00")
    digest.update(address.encode())
    return digest.hexdigest()
