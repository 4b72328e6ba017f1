"""Input events: the mouse clicks and the keys that act, recorded so steps can name them.

What is recorded, and what never is:

- a mouse click: its position on the screen, its button (left, right, middle; the wheel is
  not a click) and the title of the window under the pointer;
- a key that acts: Enter, Tab, Escape, Delete, function keys, and shortcuts with Ctrl, Alt or
  Super ("Ctrl+S"), with the title of the window that has the focus;
- typing: only that it happened (``{"kind": "typing"}``, for the capture to follow it), never
  which character: a letter, digit, space or punctuation key is never named. The typed text
  reaches the documentation only from the screenshots, through the OCR and its redaction.

``InputRecorder`` is the interface the capture loop uses: ``start(callback)`` then ``stop()``;
``X11Recorder`` records on an X11 display through the RECORD extension (python-xlib), and
``recorder()`` picks the one for this platform (None where there is none yet: Windows and
macOS recorders can follow behind the same interface).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

Event = dict[str, Any]  # {"kind": "click", "at", "x", "y", "button", "window"} and the like
Callback = Callable[[Event], None]

BUTTONS = {1: "left", 2: "middle", 3: "right"}  # 4-7 are the wheel: no click

# keys that act, by X keysym name, as the documentation names them
ACTING_KEYS = {
    "Return": "Enter",
    "KP_Enter": "Enter",
    "Tab": "Tab",
    "ISO_Left_Tab": "Shift+Tab",
    "Escape": "Escape",
    "Delete": "Delete",
    **{f"F{n}": f"F{n}" for n in range(1, 13)},
}
_MODIFIERS = (("Ctrl", 1 << 2), ("Alt", 1 << 3), ("Super", 1 << 6))  # ControlMask, Mod1, Mod4
_SHIFT = 1 << 0
# keys that are modifiers themselves: pressing one alone is nothing
_MODIFIER_KEYS = {
    "Shift_L",
    "Shift_R",
    "Control_L",
    "Control_R",
    "Alt_L",
    "Alt_R",
    "Meta_L",
    "Meta_R",
    "Super_L",
    "Super_R",
    "ISO_Level3_Shift",
    "Caps_Lock",
    "Num_Lock",
}


def key_name(keysym_name: str, state: int) -> str | None:
    """The name a key press is recorded by ("Enter", "Ctrl+S", "Shift+Tab"), or None for a key
    that types (a character, with or without Shift): those are never named."""
    if not keysym_name or keysym_name in _MODIFIER_KEYS:
        return None
    held = [name for name, mask in _MODIFIERS if state & mask]
    acting = ACTING_KEYS.get(keysym_name)
    if acting is not None:
        if state & _SHIFT and not acting.startswith("Shift+") and held:
            held.append("Shift")
        return "+".join([*held, acting])
    if not held:
        return None  # typing: a character (Shift only makes it a capital)
    if state & _SHIFT:
        held.append("Shift")
    # why: a shortcut names its key as printed on the keyboard ("Ctrl+S", not "Ctrl+s")
    label = keysym_name.upper() if len(keysym_name) == 1 else keysym_name
    return "+".join([*held, label])


class InputRecorder(Protocol):
    """Records input events on this machine's screen until stopped."""

    def start(self, callback: Callback) -> None:
        """Start recording; ``callback`` gets each event, on the recorder's own thread."""
        ...

    def stop(self) -> None:
        """Stop recording and release the display (idempotent)."""
        ...


class InputUnavailable(Exception):
    """Input events cannot be recorded here (no display, no RECORD extension)."""


class X11Recorder:
    """Clicks and acting keys on an X11 display, recorded through the RECORD extension."""

    def __init__(self, display: str | None = None) -> None:
        self._display_name = display or os.environ.get("DISPLAY")
        self._thread: threading.Thread | None = None
        self._context: Any = None
        self._control: Any = None  # the connection that creates and ends the context
        self._lookup: Any = None  # the connection that reads window titles
        self._data: Any = None  # the connection the recorded events arrive on
        self._callback: Callback | None = None
        self._stopped = threading.Event()

    def start(self, callback: Callback) -> None:
        try:
            from Xlib import X, display
            from Xlib.error import DisplayError
            from Xlib.ext import record
        except ImportError as exc:  # pragma: no cover - python-xlib is a dependency on Linux
            raise InputUnavailable(f"python-xlib is not installed: {exc}") from exc
        if not self._display_name:
            raise InputUnavailable("no X display (DISPLAY is not set)")
        if not _listening(self._display_name):
            # why: python-xlib leaves its socket open when a connection fails; a local display
            # is checked first, without connecting
            raise InputUnavailable(f"cannot open the display {self._display_name}: no X server")
        try:
            self._control = display.Display(self._display_name)
            self._lookup = display.Display(self._display_name)
            self._data = display.Display(self._display_name)
        except (DisplayError, OSError) as exc:
            self.stop()
            raise InputUnavailable(f"cannot open the display {self._display_name}: {exc}") from exc
        if not self._control.has_extension("RECORD"):
            self.stop()
            raise InputUnavailable(f"the display {self._display_name} has no RECORD extension")
        self._callback = callback
        self._context = self._control.record_create_context(
            0,
            [record.AllClients],
            [
                {
                    "core_requests": (0, 0),
                    "core_replies": (0, 0),
                    "ext_requests": (0, 0, 0, 0),
                    "ext_replies": (0, 0, 0, 0),
                    "delivered_events": (0, 0),
                    "device_events": (X.KeyPress, X.ButtonPress),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }
            ],
        )
        self._control.sync()
        self._thread = threading.Thread(target=self._run, name="sessiondocs-input", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._data.record_enable_context(self._context, self._on_reply)
        except Exception:  # the display went away: recording ends, capture goes on
            if not self._stopped.is_set():
                print("sessiondocs: input recording stopped: the display closed", file=sys.stderr)

    def _on_reply(self, reply: Any) -> None:
        from Xlib import X
        from Xlib.ext import record
        from Xlib.protocol import rq

        if reply.category != record.FromServer or reply.client_swapped or not reply.data:
            return
        data = reply.data
        while data:
            event, data = rq.EventField(None).parse_binary_value(
                data, self._data.display, None, None
            )
            found: Event | None = None
            if event.type == X.ButtonPress:
                found = self._click(event)
            elif event.type == X.KeyPress:
                found = self._key(event)
            if found is not None and self._callback is not None:
                try:
                    self._callback(found)
                except Exception as exc:  # why: a failing consumer must not end recording
                    print(f"sessiondocs: an input event was lost: {exc}", file=sys.stderr)

    def _click(self, event: Any) -> Event | None:
        button = BUTTONS.get(event.detail)
        if button is None:
            return None
        return {
            "kind": "click",
            "at": time.time() * 1000,
            "x": int(event.root_x),
            "y": int(event.root_y),
            "button": button,
            "window": self._title_at(int(event.root_x), int(event.root_y)),
        }

    def _key(self, event: Any) -> Event | None:
        keysym = self._lookup.keycode_to_keysym(event.detail, 0)
        symbol = _keysym_name(keysym)
        if symbol in _MODIFIER_KEYS:
            return None  # Ctrl or Shift alone: part of what comes next
        name = key_name(symbol, event.state)
        if name is None:
            return {"kind": "typing", "at": time.time() * 1000, "window": self._focused_title()}
        return {
            "kind": "key",
            "at": time.time() * 1000,
            "key": name,
            "window": self._focused_title(),
        }

    # --- window titles -------------------------------------------------------------------

    def _title_at(self, x: int, y: int) -> str:
        """The title of the top-most visible top-level window holding the point."""
        from Xlib import X

        try:
            root = self._lookup.screen().root
            for window in reversed(root.query_tree().children):  # top of the stack first
                if window.get_attributes().map_state != X.IsViewable:
                    continue
                g = window.get_geometry()
                if g.x <= x < g.x + g.width + 2 * g.border_width and (
                    g.y <= y < g.y + g.height + 2 * g.border_width
                ):
                    return _title_of(window)
        except Exception:  # a window that closed meanwhile: no title, still a click
            return ""
        return ""

    def _focused_title(self) -> str:
        try:
            window = self._lookup.get_input_focus().focus
            for _ in range(8):  # the focus may sit in a child of the titled window
                if not hasattr(window, "query_tree"):
                    return ""
                title = _own_title(window)
                if title:
                    return title
                parent = window.query_tree().parent
                if not parent or parent == self._lookup.screen().root:
                    return _title_of(window)
                window = parent
        except Exception:
            return ""
        return ""

    def stop(self) -> None:
        self._stopped.set()
        if self._control is not None and self._context is not None:
            try:
                self._control.record_disable_context(self._context)
                self._control.flush()
            except Exception:
                pass
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._control is not None and self._context is not None:
            with contextlib.suppress(Exception):
                self._control.record_free_context(self._context)
        self._context = None
        for name in ("_data", "_lookup", "_control"):
            connection = getattr(self, name)
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()
                setattr(self, name, None)


@functools.cache
def _keysym_names() -> dict[int, str]:
    from Xlib import XK

    names: dict[int, str] = {}
    for attr in sorted(dir(XK)):
        if attr.startswith("XK_"):
            names.setdefault(getattr(XK, attr), attr[3:])
    return names


def _keysym_name(keysym: int) -> str:
    """The X name of a keysym: "Return", "Tab", "s", "comma"."""
    return _keysym_names().get(keysym, "")


def _own_title(window: Any) -> str:
    """A window's title: its ``_NET_WM_NAME`` (UTF-8), else its ``WM_NAME``; "" if none."""
    try:
        atom = window.display.get_atom("_NET_WM_NAME")
        name = window.get_full_text_property(atom) or window.get_wm_name()
    except Exception:
        return ""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    return " ".join(str(name or "").split())


def _title_of(window: Any, depth: int = 3) -> str:
    """The title of a top-level window: its own, or (under a window manager's frame) the first
    titled window inside it."""
    title = _own_title(window)
    if title or depth == 0:
        return title
    try:
        children = window.query_tree().children
    except Exception:
        return ""
    for child in reversed(children):  # the top-most child first
        title = _title_of(child, depth - 1)
        if title:
            return title
    return ""


def _listening(display: str) -> bool:
    """Whether a local display (``:N`` or ``:N.S``) has its X server's socket; other display
    names (a host's) are taken as reachable and tried."""
    if not display.startswith(":"):
        return True
    number = display[1:].split(".", 1)[0]
    return number.isdigit() and os.path.exists(f"/tmp/.X11-unix/X{number}")


def recorder() -> InputRecorder | None:
    """The input recorder for this platform, or None where there is none yet."""
    if sys.platform.startswith("linux") and os.environ.get("DISPLAY"):
        return X11Recorder()
    return None
