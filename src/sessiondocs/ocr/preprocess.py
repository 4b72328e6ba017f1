"""Image preparation: any decoded image to RGB, and the Tesseract view of a screenshot.

Tesseract reads dark text on a light, even background. UI screenshots have text of every colour
on panels, buttons, selected rows and dark themes, so the image is turned into "how far each
pixel is from its local background": grayscale, minus a median-blurred copy (the median of a
window wider than any glyph stroke is the background colour there), absolute, inverted. Every
piece of text comes out dark on white whatever its colours. Then a 2x upscale, because
Tesseract's recognizer is tuned for text a good deal taller than the 11-13 px of UI fonts.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

SCALE = 2  # upscale factor for Tesseract; boxes are divided by it on the way back
MEDIAN_SIZE = 9  # median window, in pixels of the half-size image (so ~18 px at full size)
FLAT_RADIUS = 2  # a pixel whose 5x5 square is plain is background
FLAT_TOLERANCE = 3  # gray levels of variation a plain area may have (gradients, JPEG noise)


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
    """The local background of a grayscale image: a wide median filter, computed at half size.

    # why: a median as wide as a bold word must be about 18 px; PIL's median at that size costs
    # ~0.4 s on a 1280x800 screen, at half size 35 ms. Nearest-neighbour upscaling keeps panel
    # edges sharp (bilinear would smear them into grey halos that read as "l" and "|").
    """
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


def normalize_background(image: Image.Image) -> Image.Image:
    """Grayscale "distance from the local background", inverted: all text dark on white."""
    gray = to_rgb(image).convert("L")
    a = np.asarray(gray, dtype=np.int16)
    b = np.asarray(background(gray), dtype=np.int16)
    distance = np.abs(a - b)
    # why: in a button smaller than twice the median window, with text the colour of the page
    # around it, the median flips to the page colour under the text; the button's own plain
    # pixels then read as a grey bar. A pixel in a plain square is background, whatever the median
    distance[flat(a)] = 0
    return Image.fromarray((255 - distance).astype(np.uint8))


def for_tesseract(image: Image.Image) -> Image.Image:
    """The image Tesseract reads: background-normalized, then upscaled ``SCALE`` times."""
    flat = normalize_background(image)
    return flat.resize((flat.width * SCALE, flat.height * SCALE), Image.Resampling.LANCZOS)
