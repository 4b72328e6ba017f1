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
