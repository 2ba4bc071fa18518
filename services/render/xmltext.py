"""Text that XML 1.0 can carry: what the feed and the sitemap put between tags.

The articles API refuses these characters on input (422); this keeps a feed valid for
every reader even for data written before that check, or by another producer."""

from __future__ import annotations

import re

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (C0 controls but tab, LF, CR...)."""
    return NOT_XML.sub("", text)
