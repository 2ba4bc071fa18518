"""Decoding, cleaning and resizing uploaded images with Pillow: bytes in, bytes out, no I/O.

An upload is trusted for nothing: its name and content type are ignored, and it is an image
only if Pillow decodes it as one of the accepted formats. The size in pixels is read from the
header and checked *before* the pixels are decoded, so a decompression bomb (a few kilobytes
that inflate to gigabytes) is refused without the memory it asks for; Pillow's own bomb
check (``DecompressionBombError``) is a second wall.

Metadata goes by re-encoding: the pixels are copied into a new image, which carries no EXIF
(GPS position, camera serial), no XMP, no ICC profile and no text chunks. EXIF orientation is
applied first, so a phone picture stays upright once its EXIF is gone. The cleaned original
is what the name hashes: the same picture uploaded twice gets the same name.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.articles.media.errors import ImageTooLarge, NotAnImage
from shared.media import rendition_widths

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# The longest side WebP can encode: a rendition is never taller or wider than its original,
# so refusing longer originals keeps every rendition encodable.
MAX_SIDE = 16_383
JPEG_QUALITY = 82
WEBP_QUALITY = 80


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    ext: str  # "webp" or "jpg"
    data: bytes


@dataclass(frozen=True)
class CleanImage:
    sha256: str
    ext: str  # of the cleaned original: "jpg" or "png"
    data: bytes
    width: int
    height: int
    image: Image.Image  # the decoded, cleaned pixels (for the renditions)


def decode(data: bytes, *, max_pixels: int) -> Image.Image:
    """The image in ``data``, fully decoded; NotAnImage or ImageTooLarge otherwise."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        width, height = image.size
        if width * height > max_pixels or max(width, height) > MAX_SIDE:
            raise ImageTooLarge(max_pixels, width, height)
        image.seek(0)  # an animation shows its first frame
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated or corrupt files raise OSError or SyntaxError from the decoders.
        raise NotAnImage() from exc
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def clean(image: Image.Image, source_format: str | None) -> CleanImage:
    """Upright pixels in a fresh image (no metadata at all), encoded as the original: JPEG
    for a photo that came as JPEG, PNG (lossless, keeps transparency) for anything else."""
    upright = ImageOps.exif_transpose(image) or image
    mode = "RGBA" if _has_alpha(upright) else "RGB"
    converted = upright.convert(mode)
    fresh = Image.new(mode, converted.size)
    fresh.paste(converted)
    out = io.BytesIO()
    if source_format == "JPEG" and mode == "RGB":
        ext = "jpg"
        fresh.save(out, "JPEG", quality=90, optimize=True)
    else:
        ext = "png"
        fresh.save(out, "PNG", optimize=False, compress_level=6)
    data = out.getvalue()
    return CleanImage(
        sha256=hashlib.sha256(data).hexdigest(),
        ext=ext,
        data=data,
        width=fresh.width,
        height=fresh.height,
        image=fresh,
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent areas on white, as a page would show them."""
    if image.mode != "RGBA":
        return image.convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def renditions(clean_image: CleanImage) -> list[Rendition]:
    """Every width of ``shared.media.rendition_widths`` as WebP and JPEG. Largest first, each
    made from the one before: five resizes of a big photo cost little more than one."""
    out: list[Rendition] = []
    source = clean_image.image
    for width in sorted(rendition_widths(clean_image.width), reverse=True):
        height = max(1, round(clean_image.height * width / clean_image.width))
        if source.width != width:
            source = source.resize((width, height), Image.Resampling.LANCZOS)
        webp = io.BytesIO()
        source.save(webp, "WEBP", quality=WEBP_QUALITY, method=4)
        jpeg = io.BytesIO()
        _flatten(source).save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        out.append(Rendition(width, height, "webp", webp.getvalue()))
        out.append(Rendition(width, height, "jpg", jpeg.getvalue()))
    return sorted(out, key=lambda r: (r.width, r.ext))


def process(data: bytes, *, max_pixels: int) -> tuple[CleanImage, list[Rendition]]:
    image = decode(data, max_pixels=max_pixels)
    cleaned = clean(image, image.format)
    return cleaned, renditions(cleaned)
