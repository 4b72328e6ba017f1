"""The capture agent: this PC's screen, frame by frame, into a sessiondocs session.

``main`` is ``python -m sessiondocs agent``; the pieces it is built from are public so that
they can be tested and reused on their own.
"""

from sessiondocs.agent._change import Action, CapturePolicy, ChangeDetector, Decision
from sessiondocs.agent._cli import build_parser, main
from sessiondocs.agent._client import Client, ServerError, ServerRejected, ServerUnavailable
from sessiondocs.agent._loop import CaptureLoop, CaptureStats
from sessiondocs.agent._queue import FrameQueue, QueueBusy, QueuedFrame, SessionInfo
from sessiondocs.agent._report import Reporter
from sessiondocs.agent._screen import Grab, Screen, ScreenError, encode_png, thumbnail
from sessiondocs.agent._secrets import (
    AtspiSecretFields,
    NoSecretFields,
    SecretFields,
    platform_secret_fields,
)
from sessiondocs.agent._uploader import Backoff, Uploader

__all__ = [
    "Action",
    "AtspiSecretFields",
    "Backoff",
    "CaptureLoop",
    "CapturePolicy",
    "CaptureStats",
    "ChangeDetector",
    "Client",
    "Decision",
    "FrameQueue",
    "Grab",
    "NoSecretFields",
    "QueueBusy",
    "QueuedFrame",
    "Reporter",
    "Screen",
    "ScreenError",
    "SecretFields",
    "ServerError",
    "ServerRejected",
    "ServerUnavailable",
    "SessionInfo",
    "Uploader",
    "build_parser",
    "encode_png",
    "main",
    "platform_secret_fields",
    "thumbnail",
]
