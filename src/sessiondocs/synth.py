"""Synthetic UI screenshots with known text: the ground truth the OCR tests and benchmark read.

``render_screen(seed, theme)`` draws an application window (title bar, menu bar, toolbar with
buttons and a search box, an optional sidebar, a form of labels and inputs, a table with a header
and rows, a status bar) in a light or a dark theme, with DejaVu Sans or Liberation Sans at 11-13
px, and returns the image with the text an OCR should read off it: one line per visual row, top
to bottom, words left to right. Icons (window controls, toolbar glyphs) are drawn as shapes and
are not part of the text. The same seed always draws the same screen. ``build_screen`` returns
the same with every word's exact ink box (``Screen.words``), to check where an OCR puts words.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from sessiondocs.words import Word

Theme = Literal["light", "dark"]
THEMES: tuple[Theme, ...] = ("light", "dark")
MIN_SIZE = (400, 320)  # the smallest screen the layout fits in

_FONT_DIRS = {
    "dejavu": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "liberation": (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
    ),
}

Font = ImageFont.FreeTypeFont
Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """The colours of one theme."""

    window: str
    titlebar: str
    title_text: str
    menubar: str
    text: str
    muted: str
    panel: str
    input_bg: str
    border: str
    button_bg: str
    button_text: str
    primary_bg: str
    primary_text: str
    header_bg: str
    row_alt: str
    selected: str
    status_bg: str
    status_text: str
    icons: tuple[str, ...]


PALETTES: dict[str, Palette] = {
    "light": Palette(
        window="#ffffff",
        titlebar="#dedede",
        title_text="#202020",
        menubar="#f5f5f5",
        text="#1f1f1f",
        muted="#6b6b6b",
        panel="#f3f4f6",
        input_bg="#ffffff",
        border="#c4c4c4",
        button_bg="#eeeeee",
        button_text="#1f1f1f",
        primary_bg="#0b63ce",
        primary_text="#ffffff",
        header_bg="#eceff3",
        row_alt="#f8f9fb",
        selected="#dbe9fb",
        status_bg="#eaeaea",
        status_text="#333333",
        icons=("#0b63ce", "#d9822b", "#2e9b4f", "#7a5cc4", "#555555"),
    ),
    "dark": Palette(
        window="#1e1e1e",
        titlebar="#323233",
        title_text="#cccccc",
        menubar="#2b2b2c",
        text="#d4d4d4",
        muted="#9a9a9a",
        panel="#252526",
        input_bg="#3c3c3c",
        border="#555555",
        button_bg="#3a3d41",
        button_text="#e6e6e6",
        primary_bg="#0e639c",
        primary_text="#ffffff",
        header_bg="#2d2d30",
        row_alt="#242426",
        selected="#094771",
        status_bg="#007acc",
        status_text="#ffffff",
        icons=("#4fc1ff", "#dcdcaa", "#89d185", "#c586c0", "#c5c5c5"),
    ),
}


# --- vocabulary --------------------------------------------------------------------------------

FIRST = "Anna Ben Carla David Elena Frank Grace Hugo Irene Jonas Karen Liam Maria Noah Olivia"
LAST = "Smith Miller Garcia Brown Novak Schmidt Rossi Dubois Jensen Kowalski Tanaka Silva Walsh"
DOMAINS = ("example.com", "acme.io", "contoso.net", "mail.org", "northwind.co")
CITIES = ("Berlin", "Lisbon", "Chicago", "Toronto", "Lyon", "Oslo", "Denver", "Leeds", "Porto")
COUNTRIES = ("Germany", "Portugal", "United States", "Canada", "France", "Norway", "Ireland")
COMPANIES = ("Acme Corp", "Globex Ltd", "Initech", "Umbrella Inc", "Stark Supplies", "Wayne Group")
STATUSES = ("Paid", "Pending", "Overdue", "Draft", "Active", "Closed", "Open", "Shipped")
STEMS = ("report", "budget", "invoice", "notes", "summary", "backup", "photo", "contract", "setup")
EXTS = ("pdf", "xlsx", "docx", "png", "csv", "txt", "zip", "json")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MENUS = ("File", "Edit", "View", "Insert", "Format", "Tools", "Window", "Help")
STATUS_LEFT = ("Ready", "Saved", "Connected", "Synced 2 minutes ago", "All changes saved")


def _name(r: random.Random) -> str:
    return f"{r.choice(FIRST.split())} {r.choice(LAST.split())}"


def _email(r: random.Random) -> str:
    return f"{r.choice(FIRST.split()).lower()}.{r.choice(LAST.split()).lower()}@{r.choice(DOMAINS)}"


def _date(r: random.Random) -> str:
    y, m, d = r.randint(2021, 2025), r.randint(1, 12), r.randint(1, 28)
    style = r.randrange(3)
    if style == 0:
        return f"{y}-{m:02d}-{d:02d}"
    if style == 1:
        return f"{d:02d}/{m:02d}/{y}"
    return f"{MONTHS[m - 1]} {d}, {y}"


def _amount(r: random.Random) -> str:
    return f"${r.randint(5, 99999) / 100 * r.choice((1, 10, 100)):,.2f}"


def _file(r: random.Random) -> str:
    sep = r.choice(("_", "-", ""))
    suffix = r.choice(
        (f"{sep}{r.randint(1, 99):02d}", f"{sep}q{r.randint(1, 4)}", f"{sep}final", "")
    )
    return f"{r.choice(STEMS)}{suffix}.{r.choice(EXTS)}"


def _size(r: random.Random) -> str:
    return r.choice((f"{r.randint(2, 980)} KB", f"{r.randint(11, 99) / 10:.1f} MB"))


def _phone(r: random.Random) -> str:
    return f"+{r.choice((1, 44, 49, 351))} {r.randint(200, 999)} {r.randint(1000, 9999)}"


def _ident(prefix: str) -> Callable[[random.Random], str]:
    return lambda r: f"{prefix}-{r.randint(1000, 99999)}"


def _pick(options: tuple[str, ...]) -> Callable[[random.Random], str]:
    return lambda r: r.choice(options)


Gen = Callable[[random.Random], str]


@dataclass(frozen=True)
class Domain:
    """One kind of application: what its window, form and table say."""

    title: str
    buttons: tuple[str, ...]
    search: str
    nav: tuple[str, ...]
    form_title: str
    fields: tuple[tuple[str, Gen], ...]
    actions: tuple[str, str]
    table_title: str
    columns: tuple[tuple[str, Gen], ...]


DOMAINS_UI: tuple[Domain, ...] = (
    Domain(
        title="Invoices - Acme Billing",
        buttons=("New", "Open", "Save", "Export", "Print", "Refresh"),
        search="Search invoices",
        nav=("Dashboard", "Invoices", "Customers", "Payments", "Reports", "Settings"),
        form_title="Invoice details",
        fields=(
            ("Invoice number", _ident("INV")),
            ("Customer", _pick(COMPANIES)),
            ("Issue date", _date),
            ("Due date", _date),
            ("Amount", _amount),
            ("Status", _pick(STATUSES)),
        ),
        actions=("Save changes", "Cancel"),
        table_title="Recent invoices",
        columns=(
            ("Number", _ident("INV")),
            ("Customer", _pick(COMPANIES)),
            ("Date", _date),
            ("Amount", _amount),
            ("Status", _pick(STATUSES)),
            ("Contact", _email),
        ),
    ),
    Domain(
        title="Contacts - Northwind CRM",
        buttons=("Add", "Edit", "Delete", "Import", "Share"),
        search="Search contacts",
        nav=("Home", "Contacts", "Companies", "Deals", "Tasks", "Calendar", "Settings"),
        form_title="Edit contact",
        fields=(
            ("First name", lambda r: r.choice(FIRST.split())),
            ("Last name", lambda r: r.choice(LAST.split())),
            ("Email", _email),
            ("Phone", _phone),
            ("City", _pick(CITIES)),
            ("Country", _pick(COUNTRIES)),
        ),
        actions=("Update contact", "Discard"),
        table_title="All contacts",
        columns=(
            ("Name", _name),
            ("Email", _email),
            ("Phone", _phone),
            ("Company", _pick(COMPANIES)),
            ("City", _pick(CITIES)),
        ),
    ),
    Domain(
        title="Documents - File Manager",
        buttons=("Upload", "New folder", "Download", "Rename", "Move"),
        search="Search files",
        nav=("Recent", "Documents", "Downloads", "Pictures", "Shared", "Trash"),
        form_title="File properties",
        fields=(
            ("File name", _file),
            ("Owner", _email),
            ("Size", _size),
            ("Modified", _date),
        ),
        actions=("Apply", "Close"),
        table_title="Documents",
        columns=(
            ("Name", _file),
            ("Size", _size),
            ("Modified", _date),
            ("Owner", _name),
            ("Type", _pick(("PDF document", "Spreadsheet", "Image", "Archive", "Text file"))),
        ),
    ),
    Domain(
        title="Orders - Stark Supplies Admin",
        buttons=("Create order", "Duplicate", "Cancel order", "Export CSV"),
        search="Order number or email",
        nav=("Overview", "Orders", "Products", "Inventory", "Shipping", "Returns"),
        form_title="Order summary",
        fields=(
            ("Order", _ident("ORD")),
            ("Placed on", _date),
            ("Customer email", _email),
            ("Total", _amount),
            ("Ship to", _pick(CITIES)),
            ("Tracking", _ident("TRK")),
        ),
        actions=("Mark as shipped", "Refund"),
        table_title="Line items",
        columns=(
            ("SKU", _ident("SKU")),
            ("Product", _pick(("Desk lamp", "USB cable", "Office chair", "Monitor arm", "Mug"))),
            ("Qty", lambda r: str(r.randint(1, 40))),
            ("Unit price", _amount),
            ("Status", _pick(STATUSES)),
        ),
    ),
)


# --- drawing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    """A rendered screen: its image, its text (lines top to bottom) and each word's exact box."""

    image: Image.Image
    text: str
    words: list[Word]
    theme: str


@lru_cache(maxsize=16)
def _font(family: str, size: int, bold: bool) -> Font:
    regular, bold_name = _FONT_DIRS[family]
    path = regular.rsplit("/", 1)[0] + "/" + bold_name if bold else regular
    return ImageFont.truetype(path, size)


@dataclass
class _Canvas:
    """A drawing surface that records every word it writes, with the row it belongs to."""

    image: Image.Image
    palette: Palette
    family: str
    size: int
    rows: dict[int, list[Word]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.draw = ImageDraw.Draw(self.image)

    def font(self, bold: bool = False, delta: int = 0) -> Font:
        return _font(self.family, self.size + delta, bold)

    def text(self, x: float, cy: int, s: str, fill: str, font: Font) -> float:
        """Write ``s`` left-aligned at ``x``, vertically centred on ``cy``; return its width."""
        self.draw.text((x, cy), s, fill=fill, font=font, anchor="lm")
        offset = 0
        for word in s.split(" "):
            if word:
                start = s.index(word, offset)
                dx = font.getlength(s[:start])
                left, top, right, bottom = font.getbbox(word, anchor="lm")
                ink = Word(
                    word,
                    round(x + dx + left),
                    cy + round(top),
                    round(right - left),
                    round(bottom - top),
                    conf=100.0,
                )
                self.rows.setdefault(cy, []).append(ink)
                offset = start + len(word)
        return font.getlength(s)

    def box(self, xy: tuple[float, float, float, float], fill: str, outline: str | None) -> None:
        self.draw.rectangle(xy, fill=fill, outline=outline)

    def button(self, x: float, cy: int, label: str, primary: bool = False) -> float:
        """A button with ``label``; return its right edge."""
        p, font = self.palette, self.font()
        width = font.getlength(label) + 24
        bg, fg = (p.primary_bg, p.primary_text) if primary else (p.button_bg, p.button_text)
        self.draw.rounded_rectangle(
            (x, cy - 12, x + width, cy + 12),
            radius=4,
            fill=bg,
            outline=None if primary else p.border,
        )
        self.text(x + 12, cy, label, fg, font)
        return x + width

    def icon(self, x: float, cy: int, r: random.Random) -> None:
        """A small glyph-free toolbar icon: a square, a circle, a cross or a page shape."""
        colour = r.choice(self.palette.icons)
        kind = r.randrange(4)
        box = (x, cy - 6, x + 12, cy + 6)
        if kind == 0:
            self.draw.rectangle(box, outline=colour, width=2)
        elif kind == 1:
            self.draw.ellipse(box, fill=colour)
        elif kind == 2:
            self.draw.line((x, cy - 6, x + 12, cy + 6), fill=colour, width=2)
            self.draw.line((x, cy + 6, x + 12, cy - 6), fill=colour, width=2)
        else:
            self.draw.polygon(
                [
                    (x + 2, cy - 6),
                    (x + 8, cy - 6),
                    (x + 11, cy - 3),
                    (x + 11, cy + 6),
                    (x + 2, cy + 6),
                ],
                outline=colour,
            )

    def result(self, theme: str) -> Screen:
        words: list[Word] = []
        lines: list[str] = []
        for cy in sorted(self.rows):
            row = sorted(self.rows[cy], key=lambda w: w.left)
            words += row
            lines.append(" ".join(w.text for w in row))
        return Screen(self.image, "\n".join(lines), words, theme)


def _title_bar(c: _Canvas, d: Domain, width: int, r: random.Random) -> int:
    p = c.palette
    c.box((0, 0, width, 30), p.titlebar, None)
    c.icon(10, 15, r)
    font = c.font(bold=True)
    c.text((width - font.getlength(d.title)) / 2, 15, d.title, p.title_text, font)
    # why: window controls are drawn as shapes; OCR engines read them as glyphs to be filtered
    x = width - 100
    c.draw.line((x, 15, x + 10, 15), fill=p.title_text, width=1)
    c.draw.rectangle((x + 34, 10, x + 44, 20), outline=p.title_text)
    c.draw.line((x + 68, 10, x + 78, 20), fill=p.title_text, width=1)
    c.draw.line((x + 68, 20, x + 78, 10), fill=p.title_text, width=1)
    return 30


def _menu_bar(c: _Canvas, top: int, width: int, r: random.Random) -> int:
    p = c.palette
    c.box((0, top, width, top + 24), p.menubar, None)
    x: float = 10
    for item in MENUS[: r.randint(5, len(MENUS))]:
        if x + c.font().getlength(item) > width - 10:
            break
        x += c.text(x, top + 12, item, p.text, c.font()) + 18
    return top + 24


def _toolbar(c: _Canvas, d: Domain, top: int, width: int, r: random.Random) -> int:
    p = c.palette
    c.box((0, top, width, top + 40), p.panel, None)
    c.draw.line((0, top + 39, width, top + 39), fill=p.border)
    cy, x = top + 20, 10.0
    search_w = max(180, c.font().getlength(d.search) + 40)
    left = width - search_w - 12
    for label in d.buttons:
        icon = r.random() < 0.5
        if x + 18 * icon + c.font().getlength(label) + 24 > left - 8:
            break  # no room left before the search box
        if icon:
            c.icon(x, cy, r)
            x += 18
        x = c.button(x, cy, label) + 8
    c.draw.rounded_rectangle((left, cy - 12, left + search_w, cy + 12), 4, p.input_bg, p.border)
    c.draw.ellipse((left + 8, cy - 5, left + 17, cy + 4), outline=p.muted, width=2)
    c.text(left + 26, cy, d.search, p.muted, c.font())
    return top + 40


def _form(c: _Canvas, d: Domain, left: int, top: int, width: int, r: random.Random) -> int:
    p = c.palette
    c.text(left, top + 14, d.form_title, p.text, c.font(bold=True, delta=1))
    y = top + 30
    font = c.font()
    label_w = max(font.getlength(label) for label, _ in d.fields) + 14
    col_w = (width - left - 20) // 2
    input_w = min(260, col_w - label_w - 20)
    for i in range(0, len(d.fields), 2):
        cy = y + 17
        for j, (label, gen) in enumerate(d.fields[i : i + 2]):
            x = left + j * col_w
            c.text(x, cy, label, p.text, font)
            box_left = x + label_w
            c.box((box_left, cy - 12, box_left + input_w, cy + 12), p.input_bg, p.border)
            value = gen(r)
            while value and font.getlength(value) > input_w - 16:
                value = value.rsplit(" ", 1)[0] if " " in value else value[:-1]
            c.text(box_left + 8, cy, value, p.text, font)
        y += 34
    cy = y + 20
    right = c.button(left, cy, d.actions[0], primary=True)
    c.button(right + 10, cy, d.actions[1])
    return y + 44


def _table(
    c: _Canvas, d: Domain, left: int, top: int, width: int, bottom: int, r: random.Random
) -> None:
    p = c.palette
    if bottom - top < 28 + 28 + 26:
        return  # no room for a title, a header and one row
    c.text(left, top + 12, d.table_title, p.text, c.font(bold=True, delta=1))
    top += 28
    font, bold = c.font(), c.font(bold=True)
    rows = (bottom - top - 28) // 26
    cells = [[gen(r) for _, gen in d.columns] for _ in range(rows)]
    widths = [
        max([bold.getlength(h)] + [font.getlength(row[k]) for row in cells]) + 24
        for k, (h, _) in enumerate(d.columns)
    ]
    ncols = len(widths)
    while sum(widths[:ncols]) > width - left - 10 and ncols > 2:
        ncols -= 1
    right = left + sum(widths[:ncols])
    c.box((left, top, right, top + 28), p.header_bg, p.border)
    x = float(left)
    for k in range(ncols):
        c.text(x + 10, top + 14, d.columns[k][0], p.text, bold)
        x += widths[k]
    y = top + 28
    selected = r.randrange(rows)
    for n, row in enumerate(cells):
        bg = p.selected if n == selected else (p.row_alt if n % 2 else p.window)
        c.box((left, y, right, y + 26), bg, None)
        c.draw.line((left, y + 25, right, y + 25), fill=p.border)
        x = float(left)
        for k in range(ncols):
            c.text(x + 10, y + 13, row[k], p.text, font)
            x += widths[k]
        y += 26


def _sidebar(c: _Canvas, d: Domain, top: int, bottom: int, width: int) -> None:
    p = c.palette
    c.box((0, top, width, bottom), p.panel, None)
    c.draw.line((width, top, width, bottom), fill=p.border)
    # why: nav items sit on rows the content already uses, so "one line per visual row" stays
    # unambiguous for the ground truth (a sidebar offset by half a row would interleave lines)
    centres = [cy for cy in sorted(c.rows) if top < cy < bottom]
    for n, (label, cy) in enumerate(zip(d.nav, centres[1::2], strict=False)):
        if n == 1:
            c.box((4, cy - 12, width - 4, cy + 12), p.selected, None)
        c.text(16, cy, label, p.text, c.font())


def _status_bar(c: _Canvas, width: int, height: int, r: random.Random) -> None:
    p = c.palette
    top = height - 24
    c.box((0, top, width, height), p.status_bg, None)
    cy = top + 12
    font = c.font(delta=-1)
    c.text(10, cy, r.choice(STATUS_LEFT), p.status_text, font)
    middle = f"{r.randint(2, 400)} items"
    c.text(width // 2 - 40, cy, middle, p.status_text, font)
    right = f"Ln {r.randint(1, 300)}, Col {r.randint(1, 80)}  UTF-8"
    c.text(width - font.getlength(right) - 14, cy, right, p.status_text, font)


def build_screen(seed: int, theme: Theme = "light", width: int = 1280, height: int = 800) -> Screen:
    """Draw the screen for ``seed`` in ``theme`` and return it with its text and word boxes."""
    if theme not in PALETTES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {', '.join(THEMES)}")
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise ValueError(f"a screen is at least {MIN_SIZE[0]}x{MIN_SIZE[1]}, not {width}x{height}")
    r = random.Random(seed)
    palette = PALETTES[theme]
    family = r.choice(tuple(_FONT_DIRS))
    c = _Canvas(
        Image.new("RGB", (width, height), palette.window), palette, family, r.randint(11, 13)
    )
    d = r.choice(DOMAINS_UI)
    top = _toolbar(c, d, _menu_bar(c, _title_bar(c, d, width, r), width, r), width, r)
    nav_w = 170 if r.random() < 0.6 and width >= 900 else 0
    left = nav_w + 20
    top = _form(c, d, left, top + 10, width, r)
    _table(c, d, left, top, width, height - 34, r)
    if nav_w:
        _sidebar(c, d, 94, height - 24, nav_w)
    _status_bar(c, width, height, r)
    return c.result(theme)


def render_screen(
    seed: int, theme: Theme = "light", width: int = 1280, height: int = 800
) -> tuple[Image.Image, str]:
    """Draw a synthetic UI screenshot; return the image and its ground-truth text.

    The text has one line per visual row, top to bottom, words left to right, separated by
    single spaces. Deterministic for a seed.
    """
    screen = build_screen(seed, theme, width, height)
    return screen.image, screen.text


def synthetic_set(n: int, seed: int = 0) -> list[tuple[Image.Image, str, str]]:
    """``n`` screens (image, truth, theme), alternating light and dark, from seeds ``seed..``."""
    out: list[tuple[Image.Image, str, str]] = []
    for i in range(n):
        theme = THEMES[i % 2]
        image, text = render_screen(seed + i, theme)
        out.append((image, text, theme))
    return out
