"""Redaction of sensitive values read off a screenshot: emails, card numbers, IBANs, phones,
and what is typed into a field labelled as a password.

``find_sensitive`` reads OCR words line by line (a value split over several words, such as a
card number printed in groups of four, is matched on the joined phrase), ``redact_image`` paints
each covered word's box solid black (never blur: blurred digits can be recovered), and
``redact_result`` replaces each value in the OCR text and words by a label such as ``[card]``.

Card numbers must pass the Luhn check and start with a payment network's digit (2-6), IBANs the
ISO 13616 mod-97 check, so ordinary numbers (invoice totals, IDs, timestamps) stay readable.
Phones are international (``+`` and 8-15 digits) or North American (``555-123-4567``); dates,
times, versions and amounts have the wrong shape and are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from PIL import ImageDraw

from sessiondocs.docgen.images import drawable, open_image, png_bytes
from sessiondocs.docgen.lines import Box, Line, box_of, group_lines, phrases_of, union_box
from sessiondocs.docgen.screen import uncaret
from sessiondocs.words import OcrResult, Word

__all__ = ["Finding", "find_sensitive", "redact", "redact_image", "redact_result"]

LABELS = {
    "email": "[email]",
    "card": "[card]",
    "iban": "[iban]",
    "phone": "[phone]",
    "password": "[password]",
}


@dataclass(frozen=True)
class Finding:
    """One sensitive value: its kind, its text as read, and the box of each word it covers."""

    kind: str  # "email" | "card" | "iban" | "phone"
    text: str
    boxes: tuple[Box, ...]


Span = tuple[str, int, int]  # (kind, start, end) in a phrase's text

# --- detectors over one line of text --------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_CARD_SEP = re.compile(r" ?- ?| {1,2}")
_IBAN_SEP = re.compile(r" {1,2}")
_IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}[A-Za-z0-9]*")
# why: a digit run glued to ".5", ",50", "/12" or ":30" is part of an amount, date or time
_NUMBER_GLUE = re.compile(r"[.,/:]\d")
_GLUE_BEFORE = re.compile(r"\d[.,/:]")
_NANP = re.compile(r"(?<![\w+.-])(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|[.,]\d)")
_INTL_START = re.compile(r"(?<![\w+])\+\d{1,3}")
_INTL_GROUP = re.compile(r"[ .-]?(?:\(\d{1,4}\)|\d{1,4})")


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (the last digit checks the rest)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """Whether ``iban`` (no spaces) has an IBAN's shape and passes the mod-97 check."""
    iban = iban.upper()
    if not (15 <= len(iban) <= 34 and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban)):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _runs(text: str, sep: re.Pattern[str]) -> list[list[re.Match[str]]]:
    """Alphanumeric tokens of ``text`` in runs whose gaps are all matched by ``sep``."""
    runs: list[list[re.Match[str]]] = []
    for token in _TOKEN.finditer(text):
        if runs and sep.fullmatch(text[runs[-1][-1].end() : token.start()]):
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def _glued(text: str, start: int, end: int) -> bool:
    """Whether the digits at ``start:end`` continue an amount, a date or a time."""
    before = text[max(0, start - 2) : start]
    return bool(_NUMBER_GLUE.match(text, end) or _GLUE_BEFORE.fullmatch(before))


def _cards(text: str) -> list[Span]:
    found: list[Span] = []
    for run in _runs(text, _CARD_SEP):
        i = 0
        while i < len(run):
            end = _card_end(text, run, i)
            if end is None:
                i += 1
                continue
            found.append(("card", run[i].start(), run[end].end()))
            i = end + 1
    return found


def _card_end(text: str, run: list[re.Match[str]], i: int) -> int | None:
    """The last token of the longest card number starting at token ``i``, if any."""
    for j in range(len(run) - 1, i - 1, -1):
        tokens = [t.group() for t in run[i : j + 1]]
        digits = "".join(tokens)
        if not all(t.isdigit() for t in tokens) or not 13 <= len(digits) <= 19:
            continue
        # why: payment networks' numbers start with 2-6; this keeps timestamps and IDs readable
        glued = _glued(text, run[i].start(), run[j].end())
        if digits[0] in "23456" and luhn_ok(digits) and not glued:
            return j
    return None


def _ibans(text: str) -> list[Span]:
    found: list[Span] = []
    for run in _runs(text, _IBAN_SEP):
        i = 0
        while i < len(run):
            end = _iban_end(run, i)
            if end is None:
                i += 1
                continue
            found.append(("iban", run[i].start(), run[end].end()))
            i = end + 1
    return found


def _iban_end(run: list[re.Match[str]], i: int) -> int | None:
    """The last token of the longest valid IBAN starting at token ``i``, if any."""
    if not _IBAN_START.fullmatch(run[i].group()):
        return None
    for j in range(len(run) - 1, i - 1, -1):
        if iban_ok("".join(t.group() for t in run[i : j + 1])):
            return j
    return None


def _phones(text: str) -> list[Span]:
    found: list[Span] = []
    for start in _INTL_START.finditer(text):
        end, digits = start.end(), len(start.group()) - 1
        while group := _INTL_GROUP.match(text, end):
            more = sum(c.isdigit() for c in group.group())
            if digits + more > 15:  # why: E.164 numbers have at most 15 digits
                break
            end, digits = group.end(), digits + more
        if digits >= 8 and not _NUMBER_GLUE.match(text, end) and not text[end : end + 1].isalnum():
            found.append(("phone", start.start(), end))
    # why: after the international ones, so "+1 555-123-4567" is one value, "+1" included
    return found + [("phone", m.start(), m.end()) for m in _NANP.finditer(text)]


def _emails(text: str) -> list[Span]:
    return [("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]


# why: most specific first; each detector sees the spans earlier ones claimed blanked out, so an
# IBAN's digits are not read again as a card or a phone
_DETECTORS = (_emails, _ibans, _cards, _phones)


def detect(text: str) -> list[Span]:
    """The sensitive values in one line of text, as (kind, start, end), left to right."""
    spans: list[Span] = []
    masked = text
    for detector in _DETECTORS:
        for kind, start, end in detector(masked):
            if any(start < e and s < end for _, s, e in spans):
                continue
            spans.append((kind, start, end))
            masked = masked[:start] + "\x00" * (end - start) + masked[end:]
    return sorted(spans, key=lambda s: s[1])


# --- findings over OCR words ----------------------------------------------------------------


GLUED = 0.25  # words closer than this many line heights are one token the OCR split


def _joined(phrase: Line) -> tuple[str, list[tuple[int, int]]]:
    """The phrase's text and each word's span in it, words the OCR split out of one token
    ("ja" "na.novak@mailbox.cz", read off one email) joined without a space."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    start = 0
    previous: Word | None = None
    for word in phrase.words:
        if previous is not None and word.left - previous.right >= GLUED * phrase.height:
            parts.append(" ")
            start += 1
        parts.append(word.text)
        spans.append((start, start + len(word.text)))
        start += len(word.text)
        previous = word
    return "".join(parts), spans


def _findings_in(phrase: Line) -> list[Finding]:
    text, spans = _joined(phrase)
    findings = []
    for kind, start, end in detect(text):
        covered = [
            box_of(w)
            for w, (s, e) in zip(phrase.words, spans, strict=True)
            if s < end and start < e
        ]
        findings.append(Finding(kind, text[start:end], tuple(covered)))
    return findings


# a field labelled like one of these holds a password, whatever it shows ("Heslo" is Czech)
_PASSWORD_LABEL = re.compile(
    r"(?:(?:new|current|old|confirm|repeat)\s+)?"
    r"(?:password|passwd|passcode|passphrase|pin(?:\s+code)?|heslo)",
    re.IGNORECASE,
)
FIELD_GAP = 1.0  # a gap wider than this many line heights parts a label from its field
VALUE_GAP = 4.0  # within a field's value, words are no further apart than this


def _passwords(words: Sequence[Word]) -> list[Finding]:
    """The value in every field labelled as a password ("Password", "PIN", "Heslo"), shown in
    clear or masked: the words right of the label on its line, past the gap to the field. A
    sentence that mentions a password ("Forgot your password?") has no such gap."""
    findings = []
    for line in group_lines(words):
        row = list(line.words)
        height = line.height
        for i in range(len(row)):
            if i and row[i].left - row[i - 1].right <= FIELD_GAP * height:
                continue  # a label starts a phrase
            for size in (1, 2, 3):
                label = " ".join(uncaret(w.text) for w in row[i : i + size]).rstrip(":*").strip()
                rest = row[i + size :]
                if not rest or not _PASSWORD_LABEL.fullmatch(label):
                    continue
                end = row[i + size - 1]
                if rest[0].left - end.right <= FIELD_GAP * height:
                    continue  # no field after it: words of a sentence
                value = [rest[0]]
                for word in rest[1:]:
                    if word.left - value[-1].right > VALUE_GAP * height:
                        break
                    value.append(word)
                text = " ".join(w.text for w in value)
                findings.append(Finding("password", text, tuple(box_of(w) for w in value)))
                break
    return findings


def find_sensitive(words: Sequence[Word]) -> list[Finding]:
    """Every email, card number, IBAN, phone number and password in ``words``, in reading
    order.

    Words are grouped into lines and phrases first, so a value split over several words on one
    line ("4111 1111 1111 1111", "CZ65 0800 0000 1920 0014 5399") is one finding covering them.
    A password is the value of a field labelled as one (``_passwords``).
    """
    found = [finding for phrase in phrases_of(words) for finding in _findings_in(phrase)]
    taken = {box for finding in found for box in finding.boxes}
    # why: a value already found as something else (an email typed as a password) stays that
    found += [f for f in _passwords(words) if not taken.intersection(f.boxes)]
    return sorted(found, key=lambda f: (f.boxes[0][1], f.boxes[0][0]) if f.boxes else (0, 0))


def declared_fields(
    words: Sequence[Word], fields: Sequence[Box], found: Sequence[Finding] = ()
) -> list[Finding]:
    """A password finding for each declared field: its box, and the boxes of the words whose
    middle lies inside it (but not those ``found`` covers already)."""
    taken = {box for finding in found for box in finding.boxes}
    out = []
    for field in fields:
        left, top, width, height = field
        inside = [
            w
            for w in words
            if left <= w.left + w.width / 2 < left + width
            and top <= w.top + w.height / 2 < top + height
            and box_of(w) not in taken
        ]
        text = " ".join(w.text for w in inside)
        out.append(Finding("password", text, (field, *(box_of(w) for w in inside))))
    return out


# --- applying findings ----------------------------------------------------------------------


def redact_image(png: bytes, findings: Sequence[Finding], pad: int = 2) -> bytes:
    """``png`` with each finding's word boxes, grown by ``pad`` pixels, filled solid black.

    Returns a PNG. Raises ``ValueError`` when ``png`` is not a readable image.
    """
    image = drawable(open_image(png, "screenshot"))
    draw = ImageDraw.Draw(image)
    fill = (0, 0, 0, 255) if image.mode == "RGBA" else (0, 0, 0)
    width, height = image.size
    for finding in findings:
        for left, top, w, h in finding.boxes:
            x0, y0 = max(0, left - pad), max(0, top - pad)
            x1, y1 = min(width, left + w + pad) - 1, min(height, top + h + pad) - 1
            if x1 >= x0 and y1 >= y0:
                draw.rectangle((x0, y0, x1, y1), fill=fill)
    return png_bytes(image)


def _clusters(words: Sequence[Word], findings: Sequence[Finding]) -> list[list[int]]:
    """Indices of the words each finding covers, findings sharing a word merged."""
    clusters: list[set[int]] = []
    for finding in findings:
        covered = {i for i, w in enumerate(words) if box_of(w) in finding.boxes}
        if not covered:
            continue
        touching = [c for c in clusters if c & covered]
        for c in touching:
            clusters.remove(c)
            covered |= c
        clusters.append(covered)
    return [sorted(c, key=lambda i: (words[i].left, i)) for c in clusters]


def _replace(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each finding's value (spacing aside) replaced by its label."""
    for finding in sorted(findings, key=lambda f: -len(f.text)):
        parts = finding.text.split()
        if parts:
            # why: spaces and tabs only, so a value never swallows a line break of the text
            pattern = r"[ \t]*".join(re.escape(p) for p in parts)
            text = re.sub(pattern, LABELS.get(finding.kind, "[redacted]"), text)
    return text


def scrub(text: str) -> str:
    """``text`` with every email, card number, IBAN and phone number replaced by its label
    ("[email]"), line by line; also for text that comes with no image (a window's title)."""
    lines = []
    for line in text.split("\n"):
        for kind, start, end in reversed(detect(line)):
            line = line[:start] + LABELS[kind] + line[end:]
        lines.append(line)
    return "\n".join(lines)


def _redacted_words(words: Sequence[Word], findings: Sequence[Finding]) -> list[Word]:
    merged: dict[int, Word] = {}
    dropped: set[int] = set()
    for cluster in _clusters(words, findings):
        members = [words[i] for i in cluster]
        covered = [f for f in findings if any(box_of(w) in f.boxes for w in members)]
        joined = " ".join(w.text for w in members)
        text = _replace(joined, covered)
        if text == joined:  # why: the findings came from other words; hide these whole
            text = " ".join(dict.fromkeys(LABELS.get(f.kind, "[redacted]") for f in covered))
        box = union_box(box_of(w) for w in members)
        first = min(cluster)
        merged[first] = Word(text, *box, conf=min(w.conf for w in members))
        dropped |= set(cluster) - {first}
    return [merged.get(i, w) for i, w in enumerate(words) if i not in dropped]


def redact_result(result: OcrResult, findings: Sequence[Finding]) -> OcrResult:
    """``result`` with each sensitive value replaced by "[email]", "[card]", "[iban]" or
    "[phone]" in its text and its words.

    Words a finding covers become one word over their joint box (a card number read as four
    words becomes one "[card]" word). The text is also scanned again on its own, so a value the
    engine joined differently in the text than in its words is not left behind.
    """
    words = _redacted_words(result.words, findings)
    text = scrub(_replace(result.text, findings))
    return replace(result, text=text, words=words)


def redact(
    png: bytes, result: OcrResult, fields: Sequence[Box] = ()
) -> tuple[bytes, OcrResult, list[Finding]]:
    """Find the sensitive values in ``result``'s words and redact both the image and the OCR.

    ``fields``: the boxes of password fields the window toolkit declared; each is covered
    whole, whatever it shows, and the words read inside it become "[password]".

    Returns ``(redacted_png, redacted_result, findings)``; the PNG is re-encoded even when
    nothing was found. Raises ``ValueError`` when ``png`` is not a readable image.
    """
    findings = find_sensitive(result.words)
    findings += declared_fields(result.words, fields, findings)
    return redact_image(png, findings), redact_result(result, findings), findings
