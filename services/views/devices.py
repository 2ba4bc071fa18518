"""Device class of a reader (desktop, phone, tablet), from the User-Agent, kept as a count only.

The parser is `ua-parser` (the uap-core rules, upgraded with the `ua-parser-builtins`
package; its native `ua-parser-rs` matcher parses a new agent in microseconds). It names the
device and the operating system; the class follows from them:

- tablet: an iPad, a Kindle, a device uap-core files as a tablet, or an Android browser
  without the ``Mobile`` token (Android's own rule for telling tablets from phones);
- phone: any other device on a mobile system (iOS, Android, KaiOS ...) or named device;
- desktop: everything else (Windows, macOS, Linux, ChromeOS).
"""

from __future__ import annotations

import functools
from typing import Literal

from ua_parser import Domain
from ua_parser.loaders import load_builtins
from ua_parser.regex import Resolver

DeviceClass = Literal["desktop", "phone", "tablet"]
DEVICE_CLASSES: tuple[DeviceClass, ...] = ("desktop", "phone", "tablet")

_TABLET_FAMILIES = ("iPad", "Kindle")
_DESKTOP_FAMILIES = frozenset({"Mac", "Other", "Spider"})
_MOBILE_SYSTEMS = frozenset(
    {"iOS", "Android", "KaiOS", "Windows Phone", "BlackBerry OS", "Firefox OS", "HarmonyOS"}
)


@functools.cache
def _resolver() -> Resolver:
    """uap-core's rules compiled by the native matcher, once per process (about 0.2 s).
    Only the device and OS domains are asked for: the browser's rules are the slow third."""
    return Resolver(load_builtins())


def warm() -> None:
    """Compile the rules now rather than on the first beacon."""
    _resolver()


@functools.lru_cache(maxsize=8192)
def device_class(user_agent: str) -> DeviceClass:
    parsed = _resolver()(user_agent, Domain.DEVICE | Domain.OS)
    device, system = parsed.device, parsed.os
    family = device.family if device else "Other"
    brand = (device.brand or "") if device else ""
    system_family = system.family if system else "Other"
    if family.startswith(_TABLET_FAMILIES) or "Tablet" in family or brand.endswith("_Tablet"):
        return "tablet"
    if system_family == "Android" and "Mobile" not in user_agent:
        return "tablet"
    if system_family in _MOBILE_SYSTEMS or family not in _DESKTOP_FAMILIES:
        return "phone"
    return "desktop"
