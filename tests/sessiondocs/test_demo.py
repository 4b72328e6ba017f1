"""The demo session: drawn frames, real OCR, and the steps a reader of the docs expects."""

from __future__ import annotations

from sessiondocs.demo import FLOW, render
from sessiondocs.docgen import Frame, generate
from sessiondocs.ocr import read_image


def test_the_demo_flow_documents_one_step_per_action() -> None:
    frames = []
    for i, screen in enumerate(FLOW):
        png = render(screen)
        frames.append(Frame(f"shot{i}", f"{i:04d}.png", i * 4000.0, png, read_image(png)))
    doc = generate(frames, "Create an invoice")
    titles = [step.title for step in doc.steps]
    assert titles == [
        'Start in "Invoices - Ledger"',
        'Switch to "New invoice - Ledger"',
        'Type in "Customer"',
        'Type in "Email"',
        'Type in "Amount"',
        # a date typed into an empty field is a step, not a clock tick
        'Type in "Due date"',
        'Switch to "Invoices - Ledger"',
    ]
    assert "2026-12-15" in doc.steps[5].description
    assert doc.steps[5].highlight is not None
