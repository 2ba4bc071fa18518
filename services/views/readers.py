"""Who is reading: readers are recognised without cookies (bots are bots.py's business).

A reader is a salted hash of client address and user agent. The salt is random per day
(kept in Redis for two days) and mixed with a server secret, so yesterday's hashes cannot be
linked to today's and no address is ever stored.

An IPv6 client is known by its /64, not its full address: one household or phone holds a
whole /64 and may rotate within it (privacy addresses), as one IPv4 NAT address is shared.
The address alone (without the agent) is hashed the same way for the per-address limits.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress

from shared.clients import ClientAddress

__all__ = ["ClientAddress", "address_group", "address_hash", "reader_hash"]


def reader_hash(salt: str, secret: str, address: str, user_agent: str) -> str:
    digest = _keyed(salt, secret, b"").copy()
    digest.update(address.encode())
    digest.update(b"\x00")
    digest.update(user_agent.encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _keyed(salt: str, secret: str, person: bytes) -> hashlib.blake2b:
    """The keyed hash with the day's salt already fed in, made once per day and copied per
    beacon: setting a BLAKE2b key up costs as much as hashing a beacon's own bytes. A copy
    continues the same stream, so the digests are those of hashing it all at once."""
    size = 12 if person else 16
    digest = hashlib.blake2b(digest_size=size, key=secret.encode()[:64], person=person)
    digest.update(salt.encode())
    digest.update(b"\x00")
    return digest


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
    digest = _keyed(salt, secret, b"hh-address").copy()
    digest.update(address.encode())
    return digest.hexdigest()
