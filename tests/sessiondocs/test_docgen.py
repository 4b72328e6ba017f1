"""The offline documentation generator: changed regions, and steps from a scripted session of
real PNGs whose OCR words are the boxes where the text was drawn."""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from PIL import Image, ImageDraw, ImageFont

import sessiondocs.docgen as docgen
from sessiondocs.docgen import Documentation, Frame, InputEvent, Step, changed_region, generate
from sessiondocs.docgen.diff import pixels
from sessiondocs.docgen.lines import group_lines
from sessiondocs.words import OcrResult, Word

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WIDTH, HEIGHT = 800, 480
START = 1_714_559_400_000.0  # 2024-05-01 10:30 UTC, in ms


def pixel_box(bbox: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """A text bbox (floats at fractional x) rounded outwards to whole pixels."""
    return (math.floor(bbox[0]), math.floor(bbox[1]), math.ceil(bbox[2]), math.ceil(bbox[3]))


def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- a painter of application windows with known words ---------------------------------------


@dataclass
class Painter:
    """An application window drawn step by step, recording each word's box as OCR would."""

    title: str
    image: Image.Image = field(init=False)
    words: list[Word] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        self.draw.rectangle((0, 0, WIDTH - 1, 31), fill="#dde3ea")
        self.text(12, 7, self.title, 15)
        self.text(WIDTH - 24, 7, "\u00d7", 15)  # the close button, a glyph far from the title

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)

    def text(self, x: float, y: int, text: str, size: int = 15, fill: str = "black") -> None:
        font = ImageFont.truetype(FONT_PATH, size)
        space = font.getlength(" ")
        for token in text.split():
            left, top, right, bottom = pixel_box(self.draw.textbbox((x, y), token, font=font))
            self.draw.text((x, y), token, fill=fill, font=font)
            self.words.append(Word(token, left, top, right - left, bottom - top, 96.0))
            x += font.getlength(token) + space

    def box(self, xy: tuple[int, int, int, int], fill: str | None = None) -> None:
        self.draw.rectangle(xy, outline="#8a94a0", fill=fill)

    def copy(self) -> Painter:
        twin = Painter.__new__(Painter)
        twin.title, twin.image, twin.words = self.title, self.image.copy(), list(self.words)
        return twin

    def frame(self, shot: str, at_seconds: float) -> Frame:
        text = "\n".join(line.text for line in group_lines(self.words))
        return Frame(
            screenshot_id=shot,
            filename=f"{shot}.png",
            captured_at=START + at_seconds * 1000,
            image=png_of(self.image),
            ocr=OcrResult(text, list(self.words), engine="drawn"),
        )


def bank_window() -> Painter:
    screen = Painter("Accounts - Bank Portal")
    screen.text(24, 50, "Overview", 24)
    screen.box((20, 100, 110, 128))
    screen.text(30, 105, "Settings")
    screen.box((130, 100, 240, 128))
    screen.text(140, 105, "Payments")
    screen.text(24, 160, "Balance 1,234.56 EUR")
    screen.text(24, 190, "Last login 2024-04-30")
    return screen


def with_settings_dialog(screen: Painter) -> Painter:
    dialog = screen.copy()
    dialog.box((300, 90, 700, 380), fill="#f4f6f8")
    dialog.text(320, 102, "Settings", 22)
    dialog.text(320, 170, "Name:")
    dialog.box((400, 164, 680, 192), fill="white")
    dialog.text(320, 230, "Language: English")
    dialog.box((520, 330, 590, 360))
    dialog.text(538, 336, "OK")
    dialog.box((600, 330, 680, 360))
    dialog.text(610, 336, "Cancel")
    return dialog


def typed(screen: Painter, x: float, text: str) -> Painter:
    after = screen.copy()
    after.text(x, 170, text)
    return after


def notepad_window() -> Painter:
    screen = Painter("Invoices - Notepad")
    screen.text(12, 40, "File Edit Format View Help")
    screen.text(12, 80, "Invoice 2024-117 for Jane Doe")
    screen.text(12, 110, "Total due 480.00 EUR")
    return screen


def scripted_session() -> list[Frame]:
    """Start, an unchanged frame, open Settings, type a name in two bursts, switch windows."""
    bank = bank_window()
    dialog = with_settings_dialog(bank)
    first = typed(dialog, 410, "Jane Doe")
    font = ImageFont.truetype(FONT_PATH, 15)
    second = typed(first, 410 + font.getlength("Jane Doe "), "Smith")
    return [
        bank.frame("s1", 0),
        bank.frame("s2", 20),
        dialog.frame("s3", 45),
        first.frame("s4", 70),
        second.frame("s5", 80),
        notepad_window().frame("s6", 200),
    ]


# --- changed_region ------------------------------------------------------------------------


def blank(color: str = "white", size: tuple[int, int] = (320, 200)) -> Image.Image:
    return Image.new("RGB", size, color)


def test_changed_region_finds_a_drawn_rectangle_to_within_a_few_pixels() -> None:
    before = blank()
    after = before.copy()
    ImageDraw.Draw(after).rectangle((60, 40, 179, 89), fill="#2563eb")
    box, fraction = changed_region(before, after)
    assert box is not None
    assert all(abs(a - b) <= 2 for a, b in zip(box, (60, 40, 120, 50), strict=True))
    assert fraction == pytest.approx(120 * 50 / (320 * 200), rel=0.05)


def test_changed_region_ignores_single_pixel_noise() -> None:
    before = blank()
    after = before.copy()
    for xy in [(5, 5), (100, 150), (250, 20), (300, 190), (160, 100)]:
        after.putpixel(xy, (0, 0, 0))
    assert changed_region(before, after) == (None, 0.0)


def test_changed_region_ignores_noise_beside_a_real_change() -> None:
    before = blank()
    after = before.copy()
    ImageDraw.Draw(after).rectangle((200, 120, 259, 159), fill="black")
    after.putpixel((10, 10), (0, 0, 0))
    box, _ = changed_region(before, after)
    assert box == (200, 120, 60, 40)


def test_changed_region_ignores_faint_colour_shifts() -> None:
    after = blank("#fafafa")  # compression-grade drift everywhere
    assert changed_region(blank(), after) == (None, 0.0)


def test_changed_region_of_identical_images_is_none() -> None:
    assert changed_region(png_of(blank()), png_of(blank())) == (None, 0.0)


def test_changed_region_of_images_of_different_sizes_is_the_whole_image() -> None:
    assert changed_region(blank(), blank(size=(400, 300))) == ((0, 0, 400, 300), 1.0)


def test_changed_region_reads_png_bytes_and_refuses_garbage() -> None:
    before, after = blank(), blank()
    ImageDraw.Draw(after).rectangle((10, 10, 29, 29), fill="red")
    assert changed_region(png_of(before), png_of(after))[0] == (10, 10, 20, 20)
    with pytest.raises(ValueError, match="not a readable image"):
        changed_region(b"not a png", png_of(after))


# --- generate ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session_doc() -> Documentation:
    return generate(scripted_session())


def test_a_scripted_session_gives_one_step_per_action(session_doc: Documentation) -> None:
    assert [s.title for s in session_doc.steps] == [
        'Start in "Accounts - Bank Portal"',
        'Open "Settings"',
        'Type "Jane Doe Smith" into "Name"',
        'Switch to "Invoices - Notepad"',
    ]
    assert [s.number for s in session_doc.steps] == [1, 2, 3, 4]


def test_a_frame_without_change_is_merged_away(session_doc: Documentation) -> None:
    assert "s2" not in [s.screenshot_id for s in session_doc.steps]
    assert "1 without a visible change was merged" in session_doc.summary


def test_typing_in_the_same_field_twice_is_one_step_showing_the_last_screenshot(
    session_doc: Documentation,
) -> None:
    step = session_doc.steps[2]
    assert step.screenshot_id == "s5" and step.filename == "s5.png"
    assert step.description == 'Type "Jane Doe Smith" into the "Name" field.'
    assert step.highlight is not None
    left, top, width, height = step.highlight
    assert 405 <= left <= 415 and 165 <= top <= 175 and height < 25
    assert 100 < width < 130  # from "Jane" to "Smith"


def test_the_open_step_highlights_the_dialog_and_quotes_its_text(
    session_doc: Documentation,
) -> None:
    step = session_doc.steps[1]
    assert step.screenshot_id == "s3"
    assert step.highlight is not None
    assert all(abs(a - b) <= 3 for a, b in zip(step.highlight, (300, 90, 401, 291), strict=True))
    assert step.description.startswith('"Settings" opens, showing "Name: / Language: English')
    assert "Language: English" in step.description
    assert 0.0 < step.changed_fraction < 0.05  # borders and text; the pale fill is no change


def test_the_first_step_shows_the_whole_screen(session_doc: Documentation) -> None:
    step = session_doc.steps[0]
    assert step.highlight is None and step.changed_fraction == 1.0
    # it names the window and does not read out the whole screen
    assert step.description == 'The session starts in the "Accounts - Bank Portal" window.'


def test_the_switch_step_names_the_new_window(session_doc: Documentation) -> None:
    step = session_doc.steps[3]
    assert step.screenshot_id == "s6"
    assert step.description.startswith('The "Invoices - Notepad" window comes to the front')


def test_the_title_defaults_to_the_first_window_title_and_the_summary_counts(
    session_doc: Documentation,
) -> None:
    assert session_doc.title == "Accounts - Bank Portal"
    assert session_doc.engine == "offline"
    assert session_doc.summary == (
        "4 steps recorded on 2024-05-01 from 10:30:00 to 10:33:20 UTC (3 min 20 s), from 6 "
        "screenshots (1 without a visible change was merged)."
    )


@pytest.mark.parametrize(
    ("times", "words"),
    [
        ([0.0], "on 2024-05-01 at 10:30:00 UTC"),  # one screenshot: no span to speak of
        ([0.0, 45_000.0], "on 2024-05-01 from 10:30:00 to 10:30:45 UTC (45 s)"),  # same minute
        ([0.0, 98_400.0], "from 10:30:00 to 10:31:38 UTC (1 min 38 s)"),
        ([0.0, 3_900_000.0], "from 10:30:00 to 11:35:00 UTC (1 h 5 min)"),
        ([0.0, 86_400_000.0], "from 2024-05-01 10:30:00 to 2024-05-02 10:30:00 UTC"),
    ],
)
def test_the_summary_gives_the_sessions_real_time_span(times, words) -> None:
    # the span runs from the first screenshot to the last, merged ones included
    base = scripted_session()[0]
    frames = [
        dataclasses.replace(base, screenshot_id=f"t{i}", captured_at=base.captured_at + t)
        for i, t in enumerate(times)
    ]
    assert words in generate(frames).summary


def test_a_given_title_wins() -> None:
    frames = scripted_session()[:1]
    assert generate(frames, "  Change the account name ").title == "Change the account name"


def test_frames_are_read_in_capture_order() -> None:
    frames = scripted_session()
    shuffled = [frames[i] for i in (5, 2, 0, 4, 1, 3)]
    assert generate(shuffled) == generate(frames)


def test_the_same_frames_always_give_the_same_documentation(session_doc: Documentation) -> None:
    assert generate(scripted_session()) == session_doc


def test_no_frames_give_no_steps_and_a_summary_that_says_so() -> None:
    doc = generate([])
    assert doc.steps == []
    assert doc.summary == "No steps: no screenshots were recorded."
    assert doc.title == "Recorded session"


def test_an_unreadable_screenshot_is_skipped_and_counted() -> None:
    frames = scripted_session()
    broken = Frame("bad", "bad.png", START + 1, b"\x89PNG truncated", OcrResult(""))
    doc = generate([*frames, broken])
    assert len(doc.steps) == 4
    assert "1 unreadable was skipped" in doc.summary


def test_closing_a_dialog_is_a_close_step() -> None:
    bank = bank_window()
    dialog = with_settings_dialog(bank)
    doc = generate([bank.frame("a", 0), dialog.frame("b", 5), bank.frame("c", 9)])
    assert doc.steps[-1].title == 'Close "Settings"'
    assert doc.steps[-1].description == '"Settings" closes.'


def test_a_change_without_new_text_is_a_click_named_by_the_text_beside_it() -> None:
    before = bank_window()
    before.box((24, 240, 38, 254))
    before.text(46, 239, "Remember me")
    after = before.copy()
    after.box((27, 243, 35, 251), fill="#2563eb")
    doc = generate([before.frame("a", 0), after.frame("b", 3)])
    assert doc.steps[-1].title == 'Click "Remember me"'


def test_a_screenshot_of_another_size_in_the_same_window_is_a_resize() -> None:
    small = bank_window()
    large = Painter("Accounts - Bank Portal")
    large.image = large.image.resize((WIDTH + 200, HEIGHT))
    doc = generate([small.frame("a", 0), large.frame("b", 5)])
    assert doc.steps[-1].title == 'Resize "Accounts - Bank Portal"'
    assert doc.steps[-1].highlight == (0, 0, WIDTH + 200, HEIGHT)
    assert doc.steps[-1].description.endswith("window is now 1000 x 480 pixels.")


def test_a_ticking_clock_is_not_a_step() -> None:
    before = bank_window()
    after = before.copy()
    before.text(700, 450, "10:30")
    after.text(700, 450, "10:31")
    doc = generate([before.frame("a", 0), after.frame("b", 60)])
    assert len(doc.steps) == 1


def test_typing_without_a_label_quotes_the_text() -> None:
    screen = Painter("Search")
    screen.box((100, 160, 500, 194), fill="white")
    after = typed(screen, 110, "quarterly report")
    doc = generate([screen.frame("a", 0), after.frame("b", 3)])
    assert doc.steps[-1].title == 'Type "quarterly report"'


def test_titles_are_clipped_and_double_quotes_become_single() -> None:
    screen = Painter('Report "Q2" for the regional sales team of the northern district office')
    doc = generate([screen.frame("a", 0)])
    title = doc.steps[0].title
    assert title.startswith("Start in \"Report 'Q2' for the")
    assert title.endswith('\u2026"') and len(title) <= len('Start in ""') + 60


# --- the model -----------------------------------------------------------------------------


def test_documentation_round_trips_through_json(session_doc: Documentation) -> None:
    data = session_doc.to_json()
    assert data["steps"][1]["highlight"] == list(session_doc.steps[1].highlight or ())
    assert data["steps"][0]["highlight"] is None
    assert Documentation.from_json(data) == session_doc


def test_a_step_from_json_accepts_a_missing_highlight() -> None:
    step = Step.from_json({"number": 1, "title": "Start", "screenshot_id": "x"})
    assert step.highlight is None and step.description == "" and step.captured_at == 0.0


def test_the_package_exports_exactly_its_public_api() -> None:
    public = {
        name
        for name, value in vars(docgen).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, type))
    }
    assert set(docgen.__all__) == public
    missing: list[Callable[..., object]] = [
        getattr(docgen, name) for name in docgen.__all__ if not getattr(docgen, name).__doc__
    ]
    assert missing == []


# --- recorded input events ------------------------------------------------------------------


def with_event(frame: Frame, **event) -> Frame:
    return dataclasses.replace(
        frame, event=InputEvent.from_json({"at": frame.captured_at - 300, **event})
    )


def test_a_recorded_click_names_the_button_under_the_pointer_even_in_its_padding() -> None:
    bank = bank_window()
    dialog = with_settings_dialog(bank)
    # the "Settings" button spans 20..110 x 100..128; its label 30..95 x 105..120: the click
    # lands in the button's padding, left of and below the label
    frames = [bank.frame("s1", 0), with_event(dialog.frame("s2", 5), kind="click", x=24, y=124)]
    step = generate(frames).steps[1]
    assert step.title == 'Click "Settings"'
    assert (
        step.description
        == 'Click "Settings". "Settings" opens, showing "Name: / Language: English / OK Cancel".'
    )
    assert step.screenshot_id == "s1" and step.marker == (24, 124)  # the screen clicked on
    assert step.highlight is None  # the ring marks it; an outline would crowd the label


def test_a_click_beside_a_tick_box_names_its_label_and_a_right_click_says_so() -> None:
    form = Painter("Preferences")
    form.box((20, 60, 36, 76))
    form.text(48, 60, "Remember me")
    ticked = form.copy()
    ticked.box((23, 63, 33, 73), fill="black")
    frames = [
        form.frame("s1", 0),
        with_event(ticked.frame("s2", 3), kind="click", x=28, y=68, button="right"),
    ]
    step = generate(frames).steps[1]
    assert step.title == 'Right-click "Remember me"'
    assert step.description == 'Right-click "Remember me".'  # the tick is no new text


def test_a_click_on_nothing_readable_names_the_window() -> None:
    bank = bank_window()
    frames = [bank.frame("s1", 0), with_event(bank.frame("s2", 2), kind="click", x=700, y=440,
                                               window="Accounts - Bank Portal")]  # fmt: skip
    step = generate(frames).steps[1]
    assert step.title == 'Click in "Accounts - Bank Portal"'
    assert step.description == 'Click in "Accounts - Bank Portal".'  # nothing changed
    assert step.highlight is None and step.marker == (700, 440)


def test_a_message_that_appeared_after_a_click_is_told_whole_in_its_step() -> None:
    bank = bank_window()
    saved = bank.copy()
    saved.box((420, 400, 780, 440), fill="#dcfce7")
    saved.text(440, 410, "Payment 2024-118 saved")
    frames = [
        bank.frame("s1", 0),
        with_event(saved.frame("s2", 2), kind="click", x=185, y=114),
    ]
    step = generate(frames).steps[1]
    assert step.title == 'Click "Payments"'
    assert step.description == 'Click "Payments". A message says "Payment 2024-118 saved".'


def test_a_recorded_key_is_a_press_step_showing_what_it_caused() -> None:
    bank = bank_window()
    dialog = with_settings_dialog(bank)
    frames = [
        dialog.frame("s1", 0),
        with_event(bank.frame("s2", 2), kind="key", key="Escape", window="Accounts - Bank Portal"),
    ]
    step = generate(frames).steps[1]
    assert step.title == 'Press "Escape"'
    assert step.description == 'Press Escape. "Settings" closes.'
    assert step.screenshot_id == "s2" and step.marker is None and step.highlight is not None


def test_a_highlight_takes_in_every_word_it_would_cut() -> None:
    screen = bank_window()
    lines = group_lines(screen.words)
    # a box over the middle of "Balance 1,234.56 EUR" grows to hold its words whole
    balance = [w for w in screen.words if w.text in ("Balance", "1,234.56", "EUR")]
    grown = docgen.steps.whole_words((60, 165, 40, 5), lines)
    for word in balance[:2]:
        assert grown[0] <= word.left and word.left + word.width <= grown[0] + grown[2]
        assert grown[1] <= word.top and word.top + word.height <= grown[1] + grown[3]
    assert grown[1] > 128  # it did not swallow the buttons above


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"kind": "scroll", "at": 1}, "kind is one of click, key"),
        ({"kind": "click", "at": 1, "x": 3}, "a click has a position"),
        ({"kind": "key", "at": 1}, "a key event names its key"),
    ],
)
def test_an_event_that_is_not_one_is_refused_by_name(event, message) -> None:
    with pytest.raises(ValueError, match=message):
        InputEvent.from_json(event)


def test_two_buttons_side_by_side_are_two_labels_and_a_click_names_one() -> None:
    dialog = Painter("Delete invoice")
    dialog.text(24, 50, "Delete invoice 17?", 22)
    # "Delete" and "Cancel" buttons touching, their labels no further apart than two words of
    # one label: only the borders drawn between them tell two controls apart
    end = 24 + ImageFont.truetype(FONT_PATH, 15).getlength("Delete")
    dialog.box((20, 120, int(end) + 2, 150))
    dialog.text(24, 126, "Delete")
    dialog.box((int(end) + 4, 120, int(end) + 80, 150))
    dialog.text(end + 8, 126, "Cancel")
    gap = dialog.words[-1].left - (dialog.words[-2].left + dialog.words[-2].width)
    assert gap < 0.8 * dialog.words[-1].height  # as close as a space
    closed = Painter("Delete invoice")
    x = int(end) + 40
    frames = [dialog.frame("s1", 0), with_event(closed.frame("s2", 2), kind="click", x=x, y=135)]
    assert generate(frames).steps[1].title == 'Click "Cancel"'


def test_a_menu_entry_over_a_cut_word_is_named_alone() -> None:
    """A context menu drawn over a list covers the end of "budget.xlsx"; its entry "Rename"
    sits a space's width from the letters left showing, with no dark border between them,
    but on the menu's own background: the click names the entry, not "budg Rename"."""
    shown = Painter("Documents")
    shown.image.paste((250, 250, 250), (0, 32, WIDTH, HEIGHT))
    shown.text(24, 80, "report.txt")
    shown.text(24, 110, "budg")
    end = shown.words[-1].left + shown.words[-1].width
    shown.draw.rectangle((end + 1, 100, end + 100, 190), fill=(236, 236, 236))
    shown.draw.line((end + 1, 100, end + 1, 190), fill=(255, 255, 255))  # its light edge
    shown.text(end + 7, 114, "Rename")
    shown.text(end + 7, 150, "Delete")
    gap = shown.words[-2].left - end
    assert gap < 0.8 * shown.words[-2].height  # as close as a space
    closed = Painter("Documents")
    closed.text(24, 80, "report.txt")
    closed.text(24, 110, "budget.xlsx")
    frames = [
        shown.frame("s1", 0),
        with_event(closed.frame("s2", 2), kind="click", x=end + 40, y=122),
    ]
    assert generate(frames).steps[1].title == 'Click "Rename"'


def test_the_pointer_lighting_up_what_it_clicks_next_is_not_a_step() -> None:
    bank = bank_window()
    hovered = bank.copy()
    hovered.box((130, 100, 240, 128), fill="#dbeafe")  # "Payments" lights up under the pointer
    hovered.text(140, 105, "Payments")
    hovered.words = list(bank.words)  # the same words, read the same
    opened = with_settings_dialog(bank)
    frames = [
        bank.frame("s1", 0),
        hovered.frame("s2", 1),
        with_event(opened.frame("s3", 2), kind="click", x=185, y=114),
    ]
    doc = generate(frames)
    assert [s.title for s in doc.steps] == ['Start in "Accounts - Bank Portal"', 'Click "Payments"']
    assert doc.steps[1].screenshot_id == "s2"  # the screen as it was when clicked
    assert "1 without a visible change was merged" in doc.summary


def test_a_redaction_box_a_few_pixels_off_is_no_change_but_a_longer_one_is() -> None:
    base = bank_window()
    first, shifted, longer = base.copy(), base.copy(), base.copy()
    first.draw.rectangle((400, 160, 560, 180), fill="black")  # "[phone]" covered
    shifted.draw.rectangle((398, 163, 561, 184), fill="black")  # read a few pixels off
    longer.draw.rectangle((400, 160, 640, 180), fill="black")  # more typed, more covered
    before = pixels(png_of(first.image))
    assert docgen.diff.region_between(before, pixels(png_of(shifted.image))) == (None, 0.0)
    box, _ = docgen.diff.region_between(before, pixels(png_of(longer.image)))
    assert box is not None and box[0] >= 560 - 8 and box[0] + box[2] >= 640


def test_black_text_typed_beside_black_text_is_still_a_change() -> None:
    screen = with_settings_dialog(bank_window())
    more = typed(typed(screen, 410, "Jane"), 410 + 40, "Doe")
    box, _ = docgen.diff.region_between(
        pixels(png_of(typed(screen, 410, "Jane").image)), pixels(png_of(more.image))
    )
    assert box is not None and box[0] >= 445


def test_a_label_misread_while_lit_up_under_the_pointer_is_read_from_the_moment_before() -> None:
    menu = Painter("Reports")
    menu.box((20, 40, 220, 70))
    menu.text(30, 46, "Export report")
    lit = menu.copy()
    lit.box((20, 40, 220, 70), fill="#1d4ed8")
    lit.text(30, 46, "Export report", fill="white")
    # the OCR reads the lit-up entry badly, and is unsure of it
    export, report = menu.words[-2:]
    lit.words = [
        *menu.words[:-2],
        dataclasses.replace(export, text="Exp0rt", conf=41.0),
        dataclasses.replace(report, text="rep@rt", conf=38.0),
    ]
    done = Painter("Reports")
    frames = [
        menu.frame("s1", 0),
        lit.frame("s2", 1),
        with_event(done.frame("s3", 2), kind="click", x=90, y=55),
    ]
    assert generate(frames).steps[-1].title == 'Click "Export report"'


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("|Dvorak", "Dvorak"),
        ("Logistics|", "Logistics"),
        ("/|Q4", "Q4"),  # the cursor read as two glyphs
        ("_|jana", "jana"),
        ("/home", "/home"),  # no cursor: a path keeps its slash
        ("a|b", "a|b"),
        ("|", "|"),
    ],
)
def test_a_text_cursor_read_at_a_words_end_is_left_out(read: str, meant: str) -> None:
    assert docgen.screen.uncaret(read) == meant


def test_a_blinking_cursor_that_changes_how_a_word_reads_is_not_a_step() -> None:
    form = with_settings_dialog(bank_window())
    typed_in = typed(form, 410, "Jana")
    blink = typed_in.copy()
    jana = typed_in.words[-1]
    caret_x = jana.left + jana.width + 2
    blink.draw.line((caret_x, 168, caret_x, 186), fill="black", width=1)  # the cursor shows
    # ... and the OCR reads the word with it: "Janal"
    blink.words = [
        *typed_in.words[:-1],
        dataclasses.replace(jana, text="Janal", width=jana.width + 3),
    ]
    frames = [form.frame("s1", 0), typed_in.frame("s2", 2), blink.frame("s3", 3)]
    titles = [s.title for s in generate(frames).steps]
    assert titles == ['Start in "Accounts - Bank Portal"', 'Type "Jana" into "Name"']
