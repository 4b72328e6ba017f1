"""The demo session: drawn frames with the clicks a recording agent records, real OCR, and the
steps a reader of the docs expects."""

from __future__ import annotations

import pytest

from sessiondocs.demo import FLOW, clicks, render
from sessiondocs.docgen import Documentation, Frame, InputEvent, generate
from sessiondocs.ocr import read_image


@pytest.fixture(scope="module")
def demo_doc() -> Documentation:
    recorded = clicks()
    frames = []
    for i, screen in enumerate(FLOW):
        png = render(screen)
        event = recorded.get(i)
        frames.append(
            Frame(
                f"shot{i}",
                f"{i:04d}.png",
                i * 4000.0,
                png,
                read_image(png),
                InputEvent.from_json({**event, "at": i * 4000.0 - 400}) if event else None,
            )
        )
    return generate(frames, "Create an invoice")


def test_the_demo_documents_each_action_and_names_what_was_clicked(demo_doc) -> None:
    assert [step.title for step in demo_doc.steps] == [
        'Start in "Invoices - Ledger"',
        'Click "New invoice"',
        'Type "Dvorak Logistics" into "Customer"',
        'Type "billing@dvorak-logistics.cz" into "Email"',
        'Type "4,200.00" into "Amount"',
        # a date typed into an empty field is a step, not a clock tick
        'Type "2026-12-15" into "Due date"',
        'Click "Save"',
    ]


def test_a_click_step_shows_the_screen_clicked_with_the_spot_marked(demo_doc) -> None:
    new_invoice, save = demo_doc.steps[1], demo_doc.steps[6]
    # the screenshot is the one the click landed on (before it), marked where it landed
    assert new_invoice.screenshot_id == "shot0" and new_invoice.marker == (78, 67)
    assert save.screenshot_id == "shot5" and save.marker == (240, 410)
    # the ring marks the spot; no outline crowds the label it is meant to show
    assert new_invoice.highlight is None and save.highlight is None


def test_what_a_click_caused_is_part_of_its_step(demo_doc) -> None:
    assert demo_doc.steps[1].description == (
        'Click "New invoice". The window now shows "New invoice - Ledger".'
    )
    assert demo_doc.steps[6].description == (
        'Click "Save". The window now shows "Invoices - Ledger". '
        'A message says "Invoice INV-2041 saved".'
    )


def test_no_step_dumps_the_screens_text(demo_doc) -> None:
    for step in demo_doc.steps:
        assert " / " not in step.description, step
        assert len(step.description) <= 120, step
    assert "2026-12-15" in demo_doc.steps[5].description
    assert demo_doc.steps[5].highlight is not None
