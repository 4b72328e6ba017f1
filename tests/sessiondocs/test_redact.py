"""Redaction: sensitive values found in OCR words (split over several words too), painted solid
black in real PNGs, and replaced by labels in the OCR text and words."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from sessiondocs.redact import (
    Finding,
    find_sensitive,
    iban_ok,
    luhn_ok,
    redact,
    redact_image,
    redact_result,
)
from sessiondocs.words import OcrResult, Word

FONT = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 18)


def pixel_box(bbox: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """A text bbox (floats at fractional x) rounded outwards to whole pixels."""
    return (math.floor(bbox[0]), math.floor(bbox[1]), math.ceil(bbox[2]), math.ceil(bbox[3]))


class Sheet:
    """A white image with text drawn word by word, each word's box recorded as OCR would."""

    def __init__(self, width: int = 900, height: int = 300) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.words: list[Word] = []

    def write(self, x: float, y: int, text: str, gap: float | None = None) -> list[Word]:
        """Draw ``text`` at (x, y); words are ``gap`` pixels apart (a space by default)."""
        space = FONT.getlength(" ") if gap is None else gap
        drawn = []
        for token in text.split():
            left, top, right, bottom = pixel_box(self.draw.textbbox((x, y), token, font=FONT))
            self.draw.text((x, y), token, fill="black", font=FONT)
            drawn.append(Word(token, left, top, right - left, bottom - top, 95.0))
            x += FONT.getlength(token) + space
        self.words += drawn
        return drawn

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, format="PNG")
        return out.getvalue()

    def result(self) -> OcrResult:
        rows: dict[int, list[Word]] = {}
        for word in self.words:
            rows.setdefault(word.top // 20, []).append(word)
        text = "\n".join(" ".join(w.text for w in rows[k]) for k in sorted(rows))
        return OcrResult(text, list(self.words), engine="drawn")


def found(*lines: str) -> list[tuple[str, str]]:
    sheet = Sheet()
    for i, line in enumerate(lines):
        sheet.write(20, 20 + 30 * i, line)
    return [(f.kind, f.text) for f in find_sensitive(sheet.words)]


def box(word: Word) -> tuple[int, int, int, int]:
    return (word.left, word.top, word.width, word.height)


def all_black(image: Image.Image, area: tuple[int, int, int, int]) -> bool:
    left, top, width, height = area
    crop = image.convert("RGB").crop((left, top, left + width, top + height))
    return bool((np.asarray(crop) == 0).all())


# --- the checks ----------------------------------------------------------------------------


def test_luhn_accepts_test_card_numbers_and_refuses_a_changed_digit() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("5500005555555559")
    assert luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112")


def test_iban_mod_97_accepts_real_examples_and_refuses_a_changed_digit() -> None:
    assert iban_ok("CZ6508000000192000145399")
    assert iban_ok("GB82WEST12345698765432")
    assert iban_ok("de89370400440532013000")  # case does not matter
    assert not iban_ok("CZ6508000000192000145398")
    assert not iban_ok("CZ65")


# --- finding -------------------------------------------------------------------------------


def test_a_card_number_split_over_four_words_is_one_finding_covering_them() -> None:
    sheet = Sheet()
    sheet.write(20, 20, "Card:")
    digits = sheet.write(90, 20, "4111 1111 1111 1111")
    [finding] = find_sensitive(sheet.words)
    assert finding == Finding("card", "4111 1111 1111 1111", tuple(box(w) for w in digits))


@pytest.mark.parametrize(
    "text", ["4111-1111-1111-1111", "4111111111111111", "5500 0055 5555 5559", "3782 822463 10005"]
)
def test_card_numbers_in_one_word_or_grouped_are_found(text: str) -> None:
    assert found(f"Pay with {text} now") == [("card", text)]


def test_a_sixteen_digit_number_failing_luhn_is_kept() -> None:
    assert found("Card 4111 1111 1111 1112") == []


def test_long_numbers_that_are_not_cards_are_kept() -> None:
    assert found("Order 1700000000000 at 1234567890123.50 ref 0000 0000 0000 0000") == []


def test_an_iban_in_groups_of_four_is_found_and_the_currency_after_it_is_not() -> None:
    assert found("IBAN CZ65 0800 0000 1920 0014 5399 EUR") == [
        ("iban", "CZ65 0800 0000 1920 0014 5399")
    ]


def test_an_iban_with_a_wrong_check_digit_is_kept() -> None:
    assert found("IBAN CZ65 0800 0000 1920 0014 5398") == []


def test_an_ibans_digits_are_not_also_read_as_a_card_or_phone() -> None:
    assert found("GB82 WEST 1234 5698 7654 32") == [("iban", "GB82 WEST 1234 5698 7654 32")]


def test_an_email_is_found_inside_a_longer_word() -> None:
    assert found("Email:jane.doe@example.com,") == [("email", "jane.doe@example.com")]


@pytest.mark.parametrize(
    "text",
    [
        "+420 123 456 789",
        "+1 (555) 123-4567",
        "+44 20 7946 0958",
        "+4201234567890",
        "555-123-4567",
        "(555) 123-4567",
        "555.123.4567",
    ],
)
def test_phone_numbers_are_found(text: str) -> None:
    assert found(f"Call {text} today") == [("phone", text)]


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15",
        "15.01.2024",
        "10:30:45",
        "2024-01-15 10:30",
        "v1.2.3",
        "version 10.0.19045",
        "1,234.56",
        "12 345 678",
        "+5.2%",
        "Room 101",
        "192.168.100.200",
        "Invoice 5551234567",
    ],
)
def test_dates_times_versions_amounts_and_short_numbers_are_not_phones(text: str) -> None:
    assert found(text) == []


def test_a_number_broken_over_two_lines_is_not_joined() -> None:
    assert found("4111 1111", "1111 1111") == []


def test_numbers_in_columns_far_apart_are_not_joined() -> None:
    sheet = Sheet()
    sheet.write(20, 20, "555 123 4567", gap=200)
    assert find_sensitive(sheet.words) == []


def test_findings_come_in_reading_order() -> None:
    assert [kind for kind, _ in found("+420 123 456 789", "a@b.cz and 4111 1111 1111 1111")] == [
        "phone",
        "email",
        "card",
    ]


# --- the image -----------------------------------------------------------------------------


def test_a_redacted_card_number_is_solid_black_and_its_label_stays_readable() -> None:
    sheet = Sheet()
    [label] = sheet.write(20, 20, "Card:")
    digits = sheet.write(90, 20, "4111 1111 1111 1111")
    out = Image.open(io.BytesIO(redact_image(sheet.png(), find_sensitive(sheet.words))))
    assert out.size == sheet.image.size
    for word in digits:
        padded = (word.left - 2, word.top - 2, word.width + 4, word.height + 4)
        assert all_black(out, padded)
    assert not all_black(out, box(label))


def test_a_box_at_the_edge_is_filled_up_to_the_edge() -> None:
    png = Sheet(100, 50).png()
    finding = Finding("email", "a@b.cz", ((90, 40, 20, 20),))
    out = Image.open(io.BytesIO(redact_image(png, [finding], pad=4)))
    assert all_black(out, (86, 36, 14, 14))
    assert out.getpixel((80, 30)) == (255, 255, 255)


def test_a_transparent_png_stays_transparent_around_the_fill() -> None:
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    out_png = io.BytesIO()
    image.save(out_png, format="PNG")
    out = Image.open(
        io.BytesIO(redact_image(out_png.getvalue(), [Finding("card", "x", ((10, 10, 5, 5),))]))
    )
    assert out.mode == "RGBA"
    assert out.getpixel((12, 12)) == (0, 0, 0, 255)
    assert out.getpixel((30, 30)) == (0, 0, 0, 0)


@pytest.mark.parametrize("data", [b"", b"not a png at all", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_an_unreadable_image_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="screenshot is"):
        redact_image(data, [])
    with pytest.raises(ValueError, match="screenshot is"):
        redact(data, OcrResult(""))


# --- the OCR result ------------------------------------------------------------------------


def test_redact_result_replaces_each_value_in_the_text_and_the_words() -> None:
    sheet = Sheet()
    sheet.write(20, 20, "Card: 4111 1111 1111 1111")
    sheet.write(20, 50, "Mail: jane@example.com")
    sheet.write(20, 80, "Phone: +420 123 456 789")
    sheet.write(20, 110, "IBAN: CZ65 0800 0000 1920 0014 5399")
    result = sheet.result()
    clean = redact_result(result, find_sensitive(result.words))
    assert clean.text == "Card: [card]\nMail: [email]\nPhone: [phone]\nIBAN: [iban]"
    assert [w.text for w in clean.words] == [
        "Card:",
        "[card]",
        "Mail:",
        "[email]",
        "Phone:",
        "[phone]",
        "IBAN:",
        "[iban]",
    ]
    assert clean.engine == "drawn"


def test_the_words_of_a_value_become_one_word_over_their_joint_box() -> None:
    sheet = Sheet()
    digits = sheet.write(20, 20, "4111 1111 1111 1111")
    clean = redact_result(sheet.result(), find_sensitive(sheet.words))
    [word] = clean.words
    assert (word.left, word.top) == (digits[0].left, min(w.top for w in digits))
    assert word.right == digits[-1].right
    assert word.text == "[card]"


def test_text_around_a_value_inside_one_word_is_kept() -> None:
    sheet = Sheet()
    sheet.write(20, 20, "Email:jane@example.com,")
    clean = redact_result(sheet.result(), find_sensitive(sheet.words))
    assert [w.text for w in clean.words] == ["Email:[email],"]
    assert clean.text == "Email:[email],"


def test_the_text_is_scrubbed_even_where_the_engine_spaced_it_differently() -> None:
    sheet = Sheet()
    sheet.write(20, 20, "4111 1111 1111 1111")
    result = OcrResult("Card 4111  1111 1111 1111\nCall 555-123-4567", list(sheet.words))
    clean = redact_result(result, find_sensitive(result.words))
    assert clean.text == "Card [card]\nCall [phone]"


def test_redact_returns_the_black_image_the_clean_result_and_the_findings() -> None:
    sheet = Sheet()
    digits = sheet.write(20, 20, "4111 1111 1111 1111")
    sheet.write(20, 60, "Total 1,234.56 EUR on 2024-01-15")
    png, clean, findings = redact(sheet.png(), sheet.result())
    assert [f.kind for f in findings] == ["card"]
    assert clean.text == "[card]\nTotal 1,234.56 EUR on 2024-01-15"
    image = Image.open(io.BytesIO(png))
    assert all(all_black(image, box(w)) for w in digits)


def test_nothing_found_leaves_the_result_as_it_was() -> None:
    sheet = Sheet()
    sheet.write(20, 20, "Invoice 2024-117 total 480.00")
    result = sheet.result()
    png, clean, findings = redact(sheet.png(), result)
    assert findings == [] and clean == result
    assert Image.open(io.BytesIO(png)).tobytes() == sheet.image.tobytes()


def test_a_value_is_replaced_within_one_line_of_the_text_only() -> None:
    result = OcrResult("Ref 4111 1111\n1111 1111 done", [])
    finding = Finding("card", "4111 1111 1111 1111", ())
    assert redact_result(result, [finding]).text == result.text


# --- passwords and values the OCR split ----------------------------------------------------


def form_row(label: str, value: str, field_at: int = 300) -> tuple[Sheet, list[Word]]:
    """A form row: ``label`` at the left, ``value`` in its field further right."""
    sheet = Sheet()
    sheet.write(20, 40, label)
    return sheet, sheet.write(field_at, 40, value)


@pytest.mark.parametrize(
    "label", ["Password", "Password:", "New password", "PIN", "Heslo", "Confirm password *"]
)
def test_the_value_of_a_field_labelled_as_a_password_is_redacted(label: str) -> None:
    sheet, value = form_row(label, "Tajne-Heslo 42")
    [finding] = find_sensitive(sheet.words)
    assert finding.kind == "password" and finding.text == "Tajne-Heslo 42"
    assert set(finding.boxes) == {box(w) for w in value}  # the label itself stays readable
    png, result, _ = redact(sheet.png(), sheet.result())
    assert all(all_black(Image.open(io.BytesIO(png)), box(w)) for w in value)
    assert "Tajne" not in result.text and "[password]" in result.text
    assert label.split()[0] in result.text


def test_a_masked_password_is_redacted_too() -> None:
    sheet, value = form_row("Password", "**********")
    [finding] = find_sensitive(sheet.words)
    assert finding.kind == "password" and set(finding.boxes) == {box(w) for w in value}


@pytest.mark.parametrize(
    "line", ["Forgot your password? Reset it", "Password expires in 30 days", "PIN 1234"]
)
def test_words_after_password_in_a_sentence_are_not_a_password(line: str) -> None:
    # a label is followed by its field: a gap wider than a space, which a sentence has not
    assert found(line) == []


def test_an_email_the_ocr_split_in_two_is_redacted_whole() -> None:
    sheet = Sheet()
    sheet.write(20, 40, "Email")
    # the OCR read "jana.novak@mailbox.cz" as "ja" and "na.novak@mailbox.cz", 3 px apart
    parts = sheet.write(200, 40, "ja na.novak@mailbox.cz", gap=3)
    [finding] = find_sensitive(sheet.words)
    assert finding.kind == "email" and set(finding.boxes) == {box(w) for w in parts}


def test_words_a_space_apart_are_not_joined_into_one_value() -> None:
    assert found("write to petr@firma.cz today") == [("email", "petr@firma.cz")]


def test_a_password_field_the_toolkit_declares_is_covered_whole_whatever_it_shows() -> None:
    """A field labelled "Answer" is no password by its label; declared by the toolkit, its
    box is filled and the words read inside it become "[password]"; the words beside it
    stay."""
    image = Image.new("RGB", (400, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 20, 300, 50), outline=(120, 120, 120))
    words = [Word("Answer", 20, 28, 60, 14, 95.0), Word("4821-77", 110, 28, 70, 14, 90.0)]
    for word in words:
        draw.text((word.left, word.top), word.text, fill="black")
    png = io.BytesIO()
    image.save(png, "PNG")
    result = OcrResult("Answer 4821-77", words, "drawn")
    field = (100, 20, 201, 31)
    covered, redacted, findings = redact(png.getvalue(), result, [field])
    assert [f.kind for f in findings] == ["password"]
    assert [w.text for w in redacted.words] == ["Answer", "[password]"]
    assert "4821" not in redacted.text
    pixels = np.asarray(Image.open(io.BytesIO(covered)).convert("L"))
    assert pixels[20:51, 100:301].max() == 0  # the whole field, its border included
    assert pixels[28:42, 20:80].min() < 100  # its label is still there
    # without the declaration, nothing marks it as a secret
    assert redact(png.getvalue(), result)[2] == []
