"""The input recorder's rules: which key presses are named, and that typing never is."""

from __future__ import annotations

import pytest

from sessiondocs.agent._input import key_name

SHIFT, CTRL, ALT, SUPER = 1, 4, 8, 64


@pytest.mark.parametrize(
    ("keysym", "state", "name"),
    [
        ("Return", 0, "Enter"),
        ("KP_Enter", 0, "Enter"),
        ("Tab", 0, "Tab"),
        ("ISO_Left_Tab", SHIFT, "Shift+Tab"),
        ("Escape", 0, "Escape"),
        ("F5", 0, "F5"),
        ("s", CTRL, "Ctrl+S"),
        ("S", CTRL | SHIFT, "Ctrl+Shift+S"),
        ("Return", CTRL, "Ctrl+Enter"),
        ("F4", ALT, "Alt+F4"),
        ("e", SUPER, "Super+E"),
        ("comma", CTRL, "Ctrl+comma"),
    ],
)
def test_keys_that_act_are_named(keysym: str, state: int, name: str) -> None:
    assert key_name(keysym, state) == name


@pytest.mark.parametrize(
    ("keysym", "state"),
    [
        ("a", 0),
        ("A", SHIFT),  # a capital is typing too
        ("space", 0),
        ("1", 0),
        ("at", SHIFT),
        ("BackSpace", 0),  # correcting what is typed is typing
        ("Control_L", CTRL),  # a modifier alone is nothing yet
        ("Shift_R", 0),
        ("", 0),
    ],
)
def test_typed_characters_are_never_named(keysym: str, state: int) -> None:
    assert key_name(keysym, state) is None


def test_without_a_display_to_record_the_agent_says_so_and_records_screenshots_only() -> None:
    import io
    from queue import SimpleQueue

    from sessiondocs.agent._cli import start_input
    from sessiondocs.agent._input import InputUnavailable, X11Recorder
    from sessiondocs.agent._report import Reporter

    with pytest.raises(InputUnavailable, match="cannot open the display"):
        X11Recorder(":987").start(lambda event: None)
    out, err = io.StringIO(), io.StringIO()
    import sessiondocs.agent._cli as cli

    original = cli.input_recorder
    cli.input_recorder = lambda: X11Recorder(":987")
    try:
        assert start_input(SimpleQueue(), Reporter(out, err)) is None
    finally:
        cli.input_recorder = original
    assert "input events are not recorded" in err.getvalue()
    assert "screenshots only" in err.getvalue()
    assert "recording mouse clicks" not in out.getvalue()
