"""The documentation quality bench: how it reads steps back and scores them, and two of its
scripted sessions run for real (Xvfb, a Tk app, xdotool, the capture loop, OCR, the generator)."""

from __future__ import annotations

import shutil
import sys

import pytest

from tests.conftest import ROOT
from tests.sessiondocs.conftest import xvfb_display

sys.path.insert(0, str(ROOT / "bench"))

import bench_sessiondocs_steps as bench
from steps_scenarios import SCENARIOS


@pytest.mark.parametrize(
    ("title", "read"),
    [
        ('Click "New invoice"', ("click", "new invoice")),
        ('Click into "Customer"', ("click", "customer")),
        ('Right-click "report.txt"', ("right-click", "report.txt")),
        ('Type "Dvorak Logistics" into "Customer:"', ("type", "customer")),
        ('Press "Ctrl+S"', ("press", "ctrl+s")),
        ('Start in "Ledger"', ("start", "")),
        ('Open "Settings"', ("other", 'open "settings')),
    ],
)
def test_a_step_title_reads_back_as_action_and_target(title: str, read: tuple[str, str]) -> None:
    assert bench.read_title(title) == read


def test_matching_counts_expected_steps_in_order_only() -> None:
    expected = [("click", "File"), ("click", "Export report..."), ("click", "OK")]
    assert (
        bench.matched(expected, [("click", "file"), ("click", "export report"), ("click", "ok")])
        == 3
    )
    # the same steps out of order count as far as their order holds
    assert bench.matched(expected, [("click", "ok"), ("click", "file")]) == 1
    # a wrong target or a wrong action is no match; extra steps cost nothing here
    written = [("click", "file"), ("open", "export report"), ("press", "ok"), ("click", "cancel")]
    assert bench.matched(expected, written) == 1


def test_every_scenario_expects_steps_it_acts_out() -> None:
    assert len(SCENARIOS) >= 10
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)
    for scenario in SCENARIOS:
        assert 0 < len(scenario.expected) <= len(scenario.actions), scenario.name


@pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs Xvfb and xdotool (make system)",
)
@pytest.mark.parametrize("name", ["confirm", "keyboard"])
def test_a_scripted_session_documents_as_expected(name: str, tmp_path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    with xvfb_display() as display:
        outcome = bench.run_scenario(scenario, display, str(tmp_path))
    assert outcome.found == len(scenario.expected), outcome.titles
    assert outcome.extra == 0, outcome.titles


@pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs Xvfb and xdotool (make system)",
)
def test_secrets_typed_into_a_real_form_are_covered_on_every_stored_frame(tmp_path) -> None:
    import bench_sessiondocs_redaction as redaction
    from steps_scenarios import REDACTION_SCENARIOS

    profile = next(s for s in REDACTION_SCENARIOS if s.name == "profile")
    with xvfb_display() as display:
        got = redaction.check(profile, display, tmp_path)
    assert got["pairs"] >= 10  # the secrets were on the frames, readable before redaction
    assert got["leaks"] == 0, got["where"]
    assert ("type", "password") in [bench.read_title(t) for t in got["titles"]]


def test_a_secret_counts_as_leaked_when_five_of_its_characters_in_a_row_can_be_read() -> None:
    import bench_sessiondocs_redaction as redaction

    assert redaction.leaked("4111 1111 1111 1111", "Card number 4111-11 [card]")
    assert not redaction.leaked("4111 1111 1111 1111", "Card number [card] 411")
    assert redaction.leaked("jana.novak@mailbox.cz", "Email jananovak")
