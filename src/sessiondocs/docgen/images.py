"""Decoding and encoding screenshots: every unreadable image is a ``ValueError`` saying so."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError


def open_image(data: bytes | Image.Image, what: str = "image") -> Image.Image:
    """``data`` as a loaded PIL image (a PIL image is returned as is).

    Raises ``ValueError`` naming ``what`` when the bytes are empty, not an image, or truncated.
    """
    if isinstance(data, Image.Image):
        return data
    if not data:
        raise ValueError(f"the {what} is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(
            f"the {what} is not a readable image ({len(data)} bytes): {type(exc).__name__}"
        ) from None
    return image


def drawable(image: Image.Image) -> Image.Image:
    """A copy of ``image`` in RGB, or RGBA when it has transparency, ready to draw on."""
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG."""
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
