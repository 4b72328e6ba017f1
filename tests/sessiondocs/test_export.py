"""Exports: the outlined screenshot, Markdown (linked or embedded), the Markdown ZIP, the
self-contained HTML and the PDF."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import zipfile
from html.parser import HTMLParser

import numpy as np
import pypdfium2
import pytest
from PIL import Image, ImageDraw

from sessiondocs.docgen import (
    Documentation,
    Step,
    highlight,
    markdown_embedded,
    markdown_zip,
    to_html,
    to_markdown,
    to_pdf,
)
from sessiondocs.docgen.export import md_escape

RED = (0xE1, 0x1D, 0x48)


def png(color: str = "white", size: tuple[int, int] = (200, 120)) -> bytes:
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle((60, 40, 99, 69), fill="#2563eb")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def step(number: int, shot: str, title: str = "", description: str = "") -> Step:
    return Step(
        number=number,
        title=title or f"Step title {number}",
        description=description or f"What happens in step {number}.",
        screenshot_id=shot,
        filename=f"{shot}.png",
        highlight=(60, 40, 40, 30) if number > 1 else None,
        changed_fraction=0.05,
        captured_at=1_714_559_400_000.0 + number,
    )


def doc(*steps: Step, title: str = "Change the account name") -> Documentation:
    return Documentation(title, "3 steps recorded on 2024-05-01.", list(steps), engine="offline")


HOSTILE = step(
    2,
    "s2",
    title='Open "<script>alert(1)</script>"',
    description='It reads <img src=x onerror="alert(2)"> & *bold* [link](http://evil)',
)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --- highlight -----------------------------------------------------------------------------


def test_highlight_draws_a_red_outline_just_outside_the_box_and_leaves_it_clear() -> None:
    out = pixels(highlight(png(), (60, 40, 40, 30)))
    assert tuple(out[35, 80]) == RED  # the 3 px outline, 3 px above the box
    assert tuple(out[74, 80]) == RED  # below
    assert tuple(out[55, 55]) == RED  # left
    assert tuple(out[38, 80]) == (255, 255, 255)  # a gap, so the outline hides nothing
    assert tuple(out[55, 80]) == (0x25, 0x63, 0xEB)  # the changed region itself is untouched
    assert tuple(out[10, 10]) == (255, 255, 255)


def test_a_click_marker_is_a_ring_around_the_spot_that_leaves_it_readable() -> None:
    out = pixels(highlight(png(), None, (80, 55)))
    ring = [out[55, 80 + 13], out[55, 80 - 13], out[55 - 13, 80], out[55 + 13, 80]]
    assert all(tuple(p) == RED for p in ring)  # on the 14 px ring, 3 px wide
    assert tuple(out[55, 80]) == (0x25, 0x63, 0xEB)  # the spot itself is not covered
    assert tuple(out[55, 80 + 20]) != RED  # outside the ring
    # exports draw a step's marker with its outline
    marked = dataclasses.replace(step(2, "s2"), marker=(150, 60))
    packed = zipfile.ZipFile(io.BytesIO(markdown_zip(doc(marked), {"s2": png()})))
    exported = pixels(packed.read("images/step-02.png"))
    assert tuple(exported[60, 150 + 13]) == RED and tuple(exported[35, 80]) == RED


def test_highlight_of_a_box_at_the_edge_is_clipped_to_the_image() -> None:
    out = pixels(highlight(png(), (0, 0, 200, 120)))
    assert out.shape == (120, 200, 3)
    assert tuple(out[0, 100]) == RED and tuple(out[119, 100]) == RED


def test_highlight_without_a_box_returns_the_image_unchanged() -> None:
    original = png()
    assert highlight(original, None) == original


def test_highlight_of_garbage_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a readable image"):
        highlight(b"garbage", (0, 0, 5, 5))


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_has_the_title_summary_and_numbered_steps_with_images() -> None:
    text = to_markdown(doc(step(1, "s1", 'Start in "Bank"'), step(2, "s2", 'Open "Settings"')))
    assert text == (
        "# Change the account name\n\n"
        "3 steps recorded on 2024-05-01.\n\n"
        '## 1. Start in "Bank"\n\n'
        "What happens in step 1.\n\n"
        '![Step 1: Start in "Bank"](images/step-01.png)\n\n'
        '## 2. Open "Settings"\n\n'
        "What happens in step 2.\n\n"
        '![Step 2: Open "Settings"](images/step-02.png)\n'
    )


def test_markdown_takes_image_paths_from_the_caller_and_none_means_no_image() -> None:
    text = to_markdown(
        doc(step(1, "s1"), step(2, "s2")),
        lambda s: f"shots/{s.screenshot_id} copy.png" if s.number == 1 else None,
    )
    assert "](<shots/s1 copy.png>)" in text
    assert text.count("![") == 1


def test_markdown_escapes_ocr_text_so_it_cannot_become_markup() -> None:
    text = to_markdown(doc(HOSTILE), lambda s: None)
    assert re.search(r"(?<!\\)[<>\[\]*&]", text) is None  # every one escaped
    assert r"\<script\>" in text and r"\<img" in text
    assert r"\*bold\*" in text and r"\[link\]" in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("1. First", r"1\. First"), ("- item", r"\- item"), ("# not a heading", r"\# not a heading")],
)
def test_markdown_escapes_what_would_start_a_list_or_heading(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


# --- ZIP -----------------------------------------------------------------------------------


def test_the_zip_holds_index_md_and_one_outlined_image_per_step() -> None:
    data = markdown_zip(doc(step(1, "s1"), step(2, "s2")), {"s1": png(), "s2": png()})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["index.md", "images/step-01.png", "images/step-02.png"]
        index = archive.read("index.md").decode()
        assert "](images/step-01.png)" in index and "](images/step-02.png)" in index
        assert archive.read("images/step-01.png") == png()  # the first step has no highlight
        outlined = pixels(archive.read("images/step-02.png"))
    assert tuple(outlined[35, 80]) == RED


def test_a_missing_or_broken_image_leaves_its_step_without_one() -> None:
    images = {"s1": png(), "s3": b"not a png"}
    data = markdown_zip(doc(step(1, "s1"), step(2, "s2"), step(3, "s3")), images)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["index.md", "images/step-01.png"]
        index = archive.read("index.md").decode()
    assert "## 2. Step title 2" in index and "## 3. Step title 3" in index
    assert "step-02.png" not in index and "step-03.png" not in index


def test_the_same_documentation_gives_the_same_zip() -> None:
    source = doc(step(1, "s1"), step(2, "s2"))
    images = {"s1": png(), "s2": png()}
    assert markdown_zip(source, images) == markdown_zip(source, images)


# --- HTML ----------------------------------------------------------------------------------


class Tags(HTMLParser):
    """The start tags of a page, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


def test_html_is_one_file_with_images_as_outlined_data_uris() -> None:
    page = to_html(doc(step(1, "s1"), step(2, "s2")), {"s1": png(), "s2": png()})
    images = [attrs for tag, attrs in tags_of(page) if tag == "img"]
    assert len(images) == 2
    sources = [str(attrs["src"]) for attrs in images]
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    second = base64.b64decode(sources[1].removeprefix("data:image/png;base64,"))
    assert tuple(pixels(second)[35, 80]) == RED
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing fetched
    assert "<link" not in page and "<script" not in page


def test_html_escapes_ocr_text_so_it_cannot_inject_markup() -> None:
    page = to_html(doc(HOSTILE, title="Bank <b>portal</b>"), {"s2": png()})
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert [tag for tag, _ in tags_of(page)].count("img") == 1  # the OCR <img> is text
    assert "<title>Bank &lt;b&gt;portal&lt;/b&gt;</title>" in page


def test_html_reads_in_light_and_dark_and_forbids_scripts() -> None:
    page = to_html(doc(step(1, "s1")), {})
    assert "@media (prefers-color-scheme: dark)" in page
    assert '<meta name="color-scheme" content="light dark">' in page
    [csp] = [a for t, a in tags_of(page) if t == "meta" and a.get("http-equiv")]
    assert "default-src 'none'" in str(csp["content"])


def test_html_without_an_image_still_has_the_step() -> None:
    page = to_html(doc(step(1, "s1"), step(2, "s2")), {"s1": png()})
    assert page.count('<li class="step"') == 2
    assert [tag for tag, _ in tags_of(page)].count("img") == 1


# --- one Markdown file ---------------------------------------------------------------------


def test_the_single_markdown_file_embeds_each_outlined_image() -> None:
    images = {"s1": png(), "s2": png()}
    text = markdown_embedded(doc(step(1, "s1"), step(2, "s2")), images)
    uris = re.findall(r"!\[Step (\d)[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
    assert [number for number, _ in uris] == ["1", "2"]
    second = pixels(base64.b64decode(uris[1][1]))
    assert tuple(second[34, 80]) == RED  # step 2's changed region is outlined
    assert "images/step-" not in text  # no link to a file that is not there


def test_the_single_markdown_file_leaves_out_a_missing_image() -> None:
    text = markdown_embedded(doc(step(1, "s1"), step(2, "gone")), {"s1": png()})
    assert text.count("data:image/png;base64,") == 1 and "## 2. Step title 2" in text


# --- PDF -----------------------------------------------------------------------------------


def pdf_pages(data: bytes) -> list[tuple[str, np.ndarray]]:
    """Each page's text and its pixels, rendered at 100 dpi."""
    document = pypdfium2.PdfDocument(data)
    pages = []
    for page in document:
        text = page.get_textpage().get_text_range()
        pages.append((text, np.asarray(page.render(scale=100 / 72).to_pil().convert("RGB"))))
    return pages


def test_the_pdf_has_the_title_then_one_page_per_step_with_its_outlined_screenshot() -> None:
    shots = {"s1": png(size=(800, 500)), "s2": png(size=(800, 500)), "s3": png(size=(800, 500))}
    steps = [step(1, "s1"), step(2, "s2", "Click Save"), step(3, "s3", "Close the dialog")]
    pages = pdf_pages(to_pdf(doc(*steps), shots))
    assert len(pages) == 3  # a page break between steps, none inside one
    first, second, third = (" ".join(text.split()) for text, _ in pages)
    assert first.startswith("Change the account name") and "3 steps recorded" in first
    assert "Step title 1" in first and "Click Save" not in first
    assert "Click Save" in second and "What happens in step 2." in second
    assert "Close the dialog" in third
    for number, (_, image) in enumerate(pages, 1):
        blue = np.all(image == (0x25, 0x63, 0xEB), axis=2).sum()
        red = np.all(np.abs(image.astype(int) - RED) <= 12, axis=2).sum()
        assert blue > 500, f"page {number} shows its screenshot"
        # the number badge is red on every page (about 650 pixels at 100 dpi); the steps after
        # the first also have their changed region outlined (about 300 more)
        assert (red > 850) if number > 1 else (300 < red < 800), f"page {number}: {red} red"


def test_making_a_pdf_leaves_truncated_images_refused() -> None:
    to_pdf(doc(step(1, "s1")), {"s1": png()})
    with pytest.raises(OSError):
        Image.open(io.BytesIO(png()[:200])).load()


def test_the_pdf_escapes_ocr_text_and_fetches_nothing() -> None:
    hostile = step(2, "s2", title='<img src="http://127.0.0.1:9/x.png"> & more')
    pages = pdf_pages(to_pdf(doc(step(1, "s1"), hostile), {"s1": png(), "s2": png()}))
    assert '<img src="http://127.0.0.1:9/x.png"> & more' in " ".join(t for t, _ in pages)
