"""Password fields as the window toolkit declares them, so every frame covers them.

A field labelled "Password" is found on the screen by the server's redaction; a password field
whose label says otherwise ("PIN", "Secret", a field with no label) is known only to the
application. On Linux desktops the toolkits publish their widgets over AT-SPI, the
accessibility bus screen readers use (GTK, Qt, Chromium, Firefox): a widget with the role
"password text" is a password field. ``AtspiSecretFields`` reads the screen boxes of those
that are showing; the capture loop attaches them to every frame it keeps, and the server
covers them with solid fills before anything is stored.

Other platforms' readers implement ``SecretFields`` (Windows UI Automation's ``IsPassword``,
macOS's ``AXSecureTextField``). Where no accessibility bus answers (no D-Bus session, a
toolkit that publishes nothing, such as Tk), ``boxes`` finds none and the labels remain.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Any, Protocol

log = logging.getLogger("sessiondocs.agent")

Box = tuple[int, int, int, int]  # (left, top, width, height) in screen pixels

ROLE_PASSWORD_TEXT = 40  # AT-SPI's Role enum
STATE_SHOWING = 25  # AT-SPI's StateType enum: bit 25 of the first word of GetState
MAX_NODES = 4000  # accessible objects looked at per frame at most (a browser has many)
BUDGET = 0.3  # seconds one look may take at most
CALL_TIMEOUT = 1.0  # seconds one D-Bus call may take
RETRY_AFTER = 2.0  # seconds before a bus that did not answer is tried again

_ACCESSIBLE = "org.a11y.atspi.Accessible"
_REGISTRY = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")


class SecretFields(Protocol):
    """Where the password fields showing on the screen are."""

    def boxes(self) -> list[Box]:
        """The screen boxes of the password fields showing now (none when unknown)."""
        ...

    def close(self) -> None: ...


class NoSecretFields:
    """A platform whose toolkits say nothing: no boxes."""

    def boxes(self) -> list[Box]:
        return []

    def close(self) -> None:
        pass


class AtspiSecretFields:
    """Password fields from the AT-SPI accessibility bus of the D-Bus session."""

    def __init__(self, session_bus: str | None = None) -> None:
        """``session_bus``: the session bus address (None: ``$DBUS_SESSION_BUS_ADDRESS``)."""
        self._session_bus = session_bus or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        self._conn: Any = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def boxes(self) -> list[Box]:
        with self._lock:
            conn = self._connect()
            if conn is None:
                return []
            try:
                return self._walk(conn)
            except Exception as exc:  # why: a bus gone away, an app that quit mid-walk
                log.debug("reading password fields over AT-SPI failed: %s", exc)
                self._drop()
                return []

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connect(self) -> Any:
        if self._conn is not None:
            return self._conn
        if self._session_bus is None:
            return None
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER:
            return None
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        try:
            with open_dbus_connection(self._session_bus) as session:
                bus = DBusAddress(
                    "/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus"
                )
                reply = session.send_and_get_reply(
                    new_method_call(bus, "GetAddress"), timeout=CALL_TIMEOUT
                )
                address = reply.body[0]
            self._conn = open_dbus_connection(address)
        except Exception as exc:
            log.info("no accessibility bus (%s): password fields known by their labels only", exc)
            self._failed_at = time.monotonic()
            return None
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None
        self._failed_at = time.monotonic()

    def _walk(self, conn: Any) -> list[Box]:
        """Every showing object's children, depth first from the desktop, within budget."""
        deadline = time.monotonic() + BUDGET
        found: list[Box] = []
        # why: an application's own object is never "showing"; its windows and widgets are
        stack = [
            (name, path, True)
            for name, path in _call(conn, *_REGISTRY, _ACCESSIBLE, "GetChildren")[0]
        ]
        seen = 0
        while stack and seen < MAX_NODES and time.monotonic() < deadline:
            name, path, application = stack.pop()
            seen += 1
            state = _call(conn, name, path, _ACCESSIBLE, "GetState")[0]
            if not application and (not state or not state[0] & (1 << STATE_SHOWING)):
                continue  # why: nothing inside a hidden object is on the screen
            if _call(conn, name, path, _ACCESSIBLE, "GetRole")[0] == ROLE_PASSWORD_TEXT:
                x, y, w, h = _call(
                    conn, name, path, "org.a11y.atspi.Component", "GetExtents", "u", (0,)
                )[0]
                if w > 0 and h > 0:
                    found.append((int(x), int(y), int(w), int(h)))
                continue
            children = _call(conn, name, path, _ACCESSIBLE, "GetChildren")[0]
            stack.extend((child, child_path, False) for child, child_path in children)
        return found


def _call(
    conn: Any, name: str, path: str, interface: str, method: str, sig: str | None = None,
    body: tuple[Any, ...] = (),
) -> tuple[Any, ...]:  # fmt: skip
    from jeepney import DBusAddress, new_method_call

    message = new_method_call(
        DBusAddress(path, bus_name=name, interface=interface), method, sig, body
    )
    return tuple(conn.send_and_get_reply(message, timeout=CALL_TIMEOUT).body)


def platform_secret_fields() -> SecretFields:
    """The reader for this platform: AT-SPI on a Linux desktop with a D-Bus session."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return AtspiSecretFields()
    return NoSecretFields()
