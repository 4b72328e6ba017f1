"""OCR of screenshots: both real engines on synthetic screens with known text and word boxes."""

from __future__ import annotations

import io
import itertools
import random
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import sessiondocs.ocr as ocr
from sessiondocs.ocr import (
    DEFAULT_ENGINE,
    ENGINES,
    NotAnImageError,
    OcrEngine,
    cer,
    get_engine,
    read_image,
    read_image_after,
    word_accuracy,
)
from sessiondocs.ocr.cleanup import clean, join_split_words
from sessiondocs.ocr.icons import strip_glyphs
from sessiondocs.ocr.layout import rows_of, text_of
from sessiondocs.ocr.metrics import edit_distance
from sessiondocs.ocr.rapid import split_line
from sessiondocs.synth import Screen, Theme, build_screen
from sessiondocs.words import OcrResult, Word

# one screen per theme (seed), each read once by both engines for the whole module
SCREENS: dict[Theme, int] = {"light": 7, "dark": 8}


@pytest.fixture(scope="module")
def screens() -> dict[str, Screen]:
    return {theme: build_screen(seed, theme) for theme, seed in SCREENS.items()}


@pytest.fixture(scope="module")
def results(screens: dict[str, Screen]) -> dict[tuple[str, str], OcrResult]:
    """Every engine's reading of every screen, read once for the whole module."""
    return {
        (engine, theme): get_engine(engine).read(screen.image)
        for engine in ENGINES
        for theme, screen in screens.items()
    }


def small_png() -> bytes:
    screen = build_screen(3, "light", width=480, height=320)
    out = io.BytesIO()
    screen.image.save(out, format="PNG")
    return out.getvalue()


# --- the engines on synthetic screens ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_engine_reads_a_synthetic_screen_with_under_3_percent_cer(
    engine: str, theme: str, screens: dict[str, Screen], results: dict[tuple[str, str], OcrResult]
) -> None:
    result = results[engine, theme]
    assert result.engine == engine
    assert cer(screens[theme].text, result.text) < 0.03
    assert word_accuracy(screens[theme].text, result.text) > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_dark_theme_reads_as_well_as_light(
    engine: str, screens: dict[str, Screen], results: dict[tuple[str, str], OcrResult]
) -> None:
    light = cer(screens["light"].text, results[engine, "light"].text)
    dark = cer(screens["dark"].text, results[engine, "dark"].text)
    assert dark <= light + 0.01


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_word_boxes_land_on_the_rendered_words(
    engine: str, theme: str, screens: dict[str, Screen], results: dict[tuple[str, str], OcrResult]
) -> None:
    truth = screens[theme].words
    once = [w for w in truth if len(w.text) >= 4 and sum(t.text == w.text for t in truth) == 1]
    found = {w.text: w for w in results[engine, theme].words}
    landed = 0
    for want in once:
        got = found.get(want.text)
        if got is None:
            continue
        dx = (got.left + got.right) / 2 - (want.left + want.right) / 2
        dy = (got.top + got.bottom) / 2 - (want.top + want.bottom) / 2
        assert abs(dx) <= 3 + want.width * 0.1, (want, got)
        assert abs(dy) <= 4, (want, got)
        landed += 1
    assert landed >= 0.9 * len(once)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_words_have_text_and_confidences_between_0_and_100(
    engine: str, results: dict[tuple[str, str], OcrResult]
) -> None:
    words = results[engine, "light"].words
    assert words
    for w in words:
        assert w.text and not any(ch.isspace() for ch in w.text)
        assert 0.0 <= w.conf <= 100.0
        assert w.width > 0 and w.height > 0


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_window_controls_and_icons_are_not_read_as_text(
    engine: str, screens: dict[str, Screen], results: dict[tuple[str, str], OcrResult]
) -> None:
    for theme in SCREENS:
        title = results[engine, theme].text.splitlines()[0]
        assert title == screens[theme].text.splitlines()[0]
        assert not any(strip_glyphs(w.text) != w.text for w in results[engine, theme].words)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_text_lines_are_the_words_rows_top_to_bottom(
    engine: str, results: dict[tuple[str, str], OcrResult]
) -> None:
    result = results[engine, "light"]
    assert " ".join(result.text.split()) == " ".join(w.text for w in result.words)
    assert result.text.splitlines()[1].startswith("File Edit View")


# --- choosing an engine -----------------------------------------------------------------------


def test_engines_are_tesseract_and_rapidocr_and_the_default_is_one_of_them() -> None:
    assert ENGINES == ("tesseract", "rapidocr")
    assert DEFAULT_ENGINE in ENGINES


@pytest.mark.parametrize("name", ENGINES)
def test_get_engine_returns_one_shared_engine_per_name(name: str) -> None:
    engine = get_engine(name)
    assert isinstance(engine, OcrEngine)
    assert engine.name == name
    assert get_engine(name) is engine


def test_get_engine_refuses_an_unknown_name_and_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="tesseract, rapidocr"):
        get_engine("easyocr")


def test_the_environment_variable_chooses_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSIONDOCS_OCR", "tesseract")
    assert get_engine().name == "tesseract"
    monkeypatch.setenv("SESSIONDOCS_OCR", "rapidocr")
    assert get_engine().name == "rapidocr"
    assert get_engine("tesseract").name == "tesseract"  # an explicit name wins


def test_without_the_environment_variable_the_default_engine_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SESSIONDOCS_OCR", raising=False)
    assert get_engine().name == DEFAULT_ENGINE


def test_an_unknown_engine_in_the_environment_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSIONDOCS_OCR", "paddle")
    with pytest.raises(ValueError, match=r"SESSIONDOCS_OCR='paddle'.*tesseract, rapidocr"):
        get_engine()


# --- read_image -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_read_image_takes_png_bytes_a_path_or_an_image(engine: str, tmp_path: Path) -> None:
    png = small_png()
    path = tmp_path / "screen.png"
    path.write_bytes(png)
    from_bytes = read_image(png, engine)
    assert "File" in from_bytes.text.split()
    assert read_image(path, engine).text == from_bytes.text
    assert read_image(str(path), engine).text == from_bytes.text
    assert read_image(Image.open(path), engine).text == from_bytes.text


def test_read_image_reads_jpeg_and_images_with_alpha() -> None:
    image = build_screen(3, "light", width=480, height=320).image
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=90)
    assert "File" in read_image(jpeg.getvalue(), "tesseract").text.split()
    assert "File" in read_image(image.convert("RGBA"), "tesseract").text.split()


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", small_png()[:200], b"\x89PNG\r\n\x1a\n" + b"\0" * 64],
    ids=["empty", "text", "truncated png", "png signature only"],
)
def test_read_image_on_garbage_bytes_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="not an image"):
        read_image(data, "tesseract")


def png_header(width: int, height: int) -> bytes:
    """A PNG that announces ``width`` x ``height`` pixels and holds none."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [9_000, 20_000])
def test_read_image_refuses_an_image_too_large_to_decode(side: int) -> None:
    with pytest.raises(NotAnImageError, match="too large"):
        read_image(png_header(side, side), "tesseract")


def test_read_image_on_a_missing_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(NotAnImageError, match="not an image"):
        read_image(tmp_path / "missing.png", "tesseract")


def test_read_image_on_a_blank_image_reads_nothing() -> None:
    for engine in ENGINES:
        result = read_image(Image.new("RGB", (200, 100), "white"), engine)
        assert result.text == "" and result.words == []


def test_reads_from_several_threads_give_the_same_result() -> None:
    png = small_png()
    expected = {engine: read_image(png, engine).text for engine in ENGINES}
    got: list[tuple[str, str]] = []

    def work(engine: str) -> None:
        got.append((engine, read_image(png, engine).text))

    threads = [threading.Thread(target=work, args=(e,)) for e in ENGINES for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted((e, expected[e]) for e in ENGINES for _ in range(2))


def test_ocr_result_survives_json(results: dict[tuple[str, str], OcrResult]) -> None:
    result = results[DEFAULT_ENGINE, "light"]
    assert OcrResult.from_json(result.to_json()) == result


def test_public_names_are_all_exported() -> None:
    assert set(ocr.__all__) >= {"OcrEngine", "get_engine", "read_image", "ENGINES"}
    assert {"DEFAULT_ENGINE", "cer", "word_accuracy"} <= set(ocr.__all__)
    for name in ocr.__all__:
        assert hasattr(ocr, name)


# --- metrics ----------------------------------------------------------------------------------


def test_cer_is_zero_for_the_same_text_whatever_the_whitespace() -> None:
    assert cer("Save  changes\nCancel", "Save changes Cancel ") == 0.0


def test_cer_counts_edits_over_the_truth_length() -> None:
    assert cer("abcd", "abed") == 0.25
    assert cer("abcd", "") == 1.0
    assert cer("", "") == 0.0


def test_edit_distance_matches_the_textbook_recurrence() -> None:
    def reference(a: str, b: str) -> int:
        row = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            prev, row[0] = row[:], i
            for j, y in enumerate(b, 1):
                row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y))
        return row[-1]

    r = random.Random(5)
    for _ in range(300):
        a = "".join(r.choice("abc ") for _ in range(r.randint(0, 9)))
        b = "".join(r.choice("abcd") for _ in range(r.randint(0, 9)))
        assert edit_distance(a, b) == reference(a, b)


def test_word_accuracy_is_one_minus_the_word_error_rate() -> None:
    assert word_accuracy("Save changes now", "Save changes now") == 1.0
    assert word_accuracy("Save changes now", "Save chanqes now") == pytest.approx(2 / 3)
    assert word_accuracy("a b", "x y z w v") == 0.0


# --- reading order and cleanup ----------------------------------------------------------------


def w(text: str, left: int, top: int, width: int = 30, height: int = 10) -> Word:
    return Word(text, left, top, width, height, 90.0)


def test_pieces_a_pixel_or_two_apart_vertically_are_one_row() -> None:
    rows = rows_of([[w("acme", 200, 22, height=7)], [w("File", 10, 20)], [w("Edit", 60, 50)]])
    assert text_of(rows) == "File acme\nEdit"


def test_rows_read_top_to_bottom_and_words_left_to_right() -> None:
    rows = rows_of([[w("c", 100, 40)], [w("b", 50, 10)], [w("a", 5, 11)], [w("d", 5, 41)]])
    assert text_of(rows) == "a b\nd c"


def test_symbol_only_words_and_glued_glyphs_are_dropped() -> None:
    square, cross, copyright = "\N{WHITE SQUARE}", "\N{MULTIPLICATION SIGN}", "\N{COPYRIGHT SIGN}"
    words = [w(square, 0, 0), w(cross + "Save", 40, 0), w("-", 80, 0), w(copyright, 120, 0)]
    words.append(w("田", 160, 0))
    assert [x.text for f in clean([words]) for x in f] == ["Save", "-"]


def test_words_split_at_an_address_punctuation_are_joined_back() -> None:
    split = [w("anna.", 0, 0, width=30), w("brown@acme.io", 32, 0, width=80), w("Ok", 150, 0)]
    assert [x.text for x in join_split_words(split)] == ["anna.brown@acme.io", "Ok"]
    sentence = [w("Saved.", 0, 0, width=30), w("Next", 33, 0)]
    assert [x.text for x in join_split_words(sentence)] == ["Saved.", "Next"]


def test_a_line_without_word_boxes_is_split_in_proportion_to_characters() -> None:
    import numpy as np

    box = np.array([[0, 0], [110, 0], [110, 20], [0, 20]], dtype=float)
    words = split_line("ab cdefgh", 0.9, box)
    assert [x.text for x in words] == ["ab", "cdefgh"]
    assert words[0].left == 0 and words[1].right == 110
    assert words[0].conf == 90.0


def test_letters_taller_than_the_page_capitals_are_icons_and_capital_sized_ones_are_kept() -> None:
    import numpy as np

    gray = np.full((60, 200), 255, dtype=np.uint8)
    gray[10:19, 10:40] = 0  # "ABC": capitals 9 px tall
    gray[10:23, 100:113] = 0  # a 13 px icon read as "O"
    gray[40:49, 100:107] = 0  # a real "O", 9 px like the capitals
    words = [[w("ABC", 10, 10, 30, 9)], [w("O", 100, 10, 13, 13)], [w("O", 100, 40, 7, 9)]]
    kept = clean(words, gray)
    assert [(x.text, x.top) for f in kept for x in f] == [("ABC", 10), ("O", 40)]


# --- reading only what changed ----------------------------------------------------------------


def _window(lines: list[str], size: tuple[int, int] = (900, 560)) -> Image.Image:
    """A window-like screen: a title bar, then lines of text with gaps between them."""
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", size, "#f4f4f5")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 18)
    draw.rectangle((0, 0, size[0], 40), fill="#1f2937")
    draw.text((16, 10), "Invoices - Ledger", fill="#ffffff", font=font)
    draw.line((300, 40, 300, size[1]), fill="#9ca3af")  # a panel's edge, on every row
    for i, line in enumerate(lines):
        draw.text((24, 70 + i * 60), line, fill="#111827", font=font)
    return image


LINES = ["Customer Dvorak Logistics", "Amount 4200 CZK", "Due date 2026-12-31", "Status Draft"]


def test_blocks_are_the_runs_of_rows_that_change_and_text_never_spans_two() -> None:
    from sessiondocs.ocr.incremental import CONTEXT, blocks_of

    pixels = np.asarray(_window(LINES))
    blocks = blocks_of(pixels)
    # the title bar and each line of text are blocks of their own (the lines are 60 px apart)
    assert len(blocks) == 1 + len(LINES)
    assert all(b - a >= 1 for a, b in blocks)
    assert all(later[0] - earlier[1] > 2 * CONTEXT for earlier, later in itertools.pairwise(blocks))
    # a row between blocks equals the row above it, though a panel's edge crosses it
    gaps = [r for r in range(1, pixels.shape[0]) if not any(a <= r < b for a, b in blocks)]
    assert gaps and all((pixels[r] == pixels[r - 1]).all() for r in gaps)


def test_only_the_blocks_that_changed_are_read_again() -> None:
    from sessiondocs.ocr.incremental import read_blocks

    before, after = _window(LINES), _window([*LINES[:3], "Status Sent"])
    crops: list[tuple[int, int]] = []

    def read_part(part: Image.Image) -> list[Word]:
        crops.append(part.size)
        return [Word("seen", 5, 2, 20, 10, 90.0)]

    first = read_blocks(before, read_part)
    assert len(crops) == len(first) == 1 + len(LINES)  # every block read
    crops.clear()
    second = read_blocks(after, read_part, before, first)
    assert len(crops) == 1  # only the changed line's block
    assert second[:-1] == first[:-1]  # the other blocks' words carried over
    assert abs(second[-1].top - first[-1].top) <= 2  # the new one where its block is


@pytest.mark.slow
def test_rapidocr_reading_only_what_changed_gives_the_words_a_whole_read_gives() -> None:
    engine = get_engine("rapidocr")
    screens = [
        _window(LINES),
        _window([*LINES[:3], "Status Sent"]),
        _window(["Customer Dvorak Logistics s.r.o.", *LINES[1:3], "Status Sent"]),
        _window(LINES, size=(900, 600)),  # another size: read whole
    ]
    earlier = engine.read(screens[0])
    for image in screens[1:]:
        changed = engine.read_changed(image, screens[0], earlier)
        whole = engine.read(image)
        assert changed.words == whole.words
        assert changed.text == whole.text
        assert changed.icons == whole.icons
    assert "Sent" in engine.read_changed(screens[1], screens[0], earlier).text


@pytest.mark.slow
def test_read_image_after_reads_as_read_image_with_either_engine() -> None:
    before, after = _png(_window(LINES)), _png(_window([*LINES[:3], "Status Sent"]))
    for name in ENGINES:
        earlier = read_image(before, name)
        assert read_image_after(after, before, earlier, name).words == read_image(after, name).words
    # an earlier result from another engine, or an earlier file that is no image: a whole read
    other = read_image(before, "tesseract")
    assert read_image_after(after, before, other, "rapidocr").words == (
        read_image(after, "rapidocr").words
    )
    earlier = read_image(before, "rapidocr")
    assert read_image_after(after, b"gone", earlier, "rapidocr").words == (
        read_image(after, "rapidocr").words
    )


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("lit", [False, True])
def test_a_rapidocr_box_is_fitted_to_its_letters_not_the_tab_or_lit_row_around_them(
    lit: bool,
) -> None:
    """The engine's box for a word reaches past the tab drawn round it and into the rows
    above and below; fitted, it holds the letters and nothing else."""
    from PIL import ImageDraw, ImageFont

    from sessiondocs.ocr.rapid import fitted

    image = Image.new("L", (260, 90), 235)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 16)
    draw.text((40, 12), "Ostrava", fill=20, font=font)  # the line above
    if lit:
        draw.rectangle((20, 33, 240, 56), fill=40)  # a selected list entry
    else:
        draw.rounded_rectangle((30, 33, 140, 70), radius=4, outline=120)  # a tab
    draw.text((40, 38), "General", fill=235 if lit else 20, font=font)
    draw.text((40, 64), "Plzen", fill=20, font=font)  # the line below
    left, top, right, bottom = draw.textbbox((40, 38), "General", font=font)
    engine_box = Word("General", 26, 28, 125, 38, 99.0)  # as RapidOCR places it
    box = fitted(engine_box, np.asarray(image))
    assert abs(box.left - left) <= 1 and abs(box.right - right) <= 1
    assert abs(box.top - top) <= 1 and abs(box.bottom - bottom) <= 1


@pytest.mark.parametrize("cut", ["first", "last"])
def test_a_rapidocr_box_that_cuts_a_letter_takes_it_back_but_not_the_button_beside_it(
    cut: str,
) -> None:
    """The engine can place a word's end inside its first or last letter ("invoice" from its
    "n", the stem of an "N"): fitted, the box takes the letter back. It stops at the space
    before the next word, and never runs over a button's background or border beside it."""
    from PIL import ImageDraw, ImageFont

    from sessiondocs.ocr.rapid import fitted

    image = Image.new("L", (300, 60), 250)
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 10, 200, 48), fill=236, outline=150)  # the button
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 16)
    draw.text((30, 20), "New", fill=10, font=font)
    new = draw.textbbox((30, 20), "New", font=font)
    x = new[2] + font.getlength(" ")
    draw.text((x, 20), "invoice", fill=10, font=font)
    invoice = tuple(round(v) for v in draw.textbbox((x, 20), "invoice", font=font))
    gray = np.asarray(image)
    if cut == "first":
        # "invoice" from its "n": the "i" left out, the space and "New" beyond it
        engine_box = Word("invoice", invoice[0] + 4, 8, invoice[2] - invoice[0], 40, 99.0)
        box = fitted(engine_box, gray)
        assert abs(box.left - invoice[0]) <= 1 and abs(box.right - invoice[2]) <= 1
    else:
        # "New" short of its "w": the button's padding and border beyond it
        engine_box = Word("New", new[0] - 4, 8, new[2] - new[0] - 2, 40, 99.0)
        box = fitted(engine_box, gray)
        assert abs(box.left - new[0]) <= 1 and abs(box.right - new[2]) <= 1
    # a word ending at the button's edge: the border and the window beyond are not taken
    edge = Word("invoice", invoice[0] - 2, 8, 200 - invoice[0] + 30, 40, 99.0)
    assert fitted(edge, gray).right <= invoice[2] + 1
