"""The sample site's images, drawn with Pillow (no image files are shipped or copied).

Each drawing is deterministic, so seeding twice uploads the same bytes: the media library
recognises them (content addressing) and stores nothing twice.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw

Size = tuple[int, int]


def _gradient(size: Size, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def bones(size: Size = (1600, 900)) -> Image.Image:
    image = _gradient(size, (40, 90, 160), (150, 200, 235))
    draw = ImageDraw.Draw(image)
    w, h = size
    shaft = (int(w * 0.3), int(h * 0.44), int(w * 0.7), int(h * 0.56))
    draw.rounded_rectangle(shaft, radius=h // 20, fill=(245, 240, 225))
    for cx in (w * 0.3, w * 0.7):
        for dy in (-0.08, 0.08):
            r = h * 0.09
            cy = h * (0.5 + dy)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(245, 240, 225))
    return image


def sunlight(size: Size = (1600, 900)) -> Image.Image:
    image = _gradient(size, (255, 196, 120), (255, 240, 200))
    draw = ImageDraw.Draw(image)
    w, h = size
    cx, cy, r = w * 0.5, h * 0.62, h * 0.18
    for i in range(16):
        angle = math.pi * i / 8
        draw.line(
            (cx, cy, cx + math.cos(angle) * r * 2.2, cy + math.sin(angle) * r * 2.2),
            fill=(255, 170, 60),
            width=max(2, w // 200),
        )
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 150, 40))
    draw.ellipse((-w * 0.2, h * 0.7, w * 0.6, h * 1.4), fill=(70, 140, 80))
    draw.ellipse((w * 0.4, h * 0.75, w * 1.3, h * 1.5), fill=(90, 165, 95))
    return image


def water(size: Size = (1600, 900)) -> Image.Image:
    image = _gradient(size, (225, 240, 250), (180, 215, 235))
    draw = ImageDraw.Draw(image)
    w, h = size
    glass = [(w * 0.38, h * 0.15), (w * 0.62, h * 0.15), (w * 0.58, h * 0.88), (w * 0.42, h * 0.88)]
    draw.polygon(glass, outline=(90, 120, 150), width=max(2, w // 300))
    draw.polygon([(w * 0.395, h * 0.35), (w * 0.605, h * 0.35), *glass[2:]], fill=(110, 170, 220))
    for i in range(9):
        x = w * (0.45 + 0.012 * (i % 4) * 2)
        y = h * (0.45 + 0.045 * i)
        r = h * 0.012 * (1 + i % 3)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(235, 245, 255), width=2)
    return image


def bone_mass_chart(size: Size = (1200, 700)) -> Image.Image:
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    w, h = size
    left, bottom, top = w * 0.08, h * 0.9, h * 0.1
    draw.line((left, top, left, bottom, w * 0.96, bottom), fill=(60, 60, 60), width=3)
    # Relative bone mass by decade of age (illustrative shape, not data).
    mass = [0.35, 0.7, 0.95, 1.0, 0.97, 0.9, 0.78, 0.66, 0.56]
    step = (w * 0.96 - left) / len(mass)
    for i, m in enumerate(mass):
        x0 = left + i * step + step * 0.15
        colour = (11, 110, 79) if i < 5 else (200, 110, 60)
        draw.rectangle((x0, bottom - (bottom - top) * m, x0 + step * 0.7, bottom - 2), fill=colour)
    return image


DRAWINGS: dict[str, Callable[[], Image.Image]] = {
    "bones": bones,
    "sunlight": sunlight,
    "water": water,
    "bone-mass-chart": bone_mass_chart,
}


def draw(name: str) -> bytes:
    """The named drawing as JPEG bytes (what a camera or an editor would upload)."""
    out = io.BytesIO()
    DRAWINGS[name]().save(out, "JPEG", quality=88)
    return out.getvalue()
