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

from shared.clients import ClientAddress

__all__ = ["ClientAddress", "address_group", "address_hash", "reader_hash"]


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
