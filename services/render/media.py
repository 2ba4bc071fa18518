"""Library images as HTML: a <picture> with WebP and JPEG srcsets, width and height (pure).

The browser picks the smallest file that fills the slot (``sizes``: the article column is
46rem wide less its padding); ``width`` and ``height`` give the box its aspect ratio before a
byte of the image arrives, so the text below never jumps (no layout shift). Everything here
comes from the snapshot (shared.media.MediaImage): render never asks articles about media.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from shared.media import MEDIA_REF_RE, MediaImage

# The article column: 46rem less 2 x 1rem of padding, full width below that.
COLUMN_SIZES = "(max-width: 46rem) calc(100vw - 2rem), 44rem"
# The fallback <img src> for browsers without srcset: the first rendition this wide or wider.
FALLBACK_WIDTH = 960

_IMG = re.compile(r"<img\b([^>]*)>")
_ATTR = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
_MEDIA_HREF = re.compile(r'\s+href="media:[^"]*"')


def picture(
    image: MediaImage,
    *,
    alt: str,
    lazy: bool = True,
    css_class: str | None = None,
    sizes: str = COLUMN_SIZES,
) -> str:
    """``sizes``: the slot's width (the article column unless told, e.g. a portrait's)."""
    fallback = next((w for w in image.widths if w >= FALLBACK_WIDTH), image.widths[-1])
    width = image.widths[-1]
    attrs = [
        f'src="{image.url(fallback, "jpg")}"',
        f'srcset="{image.srcset("jpg")}"',
        f'sizes="{sizes}"',
        f'width="{width}"',
        f'height="{image.height_at(width)}"',
        f'alt="{html.escape(alt, quote=True)}"',
        'loading="lazy" decoding="async"' if lazy else 'fetchpriority="high"',
    ]
    if css_class:
        attrs.insert(0, f'class="{css_class}"')
    return (
        f'<picture><source type="image/webp" srcset="{image.srcset("webp")}" '
        f'sizes="{sizes}"><img {" ".join(attrs)}></picture>'
    )


def resolve_images(clean_html: str, media: Mapping[int, MediaImage]) -> str:
    """Replace each sanitised ``<img src="media:<id>">`` with its <picture>; drop every other
    <img> (an external image, a library image the snapshot does not carry) and every
    ``href="media:..."`` (a link to the media scheme goes nowhere on the web)."""

    def replace(match: re.Match[str]) -> str:
        attrs = {k: html.unescape(v) for k, v in _ATTR.findall(match.group(1))}
        ref = MEDIA_REF_RE.fullmatch(attrs.get("src", "").strip())
        image = media.get(int(ref.group(1))) if ref else None
        if image is None:
            return ""
        return picture(image, alt=attrs.get("alt") or image.alt)

    return _MEDIA_HREF.sub("", _IMG.sub(replace, clean_html))
