"""Convex's sync protocol: timestamps, versions and the JSON of server messages.

Timestamps are u64 nanoseconds, sent as 8 little-endian bytes in standard base64. Messages
are built as JSON text; query values are serialized once per result and spliced into every
client's Transition, since fan-out to many clients is the hot path.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass
from typing import Any

from livebase.engine import values
from livebase.engine.errors import LimitError

_U64 = struct.Struct("<Q")
MAX_U32 = 2**32 - 1


class ProtocolError(Exception):
    """A client message that breaks the protocol; the connection is closed with it."""


def encode_ts(ts: int) -> str:
    """A timestamp on the wire: base64 of 8 little-endian bytes."""
    return base64.b64encode(_U64.pack(ts)).decode("ascii")


def decode_ts(text: Any) -> int:
    """Inverse of encode_ts; ProtocolError for anything else."""
    if not isinstance(text, str):
        raise ProtocolError(f"Expected a base64 timestamp, got {type(text).__name__}")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ProtocolError("Timestamp is not valid base64") from exc
    if len(raw) != 8:
        raise ProtocolError("Timestamp must be 8 bytes")
    return int(_U64.unpack(raw)[0])


def u32(message: dict[str, Any], field: str) -> int:
    """A required u32 field of a client message."""
    value = message.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ProtocolError(f"{message.get('type')}.{field} must be an integer")
    if not 0 <= value <= MAX_U32:
        raise ProtocolError(f"{message.get('type')}.{field} is out of range")
    return int(value)


def parse_message(text: str) -> Any:
    """A client message's JSON; ProtocolError if it is not JSON or nests too deeply to read."""
    try:
        return values.parse_json(text, "The message")
    except LimitError as exc:
        raise ProtocolError(f"Malformed message: {exc.message}") from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"Malformed message: not JSON ({exc.msg})") from None


def raw_udf_args(message: dict[str, Any]) -> Any:
    """The arguments object of a call as sent, still in lossless JSON: ``args`` is
    ``[{...}]`` on the wire (or a bare object).

    ProtocolError if it nests deeper than Convex's limit (64 levels): the connection ends
    with a FatalError, as it does for any malformed message."""
    raw = message.get("args", [{}])
    if isinstance(raw, list):
        if len(raw) != 1:
            raise ProtocolError("args must be a one-element array holding the arguments object")
        raw = raw[0]
    try:
        # why: checked before decoding, which recurses once per level
        return values.check_nesting(raw, "The arguments object")
    except LimitError as exc:
        raise ProtocolError(exc.message) from None


def udf_args(message: dict[str, Any]) -> Any:
    """The decoded arguments object of a call (see ``raw_udf_args``)."""
    return values.from_convex_json(raw_udf_args(message))


@dataclass(frozen=True)
class StateVersion:
    """What a client holds: its query-set version, identity version and timestamp."""

    query_set: int
    identity: int
    ts: int

    def to_json(self) -> str:
        return (
            f'{{"querySet":{self.query_set},"identity":{self.identity},'
            f'"ts":"{encode_ts(self.ts)}"}}'
        )


def dumps(obj: Any) -> str:
    """Compact JSON text."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def transition(
    start: StateVersion,
    end: StateVersion,
    modifications: list[str],
    server_ts: int,
    skew: int | None,
) -> str:
    """A Transition message from pre-serialized modifications."""
    return (
        f'{{"type":"Transition","startVersion":{start.to_json()},"endVersion":{end.to_json()},'
        f'"modifications":[{",".join(modifications)}],'
        f'"clientClockSkew":{"null" if skew is None else skew},"serverTs":{server_ts}}}'
    )


def query_updated(
    query_id: int, value_json: str, journal: str | None, log_lines: list[str] | None = None
) -> str:
    return (
        f'{{"type":"QueryUpdated","queryId":{query_id},"value":{value_json},'
        f'"logLines":{dumps(log_lines or [])},"journal":{dumps(journal)}}}'
    )


def query_failed(
    query_id: int,
    message: str,
    data_json: str | None,
    journal: str | None,
    log_lines: list[str] | None = None,
) -> str:
    out = {
        "type": "QueryFailed",
        "queryId": query_id,
        "errorMessage": message,
        "logLines": log_lines or [],
        "journal": journal,
    }
    return _with_error_data(dumps(out), data_json)


def query_removed(query_id: int) -> str:
    return f'{{"type":"QueryRemoved","queryId":{query_id}}}'


PING = '{"type":"Ping"}'


def _with_error_data(text: str, data_json: str | None) -> str:
    return text if data_json is None else text[:-1] + f',"errorData":{data_json}}}'


def mutation_succeeded(request_id: int, value_json: str, ts: int, log_lines: list[str]) -> str:
    """A successful MutationResponse; ``value_json`` is the result's Convex JSON text."""
    return (
        f'{{"type":"MutationResponse","requestId":{request_id},"success":true,'
        f'"result":{value_json},"ts":"{encode_ts(ts)}","logLines":{dumps(log_lines)}}}'
    )


def mutation_failed(
    request_id: int, message: str, data_json: str | None, log_lines: list[str]
) -> str:
    """A failed MutationResponse (``errorData`` only for a ConvexError)."""
    reply = {
        "type": "MutationResponse",
        "requestId": request_id,
        "success": False,
        "result": message,
        "ts": None,
        "logLines": log_lines,
    }
    return _with_error_data(dumps(reply), data_json)


def action_succeeded(request_id: int, value_json: str, log_lines: list[str]) -> str:
    """A successful ActionResponse."""
    return (
        f'{{"type":"ActionResponse","requestId":{request_id},"success":true,'
        f'"result":{value_json},"logLines":{dumps(log_lines)}}}'
    )


def action_failed(
    request_id: int, message: str, data_json: str | None, log_lines: list[str]
) -> str:
    """A failed ActionResponse."""
    reply = {
        "type": "ActionResponse",
        "requestId": request_id,
        "success": False,
        "result": message,
        "logLines": log_lines,
    }
    return _with_error_data(dumps(reply), data_json)


def auth_error(error: str, base_version: int) -> str:
    """The AuthError a client gets before the server closes the connection."""
    return dumps(
        {
            "type": "AuthError",
            "error": error,
            "baseVersion": base_version,
            "authUpdateAttempted": True,
        }
    )


def fatal_error(error: str) -> str:
    """The FatalError a client gets before the server closes the connection."""
    return dumps({"type": "FatalError", "error": error})
