"""Test images, drawn with Pillow on the spot (no image files in the repository)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw

GPS_IFD = 0x8825
CAMERA_MAKE = "SecretPhoneCo"


def photo(width: int = 1500, height: int = 1000, *, seed: int = 0) -> Image.Image:
    """A gradient with shapes: compresses like a picture, not like a flat colour."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 5, height // 5, width // 2, height // 2), fill=(200, 40 + seed, 90))
    draw.rectangle(
        (width // 2, height // 3, width - 10, height - 10), outline=(10, 120, 200), width=8
    )
    return image


def jpeg(width: int = 1500, height: int = 1000, *, seed: int = 0) -> bytes:
    out = io.BytesIO()
    photo(width, height, seed=seed).save(out, "JPEG", quality=85)
    return out.getvalue()


def png_with_alpha(width: int = 700, height: int = 400) -> bytes:
    image = photo(width, height).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((width, height)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(width: int = 1200, height: int = 800) -> bytes:
    """A phone picture: EXIF with the camera make and a GPS position (London)."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE  # Make
    exif[0x0131] = "SecretSoftware 1.0"  # Software
    exif[GPS_IFD] = {
        1: "N",
        2: (51.0, 30.0, 26.0),
        3: "W",
        4: (0.0, 7.0, 39.0),
    }
    out = io.BytesIO()
    photo(width, height).save(out, "JPEG", exif=exif.tobytes(), quality=85)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the fixture has GPS"
    return data


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of ``width`` x ``height`` black pixels: a few kilobytes that
    decode to width x height pixels (a decompression bomb), built without holding them."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
