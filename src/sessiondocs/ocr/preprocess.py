"""Image preparation: any decoded image to RGB, and the Tesseract view of a screenshot.

Tesseract reads dark text on a light, even background. UI screenshots have text of every colour
on panels, buttons, selected rows and dark themes, so the image becomes "how far each pixel is
from its background", inverted: every piece of text comes out dark on white whatever its
colours, and every plain area white. A pixel's background is the colour of the plain area (a
5x5 square of one colour) nearest to it within a few pixels, which around text there always
is; where there is none (gradients, photos), a wide median filter's value. Then a 2x upscale:
Tesseract's recognizer is tuned for text a good deal taller than the 11-13 px of UI fonts.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

SCALE = 2  # upscale factor for Tesseract; boxes are divided by it on the way back
MEDIAN_SIZE = 9  # median window, in pixels of the half-size image (so ~18 px at full size)
FLAT_RADIUS = 2  # a pixel whose 5x5 square is plain is background
FLAT_TOLERANCE = 3  # gray levels of variation a plain area may have (gradients, JPEG noise)
REACH = 4  # how far, in pixels, a pixel looks for the plain area it sits on


def to_rgb(image: Image.Image) -> Image.Image:
    """The image as 8-bit RGB, transparent areas composited on white, first frame only."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # why: 16-bit and float images convert to 8 bits by clipping, which whitens them; scale
        arr = np.asarray(image, dtype=np.float64)
        span = float(arr.max() - arr.min()) or 1.0
        image = Image.fromarray(((arr - arr.min()) * (255.0 / span)).astype(np.uint8))
    return image.convert("RGB")


def background(gray: Image.Image) -> Image.Image:
    """The local background of a grayscale image: a wide median filter, computed at half size."""
    # why: a median as wide as a bold word must be about 18 px; PIL's median at that size costs
    # ~0.4 s on a 1280x800 screen, at half size 35 ms. Nearest-neighbour upscaling keeps panel
    # edges sharp (bilinear would smear them into grey halos that read as "l" and "|").
    if min(gray.size) < 2 * MEDIAN_SIZE:
        return gray.filter(ImageFilter.MedianFilter(3))
    small = gray.reduce(2).filter(ImageFilter.MedianFilter(MEDIAN_SIZE))
    return small.resize(gray.size, Image.Resampling.NEAREST)


def flat(a: np.ndarray, radius: int = FLAT_RADIUS) -> np.ndarray:
    """Mask of pixels whose whole (2r+1)-square neighbourhood is one colour: plain background."""
    padded = np.pad(a, radius, mode="edge")
    h, w = a.shape
    size = 2 * radius + 1
    rows_max = np.max([padded[:, i : i + w] for i in range(size)], axis=0)
    rows_min = np.min([padded[:, i : i + w] for i in range(size)], axis=0)
    hi = np.max([rows_max[i : i + h] for i in range(size)], axis=0)
    lo = np.min([rows_min[i : i + h] for i in range(size)], axis=0)
    return (hi - lo) <= FLAT_TOLERANCE


def nearest_plain(a: np.ndarray, plain: np.ndarray, reach: int = REACH) -> np.ndarray:
    """For each pixel, the value of a plain pixel at most ``reach`` steps away, else -1."""
    value = np.where(plain, a, -1)
    for _ in range(reach):
        missing = value < 0
        if not missing.any():
            break
        grown = value.copy()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            shifted = _shift(value, dy, dx)
            take = missing & (grown < 0) & (shifted >= 0)
            grown[take] = shifted[take]
        value = grown
    return value


def _shift(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``a`` moved by (dy, dx), -1 where nothing moved in."""
    out = np.full_like(a, -1)
    h, w = a.shape
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = a[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def normalize_background(image: Image.Image) -> Image.Image:
    """Grayscale "distance from the local background", inverted: all text dark on white."""
    gray = to_rgb(image).convert("L")
    a = np.asarray(gray, dtype=np.int16)
    # why: the median filter alone flips to the page colour inside buttons smaller than its
    # window, and their edges and corners then read as "r", "t" and "-"; the nearest plain
    # area is the right background wherever there is one
    b = nearest_plain(a, flat(a))
    if (b < 0).any():
        b = np.where(b >= 0, b, np.asarray(background(gray), dtype=np.int16))
    return Image.fromarray((255 - np.abs(a - b)).astype(np.uint8))


def upscale(image: Image.Image) -> Image.Image:
    """``image`` enlarged ``SCALE`` times (Lanczos)."""
    return image.resize((image.width * SCALE, image.height * SCALE), Image.Resampling.LANCZOS)


def for_tesseract(image: Image.Image) -> Image.Image:
    """The image Tesseract reads: background-normalized, then upscaled ``SCALE`` times."""
    return upscale(normalize_background(image))
