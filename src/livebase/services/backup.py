"""Export and import of a deployment, in the ZIP layout of ``npx convex export`` / ``import``.

The layout (Convex's snapshot export: get-convex/convex-backend, crates/exports/src/lib.rs,
zip_uploader.rs and export_storage.rs; read back by
crates/application/src/snapshot_import/parse.rs)::

    README.md                          what the ZIP is
    _tables/documents.jsonl            {"name": table, "id": table number}, per user table
    <table>/generated_schema.jsonl     "uniform"
    <table>/documents.jsonl            one document per line, with _id and _creationTime
    _storage/documents.jsonl           {"_id", "_creationTime", "sha256", "size", "contentType"}
    _storage/<storage ID><.ext>        each file's bytes; the extension is a guess from its type

Values are in Convex's current export encoding, the one a ``"uniform"`` generated schema
announces: an int64 is a JSON integer (``5``), a float64 always has a decimal point or an
exponent (``5.0``, ``1e+300``), NaN and the infinities are ``{"$float": base64}``, bytes are
``{"$bytes": base64}``, and the rest is plain JSON, so an export is lossless. A file's
``sha256`` is base64, as Convex writes it.

``export_zip`` reads everything through one persistence snapshot, so it is the deployment at
one commit timestamp whatever the server commits meanwhile. Files are content-addressed blobs
that a deletion removes after it commits, so with the snapshot (holding off commits for that
moment only) the export takes a hold in the database (``StorageService.hold``) under which no
process collects a blob; then, while commits go on, it copies every blob the snapshot refers
to aside (a hard link for a directory store, the bytes for the database or S3), and lets the
hold go.

``import_zip`` reads that encoding, and the one Convex wrote until March 2026
(crates/shape_inference/src/export_context.rs): clean JSON, int64 as decimal strings and bytes
as base64 strings, their types given by a shape in ``generated_schema.jsonl`` and per-document
overrides. A table without ``generated_schema.jsonl`` reads as plain JSON, numbers as float64,
as Convex reads it. Then:

- A deployment with documents in a user table or stored files is refused, unless
  ``replace=True``: then every user table and every file is cleared first.
- Nothing is written before the whole ZIP has been read: every document decoded and checked
  against the app's schema (an error names the ZIP entry and line), every file's bytes
  matching their size and sha256. Then the files, then the documents, in transactions of at
  most ``BATCH`` documents; each keeps its ``_id`` and ``_creationTime`` (a document without
  them gets new ones, as in Convex). A failure past that point (a full disk) can leave part of
  the import behind: import again with ``replace=True``.
- System tables other than ``_storage`` are skipped, as Convex skips them; the summary says
  so. Components (``_components/...``) are refused: livebase has none.

**Table numbers and IDs.** A Convex ID carries its table's number, and livebase numbers tables
when it applies the schema, so this deployment's numbers may differ from the ZIP's (its
``_tables/documents.jsonl``, or the ``_id`` of a table not listed there). Import keeps the
local numbers and re-encodes IDs: an ID of a ZIP table whose number differs becomes the ID of
the same document in the local table (the same 16-byte internal id, the local number, a new
checksum). That applies to every ``_id`` and to every string anywhere in a document that is a
well-formed ID of one of the ZIP's tables or of its ``_storage``, whatever the field's
validator (``v.id``, ``v.string``, ``v.any``), so references between tables and to files go on
working. A string that is not an ID would have to have an ID's length and alphabet, a table
number of the ZIP and a matching 16-bit checksum to be taken for one. IDs of tables the ZIP
does not hold stay as they are. Where the numbers agree (a deployment of the same app), no ID
changes.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import itertools
import json
import math
import mimetypes
import os
import re
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from livebase.engine import progress, values
from livebase.engine.catalog import Catalog, TableInfo, id_key
from livebase.engine.errors import InvalidIdError, LivebaseError, ValidationError
from livebase.engine.ids import (
    MAX_ID_LEN,
    MIN_ID_LEN,
    VERSION,
    b32decode,
    b32encode,
    decode_id,
    fletcher16,
    new_id,
)
from livebase.engine.store import Snapshot
from livebase.engine.transaction import PendingWrite, Transaction
from livebase.engine.values import Int64
from livebase.services import storage
from livebase.services.blobs import BlobStore, DirectoryBlobStore
from livebase.services.runtime import Runtime

__all__ = [
    "BATCH",
    "BackupError",
    "ExportSummary",
    "ImportSummary",
    "export_zip",
    "import_zip",
    "reencode_id",
]

BATCH = 500  # documents per import transaction (well under MAX_WRITES)
_BATCH_BYTES = 4 << 20  # and at most this much document text
_SCAN_PAGE = 1000
_CHUNK = 1 << 20
_ENTRY_MODE = 0o100644 << 16  # a regular file, rw-r--r--, as Convex writes its entries

README = """\
# A livebase snapshot export

This ZIP file holds a snapshot of the tables of a livebase deployment, in the layout of a
Convex snapshot export.

The documents of each table are lines of JSON in <table_name>/documents.jsonl;
_tables/documents.jsonl lists the tables with their numbers, and _storage/ holds the stored
files.
"""


class BackupError(LivebaseError):
    """An export or import that cannot be done; the message says why (for a ZIP's document,
    which entry and line)."""

    code = "BackupError"


# --- export -------------------------------------------------------------------------------


@dataclass
class ExportSummary:
    """What ``export_zip`` wrote: the snapshot's commit timestamp, the documents per user
    table, and the files."""

    path: Path
    ts: int
    tables: dict[str, int]
    files: int
    file_bytes: int


@dataclass
class _ExportedFile:
    doc: dict[str, Any]
    blob: Path  # a hard link (or copy) of its blob, taken with the snapshot


def export_zip(
    runtime: Runtime, path: str | Path, *, include_storage: bool = True
) -> ExportSummary:
    """Write the deployment's user tables (and, with ``include_storage``, its files) to a ZIP
    at ``path``, as of one commit timestamp; the server may go on committing meanwhile.

    The ZIP appears at ``path`` only once complete.
    """
    target = Path(path)
    staging = Path(tempfile.mkdtemp(prefix="export-", dir=runtime.storage.root))
    snap: Snapshot | None = None
    try:
        with contextlib.ExitStack() as held:
            # why: a file deleted after the snapshot loses its blob once the deletion
            # commits; a hold taken before any deletion can commit keeps every blob until
            # the files are copied, while commits go on
            with runtime.db.exclusive():
                snap = runtime.db.persistence.snapshot()
                catalog = Catalog.from_json(snap.meta("catalog"))
                renew = held.enter_context(runtime.storage.hold()) if include_storage else None
            files = _link_blobs(runtime, snap, catalog, staging, renew) if renew else []
        fd, pending = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(pending, "w", zipfile.ZIP_DEFLATED) as zf:
                _write_text(zf, "README.md", README)
                tables = _write_tables(zf, snap, catalog)
                if include_storage:
                    _write_files(zf, files)
            os.replace(pending, target)
        except BaseException:
            Path(pending).unlink(missing_ok=True)
            raise
        size = sum(f.doc["size"] for f in files)
        return ExportSummary(target, snap.ts, tables, len(files), size)
    finally:
        if snap is not None:
            snap.close()
        shutil.rmtree(staging, ignore_errors=True)


def _scan(snap: Snapshot, number: int) -> Iterator[dict[str, Any]]:
    """Every document of a table in the snapshot, in ID order."""
    start = b""
    while True:
        rows = snap.scan(number, None, start, None, False, _SCAN_PAGE)
        for _, text in rows:
            yield values.loads(text)
        if len(rows) < _SCAN_PAGE:
            return
        start = rows[-1][0] + b"\x00"


def _link_blobs(
    runtime: Runtime,
    snap: Snapshot,
    catalog: Catalog,
    staging: Path,
    renew: Callable[[], None],
) -> list[_ExportedFile]:
    info = catalog.tables.get(storage.TABLE)
    if info is None:
        return []
    files = []
    for doc in _scan(snap, info.number):
        blob = staging / doc["sha256"]
        if not blob.exists():
            _copy_blob(runtime.storage.blob_store, doc, blob)
            renew()
        files.append(_ExportedFile(doc, blob))
    return files


def _copy_blob(store: BlobStore, doc: dict[str, Any], target: Path) -> None:
    """The bytes of a file at ``target``: a hard link where the blob is on this disk."""
    if isinstance(store, DirectoryBlobStore):
        with contextlib.suppress(OSError):  # missing (said below), or no hard links here
            os.link(store.path(doc["sha256"]), target)
            return
    chunks = store.open(doc["sha256"])
    if chunks is None:
        raise BackupError(
            f"The bytes of file {doc['_id']} are missing from storage ({doc['sha256']})"
        )
    with contextlib.closing(chunks), open(target, "wb") as out:
        for chunk in chunks:
            out.write(chunk)


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, datetime.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _ENTRY_MODE
    return info


def _write_text(zf: zipfile.ZipFile, name: str, text: str) -> None:
    with zf.open(_entry(name), "w") as out:
        out.write(text.encode("utf-8"))


def _write_lines(zf: zipfile.ZipFile, name: str, lines: Iterable[Any]) -> int:
    count = 0
    # why: a table's size is not known up front, and one over 2 GiB needs ZIP64 headers
    with zf.open(_entry(name), "w", force_zip64=True) as out:
        for line in lines:
            out.write(_dumps(line).encode("utf-8") + b"\n")
            count += 1
    return count


def _dumps(value: Any) -> str:
    # why: Convex writes object keys sorted (its objects are ordered maps); so ZIPs diff well
    return json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False
    )


def _write_tables(zf: zipfile.ZipFile, snap: Snapshot, catalog: Catalog) -> dict[str, int]:
    user = sorted(
        (t for t in catalog.tables.values() if not t.name.startswith("_")),
        key=lambda t: t.number,
    )
    _write_lines(zf, "_tables/documents.jsonl", ({"name": t.name, "id": t.number} for t in user))
    counts = {}
    for table in user:
        _write_text(zf, f"{table.name}/generated_schema.jsonl", '"uniform"\n')
        with progress.task(f"exporting {table.name}") as work:
            documents = (_export_value(doc) for doc in _scan(snap, table.number))
            counts[table.name] = _write_lines(
                zf, f"{table.name}/documents.jsonl", progress.counted(documents, work)
            )
    return counts


def _write_files(zf: zipfile.ZipFile, files: list[_ExportedFile]) -> None:
    _write_lines(zf, "_storage/documents.jsonl", (_file_line(f.doc) for f in files))
    for f in files:
        name = f"_storage/{f.doc['_id']}{_extension(f.doc.get('contentType'))}"
        with f.blob.open("rb") as source, zf.open(_entry(name), "w", force_zip64=True) as out:
            shutil.copyfileobj(source, out, _CHUNK)


def _file_line(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": doc["_id"],
        "_creationTime": float(doc["_creationTime"]),
        "sha256": base64.b64encode(bytes.fromhex(doc["sha256"])).decode("ascii"),
        "size": doc["size"],
        "contentType": doc.get("contentType"),
    }


def _extension(content_type: Any) -> str:
    if not isinstance(content_type, str):
        return ""
    return mimetypes.guess_extension(content_type.partition(";")[0].strip()) or ""


def _export_value(value: Any) -> Any:
    """A value in Convex's export encoding (the ``"uniform"`` one), ready for ``json.dumps``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Int64):
        return int(value)
    if isinstance(value, int):  # a float64 in its canonical form
        return float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else values.to_convex_json(value)
    if isinstance(value, bytes):
        return values.to_convex_json(value)
    if isinstance(value, list):
        return [_export_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _export_value(item) for key, item in value.items()}
    raise BackupError(f"{type(value).__name__} is not a Convex value")


# --- reading a ZIP's values ---------------------------------------------------------------

Decoder = Callable[[str], Any]  # one line of a documents.jsonl -> a value


def _int64(text: str) -> Any:
    number = int(text)
    if values.INT64_MIN <= number <= values.INT64_MAX:
        return Int64(number)
    return values.canonical_number(float(number))  # as serde_json: too big for i64 is f64


def _float64(text: str) -> Any:
    return values.canonical_number(float(text))


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _tagged(obj: dict[str, Any]) -> Any:
    if any(key.startswith("$") for key in obj):
        return values.from_convex_json(obj)  # {"$bytes": ...}, {"$float": ...}, {"$integer": ...}
    return obj


def _decode_uniform(line: str) -> Any:
    """A value in Convex's export encoding (``generated_schema.jsonl`` says ``"uniform"``)."""
    return json.loads(
        line,
        parse_int=_int64,
        parse_float=_float64,
        parse_constant=_no_constant,
        object_hook=_tagged,
    )


# Convex's legacy export: clean JSON read through a shape (crates/shape_inference/src/
# pretty.rs prints and parses it) and per-document export contexts (export_context.rs).
# A shape is a tuple: ("int64",) and the other units, ("literal", text), ("id", number),
# ("array", element), ("set", element), ("map", key, value), ("record", key, value),
# ("object", {field: shape}), ("union", (shapes...)).
Shape = tuple[Any, ...]
_UNITS = (
    "never",
    "null",
    "int64",
    "float64",
    "-inf",
    "-0",
    "inf",
    "NaN",
    "normalfloat64",
    "boolean",
    "field_name",
    "string",
    "bytes",
    "unknown",
)
_UNKNOWN: Shape = ("unknown",)
_NAN = ("nan", struct.pack("<d", math.nan))
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _parse_shape(text: str) -> Shape:
    """A shape as Convex prints it (``{"name": string, "n"?: int64} | null``)."""
    shape, rest = _shape_union(text)
    if rest:
        raise ValueError(f"unexpected text in the shape at {rest[:40]!r}")
    return shape


def _shape_union(text: str) -> tuple[Shape, str]:
    options = []
    while True:
        part, text = _shape_part(text)
        options.append(part)
        if not text.startswith(" | "):
            break
        text = text[3:]
    return (options[0] if len(options) == 1 else ("union", tuple(options))), text


def _expect(text: str, token: str) -> str:
    if not text.startswith(token):
        raise ValueError(f"expected {token!r} in the shape at {text[:40]!r}")
    return text[len(token) :]


def _shape_part(text: str) -> tuple[Shape, str]:
    for unit in _UNITS:
        if text.startswith(unit):
            return (unit,), text[len(unit) :]
    if text.startswith("{"):
        return _shape_object(text[1:])
    for kind in ("array", "set"):
        if text.startswith(f"{kind}<"):
            element, text = _shape_union(text[len(kind) + 1 :])
            return (kind, element), _expect(text, ">")
    for kind in ("map", "record"):
        if text.startswith(f"{kind}<"):
            key, text = _shape_union(text[len(kind) + 1 :])
            value, text = _shape_union(_expect(text, ", "))
            return (kind, key, value), _expect(text, ">")
    if text.startswith("id<"):
        number, found, text = text[3:].partition(">")
        if not found or not number.isdigit():
            raise ValueError("a table number in id<...> of the shape")
        return ("id", int(number)), text
    if text.startswith('"'):
        literal, found, text = text[1:].partition('"')
        if not found:
            raise ValueError("an unterminated string literal in the shape")
        return ("literal", literal), text
    raise ValueError(f"unexpected text in the shape at {text[:40]!r}")


def _shape_object(text: str) -> tuple[Shape, str]:
    fields: dict[str, Shape] = {}
    while not text.startswith("}"):
        name, found, text = text.partition(": ")
        name = name.removesuffix("?")
        if not found or len(name) < 2 or name[0] != '"' or name[-1] != '"':
            raise ValueError(f"cannot read the object key {name[:40]!r} in the shape")
        fields[name[1:-1]], text = _shape_union(text)
        if text.startswith(", "):
            text = text[2:]
        elif not text.startswith("}"):
            raise ValueError(f"unexpected text in the shape at {text[:40]!r}")
    return ("object", fields), text[1:]


def _options(shapes: Iterable[Shape]) -> Iterator[Shape]:
    for shape in shapes:
        if shape[0] == "union":
            yield from shape[1]
        else:
            yield shape


def _elements(shapes: list[Shape]) -> list[Shape]:
    """The shapes an array's elements may have."""
    out = []
    for shape in _options(shapes):
        if shape[0] == "array":
            out.append(shape[1])
        elif shape[0] == "unknown":
            out.append(shape)
    return out


def _field_shapes(shapes: list[Shape], name: str) -> list[Shape]:
    """The shapes an object's field may have."""
    out = []
    for shape in _options(shapes):
        if shape[0] == "object" and name in shape[1]:
            out.append(shape[1][name])
        elif shape[0] == "record":
            out.append(shape[2])
        elif shape[0] == "unknown":
            out.append(shape)
    return out


def _string_contexts(shapes: list[Shape]) -> set[Any]:
    """How a string could have been exported, given the shapes its value may have."""
    out: set[Any] = set()
    for shape in _options(shapes):
        kind = shape[0]
        if kind == "int64":
            out.add("int64")
        elif kind in ("-inf", "inf"):
            out.add("float64inf")
        elif kind in ("NaN", "float64"):
            out |= {_NAN, "float64inf"}
        elif kind in ("literal", "id", "field_name", "string"):
            out.add("infer")
        elif kind == "bytes":
            out.add("bytes")
        elif kind == "unknown":
            out |= {"infer", "float64inf", _NAN, "int64", "bytes"}
    return out


def _parse_context(data: Any) -> Any:
    """An export context of a legacy generated schema's override line."""
    if isinstance(data, str):
        if data not in ("infer", "int64", "float64inf", "bytes", "set", "map"):
            raise ValueError(f"unknown export context {data!r}")
        return data
    if isinstance(data, list):
        return [_parse_context(item) for item in data]
    if isinstance(data, dict):
        if isinstance(data.get("$float64NaN"), str):
            raw = base64.b64decode(data["$float64NaN"], validate=True)
            if len(raw) != 8 or not math.isnan(struct.unpack("<d", raw)[0]):
                raise ValueError("$float64NaN must hold the 8 bytes of a NaN")
            return ("nan", raw)
        return {key: _parse_context(item) for key, item in data.items()}
    raise ValueError(f"unknown export context {data!r}")


def _apply(context: Any, value: Any, shapes: list[Shape]) -> Any:
    if context in ("set", "map"):
        raise ValueError("Convex sets and maps are not supported")
    if isinstance(value, str):
        return _apply_string(context, value, shapes)
    if isinstance(value, list):
        elements = _elements(shapes)
        if context == "infer":
            return [_apply("infer", item, elements) for item in value]
        if not isinstance(context, list) or len(context) != len(value):
            raise ValueError(f"export context {context!r} does not fit an array")
        return [_apply(c, item, elements) for c, item in zip(context, value, strict=True)]
    if isinstance(value, dict):
        if context != "infer" and not isinstance(context, dict):
            raise ValueError(f"export context {context!r} does not fit an object")
        hints = context if isinstance(context, dict) else {}
        return {
            key: _apply(hints.get(key, "infer"), item, _field_shapes(shapes, key))
            for key, item in value.items()
        }
    return value  # null, boolean, number (a float64)


def _apply_string(context: Any, text: str, shapes: list[Shape]) -> Any:
    if context == "infer":
        possible = _string_contexts(shapes)
        if len(possible) == 1:
            context = possible.pop()
    if context == "infer":
        return text
    if context == "int64" and _INTEGER.fullmatch(text):
        return Int64(int(text))
    if context == "float64inf" and text in ("Infinity", "-Infinity"):
        return math.inf if text == "Infinity" else -math.inf
    if context == "bytes":
        return base64.b64decode(text, validate=True)
    if isinstance(context, tuple) and context[0] == "nan" and text == "NaN":
        return struct.unpack("<d", context[1])[0]
    raise ValueError(f"{text[:40]!r} cannot be read as {context!r}")


@dataclass
class _LegacyDecoder:
    """Reads documents of Convex's legacy export through their table's shape and overrides."""

    shape: Shape = _UNKNOWN
    overrides: dict[str, Any] = field(default_factory=dict)

    def __call__(self, line: str) -> Any:
        value = json.loads(
            line, parse_int=_float64, parse_float=_float64, parse_constant=_no_constant
        )
        context = "infer"
        if isinstance(value, dict) and isinstance(value.get("_id"), str):
            context = self.overrides.get(value["_id"], "infer")
        return _apply(context, value, [self.shape])


# --- reading a ZIP ------------------------------------------------------------------------

_DOCUMENTS = re.compile(r"^(?:.*/)?([^/]+)/documents\.jsonl$")
_SCHEMA = re.compile(r"^(?:.*/)?([^/]+)/generated_schema\.jsonl$")
_FILE = re.compile(r"^(?:.*/)?_storage/([^/.]+)(?:\.[^/]+)?$")
_COMPONENT = re.compile(r"(?:^|/)_components/")
_TABLES = "_tables"


@dataclass
class _Layout:
    """Where things are in the ZIP (any leading folder is ignored, as Convex ignores it)."""

    documents: dict[str, str] = field(default_factory=dict)  # table -> entry
    schemas: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # storage ID -> entry
    skipped: list[str] = field(default_factory=list)


def _layout(zf: zipfile.ZipFile) -> _Layout:
    layout = _Layout()
    for name in zf.namelist():
        if name.endswith("/"):
            continue
        if _COMPONENT.search(name):
            raise BackupError(f"{name}: the ZIP holds Convex components; livebase has none")
        for pattern, found in ((_DOCUMENTS, layout.documents), (_SCHEMA, layout.schemas)):
            match = pattern.match(name)
            if match:
                if match[1] in found:
                    raise BackupError(f"The ZIP holds two {match[1]!r} tables: {name}")
                found[match[1]] = name
                break
        else:
            match = _FILE.match(name)
            if match and match[1] != "documents":
                layout.files[match[1]] = name
    for table in sorted(layout.documents):
        if table.startswith("_") and table not in (_TABLES, storage.TABLE):
            layout.skipped.append(f"{table}: a system table, not imported")
    return layout


def _lines(zf: zipfile.ZipFile, entry: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a ZIP entry with their numbers (from 1)."""
    with zf.open(entry) as raw:
        for number, data in enumerate(raw, start=1):
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                raise BackupError(f"{entry} line {number}: not UTF-8 text") from None
            if number == 1 and line.startswith("\ufeff"):
                raise BackupError(f"{entry} line 1: starts with a byte order mark")
            if line.strip():
                yield number, line


def _reason(exc: Exception) -> str:
    if isinstance(exc, LivebaseError):
        return exc.message
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at column {exc.colno})"
    return str(exc)


def _decoder(zf: zipfile.ZipFile, entry: str | None) -> Decoder:
    """How a table's documents are encoded, from its generated_schema.jsonl."""
    if entry is None:
        return _LegacyDecoder()
    lines = _lines(zf, entry)
    where, first = next(lines, (1, ""))
    try:
        header = json.loads(first)
        if header == "uniform":
            return _decode_uniform
        if not isinstance(header, str):
            raise ValueError('the first line must be a JSON string (a shape, or "uniform")')
        decoder = _LegacyDecoder(_parse_shape(header))
        for where, line in lines:  # noqa: B007 (an error names the line)
            override = json.loads(line)
            if not isinstance(override, dict) or len(override) != 1:
                raise ValueError("an override is an object with one document ID")
            ((doc_id, context),) = override.items()
            decoder.overrides[doc_id] = _parse_context(context)
    except ValueError as exc:
        raise BackupError(f"{entry} line {where}: {_reason(exc)}") from None
    return decoder


def _id_number(doc_id: Any) -> int:
    if not isinstance(doc_id, str):
        raise InvalidIdError(f"_id must be a document ID, got {values.type_name(doc_id)}")
    return decode_id(doc_id)


def _vint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def reencode_id(doc_id: str, table_number: int) -> str:
    """The ID of the same document (its 16-byte internal id) in the table with this number.

    InvalidIdError if ``doc_id`` is not an ID.
    """
    decode_id(doc_id)
    raw = b32decode(doc_id)
    prefix = _vint(table_number) + raw[-18:-2]
    footer = fletcher16(prefix) ^ VERSION
    return b32encode(prefix + footer.to_bytes(2, "big"))


def _renumber(value: Any, numbers: dict[int, int]) -> Any:
    """``value`` with every ID of a table in ``numbers`` re-encoded for its local number."""
    if isinstance(value, str):
        if not MIN_ID_LEN <= len(value) <= MAX_ID_LEN:
            return value
        try:
            local = numbers.get(decode_id(value))
        except InvalidIdError:
            return value
        return value if local is None else reencode_id(value, local)
    if isinstance(value, dict):
        return {key: _renumber(item, numbers) for key, item in value.items()}
    if isinstance(value, list):
        return [_renumber(item, numbers) for item in value]
    return value


# --- import -------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What ``import_zip`` did.

    ``tables``: documents imported per table; ``files``: files imported; ``renumbered``: the
    tables whose IDs were re-encoded, with their number in the ZIP and here; ``cleared``:
    with ``replace=True``, the documents deleted per table (files under ``_storage``);
    ``skipped``: what the ZIP holds that was not imported, and why.
    """

    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    renumbered: dict[str, tuple[int, int]] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Table:
    """A user table of the ZIP and where it goes."""

    name: str
    entry: str
    decode: Decoder
    source: int | None  # its number in the ZIP, when known
    local: TableInfo | None  # None: a table a schemaless app creates on import


@dataclass
class _File:
    """A file of the ZIP, read and checked, waiting in the storage's temporary directory."""

    doc_id: str
    creation_time: float | None
    content_type: str | None
    sha256: str
    size: int
    staged: Path


@dataclass
class _Import:
    """One import in progress: the ZIP, the plan, and the files staged so far."""

    runtime: Runtime
    zf: zipfile.ZipFile
    layout: _Layout
    tables: list[_Table] = field(default_factory=list)
    storage_source: int | None = None
    storage_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[_File] = field(default_factory=list)
    numbers: dict[int, int] = field(default_factory=dict)  # ZIP table number -> local
    summary: ImportSummary = field(default_factory=ImportSummary)


def import_zip(runtime: Runtime, path: str | Path, replace: bool = False) -> ImportSummary:
    """Load a ZIP written by ``export_zip`` or by Convex into this deployment, keeping its
    ``_id``s, ``_creationTime``s and files (see the module's docstring).

    Raises BackupError, having changed nothing, for a ZIP that does not read or does not fit
    the app's schema, and for a deployment that holds documents or files (unless
    ``replace``).
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a ZIP file that can be read: {exc}") from None
    with zf:
        job = _Import(runtime, zf, _layout(zf))
        job.summary.skipped.extend(job.layout.skipped)
        try:
            _plan(job)
            occupied = _occupied(runtime)
            if occupied and not replace:
                raise BackupError(
                    "The deployment is not empty (documents or files in: "
                    f"{', '.join(occupied)}); import with replace=True to clear it first"
                )
            for table in job.tables:
                _check_table(job, table)
            _stage_files(job)
            if replace:
                job.summary.cleared = _clear(runtime)
            _create_tables(job)
            _write(job)
        finally:
            for staged in job.files:
                staged.staged.unlink(missing_ok=True)
    return job.summary


def _plan(job: _Import) -> None:
    """Match the ZIP's tables with this deployment's and work out the ID re-encoding."""
    catalog = job.runtime.db.catalog
    listed = _listed_numbers(job)
    for name, entry in sorted(job.layout.documents.items()):
        if name.startswith("_"):
            continue
        local = catalog.tables.get(name)
        if local is None and catalog.strict:
            raise BackupError(
                f"{entry}: table {name!r} is not in the app's schema "
                f"(tables: {', '.join(sorted(catalog.user_tables()))})"
            )
        table = _Table(name, entry, _decoder(job.zf, job.layout.schemas.get(name)), None, local)
        table.source = listed[name] if name in listed else _first_number(job, table)
        job.tables.append(table)
    _plan_storage(job)
    _number_tables(job)


def _listed_numbers(job: _Import) -> dict[str, int]:
    entry = job.layout.documents.get(_TABLES)
    numbers: dict[str, int] = {}
    if entry is None:
        return numbers
    for number, line in _lines(job.zf, entry):
        try:
            item = json.loads(line)
            name, table_number = item["name"], item["id"]
            if not isinstance(name, str) or type(table_number) is not int:
                raise ValueError('a line is {"name": table, "id": number}')
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupError(f"{entry} line {number}: {_reason(exc)}") from None
        numbers[name] = table_number
    return numbers


def _first_number(job: _Import, table: _Table) -> int | None:
    """A table's number in the ZIP, from its first document's _id (None when it has none)."""
    for _, line in _lines(job.zf, table.entry):
        try:
            doc = table.decode(line)
            return _id_number(doc["_id"]) if isinstance(doc, dict) and "_id" in doc else None
        except (ValueError, LivebaseError):
            return None  # the check of the table names the line
    return None


def _plan_storage(job: _Import) -> None:
    entry = job.layout.documents.get(storage.TABLE)
    if entry is not None:
        for number, line in _lines(job.zf, entry):
            try:
                meta = _file_meta(json.loads(line))
                _storage_number(job, meta["_id"])
            except (ValueError, LivebaseError) as exc:
                raise BackupError(f"{entry} line {number}: {_reason(exc)}") from None
            job.storage_meta[meta["_id"]] = meta
    for doc_id, name in job.layout.files.items():
        try:
            _storage_number(job, doc_id)
        except LivebaseError as exc:
            raise BackupError(f"{name}: {_reason(exc)}") from None
    for doc_id in job.storage_meta.keys() - job.layout.files.keys():
        job.summary.skipped.append(f"_storage: no bytes for file {doc_id} in the ZIP")


def _file_meta(meta: Any) -> dict[str, Any]:
    """A line of _storage/documents.jsonl, checked."""
    if not isinstance(meta, dict):
        raise ValidationError("a line is a JSON object")
    kinds = {
        "_creationTime": (int, float),
        "sha256": (str,),
        "size": (int,),
        "contentType": (str,),
    }
    for name, kind in kinds.items():
        if meta.get(name) is not None and (
            not isinstance(meta[name], kind) or isinstance(meta[name], bool)
        ):
            raise ValidationError(f"{name} has the wrong type ({values.type_name(meta[name])})")
    _id_number(meta.get("_id"))
    _creation_time(meta.get("_creationTime"))
    return meta


def _storage_number(job: _Import, doc_id: Any) -> None:
    number = _id_number(doc_id)
    if job.storage_source is None:
        job.storage_source = number
    elif number != job.storage_source:
        raise InvalidIdError(
            f"{doc_id} is an ID of table number {number}; other files have {job.storage_source}"
        )


def _number_tables(job: _Import) -> None:
    sources: dict[int, str] = {}
    pairs = [(t.name, t.source, t.local) for t in job.tables]
    pairs.append((storage.TABLE, job.storage_source, job.runtime.storage.table()))
    for name, source, local in pairs:
        if source is None:
            continue
        if source in sources:
            raise BackupError(
                f"Tables {sources[source]!r} and {name!r} have the same number {source} in the ZIP"
            )
        sources[source] = name
        if local is not None and local.number != source:
            job.numbers[source] = local.number
            job.summary.renumbered[name] = (source, local.number)


def _occupied(runtime: Runtime) -> list[str]:
    """The user tables (and ``_storage``) that hold documents."""

    def work(txn: Transaction) -> list[str]:
        found = []
        for name in [*runtime.db.catalog.user_tables(), storage.TABLE]:
            table = txn.table(name)
            rows = txn.scan(table, table.by_id, b"", None)
            with contextlib.closing(rows):
                if next(rows, None) is not None:
                    found.append(name)
        return found

    return runtime.transact(work, readonly=True)[0]


def _documents(job: _Import, table: _Table) -> Iterator[tuple[int, dict[str, Any]]]:
    """A table's documents from the ZIP with their line numbers, decoded, re-encoded and
    checked against the schema; ``_id`` and ``_creationTime`` are None where the ZIP has
    none."""
    for number, line in _lines(job.zf, table.entry):
        try:
            doc = _document(job, table, table.decode(line))
        except (ValueError, LivebaseError) as exc:
            raise BackupError(f"{table.entry} line {number}: {_reason(exc)}") from None
        yield number, doc


def _document(job: _Import, table: _Table, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"a document is a JSON object, got {values.type_name(value)}")
    doc_id = value.pop("_id", None)
    if doc_id is not None:
        number = _id_number(doc_id)
        if table.source is not None and number != table.source:
            raise InvalidIdError(
                f"_id {doc_id} is an ID of table number {number}, but {table.name!r} has "
                f"number {table.source} in the ZIP"
            )
        doc_id = _renumber(doc_id, job.numbers)
    created = _creation_time(value.pop("_creationTime", None))
    for name in value:
        if name.startswith("_"):
            raise ValidationError(f"field {name!r}: only system fields start with '_'")
    fields = _renumber(value, job.numbers) if job.numbers else value
    validator = table.local.validator if table.local is not None else None
    if validator is not None:
        try:
            fields = validator.check(fields)
        except ValidationError as exc:
            raise ValidationError(
                f"the document does not match the schema of table {table.name!r}: {exc.message}"
            ) from None
    fields = values.normalize(fields)
    values.check_document_size(values.dumps(fields), table.name)
    return {"_id": doc_id, "_creationTime": created, **fields}


def _creation_time(value: Any) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValidationError(f"_creationTime must be a number of milliseconds, got {value!r}")
    return float(value)


def _check_table(job: _Import, table: _Table) -> None:
    seen: set[str] = set()
    count = 0
    for number, doc in _documents(job, table):
        count += 1
        if doc["_id"] is not None:
            if doc["_id"] in seen:
                raise BackupError(
                    f"{table.entry} line {number}: _id {doc['_id']} appears on an earlier line"
                )
            seen.add(doc["_id"])
    job.summary.tables[table.name] = count


def _stage_files(job: _Import) -> None:
    """Copy every file of the ZIP to the storage's temporary directory, checking its bytes."""
    for doc_id, entry in sorted(job.layout.files.items()):
        meta = job.storage_meta.get(doc_id, {})
        fd, name = tempfile.mkstemp(dir=job.runtime.storage.tmp)
        created = _creation_time(meta.get("_creationTime"))
        staged = _File(doc_id, created, meta.get("contentType"), "", 0, Path(name))
        job.files.append(staged)  # import_zip removes it, whatever happens
        with os.fdopen(fd, "wb") as out, job.zf.open(entry) as source:
            staged.sha256, staged.size = _copy_hashed(source, out)
        _check_file(entry, staged, meta)
        job.summary.files += 1


def _copy_hashed(source: IO[bytes], out: IO[bytes]) -> tuple[str, int]:
    """Copy ``source`` to ``out``; the sha256 (hex) and size of what was copied."""
    hasher = hashlib.sha256()
    size = 0
    while chunk := source.read(_CHUNK):
        hasher.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def _check_file(entry: str, staged: _File, meta: dict[str, Any]) -> None:
    expected = meta.get("sha256")
    if expected is not None:
        digest = bytes.fromhex(staged.sha256)
        if expected not in (staged.sha256, base64.b64encode(digest).decode("ascii")):
            raise BackupError(f"{entry}: its bytes do not match the sha256 of _storage")
    if meta.get("size") is not None and meta["size"] != staged.size:
        raise BackupError(f"{entry}: {staged.size} bytes, but _storage says {meta['size']}")


def _clear(runtime: Runtime) -> dict[str, int]:
    """Delete every document of every user table, and every file; the count per table."""
    cleared = {}
    for name in [*runtime.db.catalog.user_tables(), storage.TABLE]:
        deleted = 0
        while True:
            count, _ = runtime.transact(partial(_delete_some, runtime, name))
            deleted += count
            if count < BATCH:
                break
        if deleted:
            cleared[name] = deleted
    return cleared


def _delete_some(runtime: Runtime, name: str, txn: Transaction) -> int:
    table = txn.table(name)
    rows = txn.scan(table, table.by_id, b"", None)
    with contextlib.closing(rows):
        batch = [doc for _, doc in itertools.islice(rows, BATCH)]
    for doc in batch:
        if name == storage.TABLE:
            runtime.storage.delete(txn, doc["_id"])  # its blob goes once this commits
        else:
            txn.delete(doc["_id"], name)
    return len(batch)


def _create_tables(job: _Import) -> None:
    """Create the tables a schemaless app does not have yet, and re-encode IDs for them."""
    # why: tables are numbered in the order they are made; the ZIP's order keeps its numbers
    # (and so its IDs) in a deployment that has no tables yet
    for table in sorted(job.tables, key=lambda t: (t.source is None, t.source or 0, t.name)):
        if table.local is None:
            table.local = job.runtime.db.table_for_write(table.name)
            if table.source is not None and table.source != table.local.number:
                job.numbers[table.source] = table.local.number
                job.summary.renumbered[table.name] = (table.source, table.local.number)


def _write(job: _Import) -> None:
    """The files, then every table's documents, in batches."""
    runtime = job.runtime
    linked = _link_files(job)
    try:
        storage_docs = (_storage_doc(job, f) for f in job.files)
        _insert_all(runtime, runtime.storage.table(), storage_docs)
        for table in job.tables:
            assert table.local is not None  # _create_tables made it
            with progress.task(f"importing {table.name}") as work:
                documents = (doc for _, doc in _documents(job, table))
                _insert_all(runtime, table.local, progress.counted(documents, work))
    except BaseException:
        for sha256 in linked:
            runtime.storage.collect(sha256)  # the blobs no document refers to
        raise


def _link_files(job: _Import) -> list[str]:
    """Put the staged files in the blob store; the digests of the blobs that are new."""
    store = job.runtime.storage.blob_store
    linked = []
    for staged in job.files:
        if not store.exists(staged.sha256):
            store.put_file(staged.sha256, staged.staged)
            linked.append(staged.sha256)
    return linked


def _storage_doc(job: _Import, staged: _File) -> dict[str, Any]:
    return {
        "_id": _renumber(staged.doc_id, job.numbers),
        "_creationTime": staged.creation_time,
        "sha256": staged.sha256,
        "size": staged.size,
        "contentType": staged.content_type,
        "uploadToken": None,
    }


def _insert_all(runtime: Runtime, table: TableInfo, docs: Iterable[dict[str, Any]]) -> None:
    batch: list[tuple[dict[str, Any], str]] = []
    size = 0
    for doc in docs:
        if doc["_id"] is None:
            doc["_id"] = new_id(table.number)
        if doc["_creationTime"] is None:
            doc["_creationTime"] = runtime.db.next_creation_time()
        text = values.dumps(doc)
        batch.append((doc, text))
        size += len(text)
        if len(batch) >= BATCH or size >= _BATCH_BYTES:
            runtime.transact(partial(_insert_batch, table, batch))
            batch, size = [], 0
    if batch:
        runtime.transact(partial(_insert_batch, table, batch))


def _insert_batch(
    table: TableInfo, batch: list[tuple[dict[str, Any], str]], txn: Transaction
) -> None:
    for doc, text in batch:
        if txn.get(doc["_id"], table.name) is not None:
            raise BackupError(f"Table {table.name!r} already has a document {doc['_id']}")
        key = id_key(doc["_id"])
        # why: Transaction.insert always makes a new ID and creation time, and an import keeps
        # the ZIP's. The pending write is what insert would stage, so the commit writes the
        # document and its index entries as for any insert; the get above is a point read,
        # so a commit that wrote this ID meanwhile makes this one conflict and re-run.
        txn.writes[(table.number, key)] = PendingWrite(table, key, None, doc, text)
