"""Documentation exported as Markdown (one file, images embedded), as a ZIP of Markdown with
images, as one HTML file and as a PDF.

Every text in a documentation may come from OCR, that is from whatever was on the user's
screen, so it is escaped for the format it lands in: Markdown punctuation is backslash-escaped
and HTML is entity-escaped (the HTML file also forbids scripts with a Content-Security-Policy).
Screenshots get the step's changed region outlined.
"""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile
from collections.abc import Callable, Mapping

from PIL import ImageDraw

from sessiondocs.docgen.images import drawable, open_image, png_bytes
from sessiondocs.docgen.lines import Box
from sessiondocs.docgen.model import Documentation, Step

OUTLINE = "#e11d48"
OUTLINE_WIDTH = 3
OUTLINE_GAP = 3  # pixels between the changed region and the outline, so it hides nothing
MARKER_RADIUS = 14  # the smallest ring drawn where a click landed (wider screens get more)

ImagePath = Callable[[Step], str | None]


def default_image_path(step: Step) -> str:
    """Where a step's screenshot sits beside index.md: ``images/step-NN.png``."""
    return f"images/step-{step.number:02d}.png"


def highlight(png: bytes, box: Box | None, marker: tuple[int, int] | None = None) -> bytes:
    """``png`` with a 3 px outline drawn just outside ``box`` and a ring around ``marker`` (where
    a click landed); ``png`` itself when both are None.

    Raises ``ValueError`` when ``png`` is not a readable image.
    """
    if box is None and marker is None:
        return bytes(png)
    image = drawable(open_image(png, "screenshot"))
    width, height = image.size
    draw = ImageDraw.Draw(image)
    if box is not None:
        left, top, w, h = box
        x0 = max(0, left - OUTLINE_GAP - OUTLINE_WIDTH)
        y0 = max(0, top - OUTLINE_GAP - OUTLINE_WIDTH)
        x1 = min(width - 1, left + w - 1 + OUTLINE_GAP + OUTLINE_WIDTH)
        y1 = min(height - 1, top + h - 1 + OUTLINE_GAP + OUTLINE_WIDTH)
        if x1 > x0 and y1 > y0:
            draw.rectangle((x0, y0, x1, y1), outline=OUTLINE, width=OUTLINE_WIDTH)
    if marker is not None:
        x, y = marker
        # why: a ring, not a dot, so what was clicked stays readable inside it; sized to the
        # screenshot, so it still shows when a page or a column scales the image down
        r = max(MARKER_RADIUS, round(width / 50))
        ring = max(OUTLINE_WIDTH, round(width / 320))
        draw.ellipse((x - r, y - r, x + r, y + r), outline=OUTLINE, width=ring)
    return png_bytes(image)


def _highlighted(step: Step, images: Mapping[str, bytes]) -> bytes | None:
    """The step's screenshot with its region outlined; None when missing or unreadable."""
    png = images.get(step.screenshot_id)
    if png is None:
        return None
    try:
        return highlight(png, step.highlight, step.marker)
    except ValueError:
        return None


# --- Markdown -------------------------------------------------------------------------------

# why: only what can start markup mid-line; "(" or "!" cannot once "[" and "]" are escaped
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


def md_escape(text: str) -> str:
    """``text`` on one line, with Markdown and inline-HTML punctuation backslash-escaped."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    # why: the backslash goes before the punctuation ("1\." not "\1."): digits have no escape
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", text)


def _md_url(path: str) -> str:
    # why: a path with spaces or parentheses only survives inside <...>
    if not re.search(r"[\s()<>]", path):
        return path
    return "<" + path.replace("<", "%3C").replace(">", "%3E") + ">"


def _md_step(step: Step, path: str | None) -> str:
    title = md_escape(step.title)
    parts = [f"## {step.number}. {title}"]
    if step.description.strip():
        parts.append(md_escape(step.description))
    if path:
        parts.append(f"![Step {step.number}: {title}]({_md_url(path)})")
    return "\n\n".join(parts)


def to_markdown(doc: Documentation, image_path: ImagePath = default_image_path) -> str:
    """The documentation as Markdown: title, summary, then one section per step with its image.

    ``image_path`` gives each step's image link; a step for which it returns None or "" gets no
    image.
    """
    parts = [f"# {md_escape(doc.title) or 'Documentation'}", md_escape(doc.summary)]
    parts += [_md_step(step, image_path(step)) for step in doc.steps]
    return "\n\n".join(p for p in parts if p) + "\n"


_PNG_URI = "data:image/png;base64,"


def _data_uri(png: bytes) -> str:
    return _PNG_URI + base64.b64encode(png).decode("ascii")


def markdown_embedded(doc: Documentation, images: Mapping[str, bytes]) -> str:
    """The documentation as one Markdown file that stands on its own: each step's screenshot
    (outlined) embedded as a ``data:`` URI; a step whose image is missing or unreadable gets
    none."""
    pictures = {step.number: _highlighted(step, images) for step in doc.steps}
    return to_markdown(doc, lambda s: _data_uri(p) if (p := pictures[s.number]) else None)


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    # why: a fixed timestamp, so the same documentation always gives the same bytes
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def markdown_zip(doc: Documentation, images: Mapping[str, bytes]) -> bytes:
    """A ZIP of ``index.md`` and ``images/step-NN.png`` (outlined), images keyed by screenshot ID.

    A step whose image is missing or unreadable is written without one.
    """
    pictures = {step.number: _highlighted(step, images) for step in doc.steps}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        index = to_markdown(
            doc, lambda s: default_image_path(s) if pictures.get(s.number) else None
        )
        _zip_entry(archive, "index.md", index.encode("utf-8"))
        for step in doc.steps:
            picture = pictures[step.number]
            if picture:
                _zip_entry(archive, default_image_path(step), picture)
    return out.getvalue()


# --- HTML -----------------------------------------------------------------------------------

_LIGHT = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e;
  --card: #f6f8fa; --border: #d1d9e0; --accent: #e11d48; }
"""
_DARK = """
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #151b23;
    --border: #3d444d; --accent: #fb7185; }
}
"""
_LAYOUT = """
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 .5rem; overflow-wrap: anywhere; }
.summary { color: var(--muted); margin: 0 0 2rem; }
ol.steps { list-style: none; margin: 0; padding: 0; }
.step { background: var(--card); border: 1px solid var(--border); border-radius: .75rem;
  padding: 1.25rem; margin: 0 0 1.5rem; }
.step h2 { display: flex; gap: .75rem; align-items: baseline; font-size: 1.2rem;
  margin: 0 0 .5rem; overflow-wrap: anywhere; }
.number { flex: none; display: inline-grid; place-items: center; min-width: 1.9rem;
  height: 1.9rem; border-radius: 999px; background: var(--accent); color: #fff;
  font-size: .95rem; }
.step p { margin: 0 0 1rem; overflow-wrap: anywhere; }
figure { margin: 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--border);
  border-radius: .5rem; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
"""
_CSS = _LIGHT + _DARK + _LAYOUT

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _html_step(step: Step, picture: bytes | None) -> str:
    parts = [
        f'<li class="step" id="step-{step.number}">',
        f'<h2><span class="number">{step.number}</span> <span>{_esc(step.title)}</span></h2>',
    ]
    if step.description.strip():
        parts.append(f"<p>{_esc(step.description)}</p>")
    if picture:
        alt = _esc(f"Step {step.number}: {step.title}")
        parts.append(f'<figure><img src="{_data_uri(picture)}" alt="{alt}"></figure>')
    parts.append("</li>")
    return "\n".join(parts)


def to_html(doc: Documentation, images: Mapping[str, bytes]) -> str:
    """The documentation as one self-contained HTML page: inline CSS for light and dark
    schemes, screenshots (outlined) as data: URIs, every text escaped."""
    return _page(doc, images, _CSS)


def _page(doc: Documentation, images: Mapping[str, bytes], css: str) -> str:
    title = _esc(doc.title or "Documentation")
    steps = "\n".join(_html_step(step, _highlighted(step, images)) for step in doc.steps)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
<header>
<h1>{title}</h1>
<p class="summary">{_esc(doc.summary)}</p>
</header>
<ol class="steps">
{steps}
</ol>
<footer>Written by sessiondocs ({_esc(doc.engine)}).</footer>
</main>
</body>
</html>
"""


# --- PDF ------------------------------------------------------------------------------------

# why: print has no dark scheme, and each step starts a page of its own (the first shares the
# title's page) with its screenshot scaled to fit beside its text
_PRINT_CSS = (
    _LIGHT
    + _LAYOUT
    + """
@page { size: A4; margin: 16mm 14mm; }
body { font: 11pt/1.5 "DejaVu Sans", "Liberation Sans", sans-serif; }
main { max-width: none; padding: 0; }
.step { break-inside: avoid; border: none; background: none; padding: 0; margin: 0; }
.step + .step { break-before: page; }
.step h2 { display: block; }
.number { display: inline-block; width: 1.9rem; line-height: 1.9rem; text-align: center;
  margin-right: .5rem; }
figure img { max-height: 190mm; width: auto; margin: 0 auto; }
"""
)


def to_pdf(doc: Documentation, images: Mapping[str, bytes]) -> bytes:
    """The documentation as a PDF: title and summary, then the steps, one page each, with their
    screenshots outlined. Rendered by WeasyPrint from the same escaped HTML as ``to_html``;
    nothing outside the document is fetched."""
    from PIL import ImageFile

    # why: importing WeasyPrint turns on Pillow's loading of truncated images for the whole
    # process, which would let a cut-off upload pass as a screenshot; it is turned back off
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint  # why: a heavy import, needed only by this export
    from weasyprint.urls import URLFetcher

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    # why: the page's images are data: URIs; whatever else the OCR'd text might point at is
    # refused, never fetched
    data_only = URLFetcher(allowed_protocols=("data",))
    html_text = _page(doc, images, _PRINT_CSS)
    pdf: bytes = weasyprint.HTML(string=html_text, url_fetcher=data_only).write_pdf()
    return pdf
