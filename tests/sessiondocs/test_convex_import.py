"""A sessiondocs deployment exported by Convex itself (``npx convex export
--include-file-storage``) imports with ``livebase import`` and works: the ZIP is built by hand
from Convex's documented layout, with Convex's own table numbers, in both of its encodings."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from livebase import Runtime
from livebase.engine.ids import new_id
from livebase.services.backup import reencode_id
from livebase.services.storage import ActionStorage
from tests.conftest import ROOT
from tests.e2e.conftest import source_env

APP = ROOT / "src" / "sessiondocs" / "functions"
# Convex numbers tables in creation order from 10001 up; _storage is a system table
NUMBERS = {
    "users": 10001,
    "sessions": 10004,
    "screenshots": 10005,
    "ocrResults": 10006,
    "documentation": 10007,
}
STORAGE = 7
OWNER = {"issuer": "test", "subject": "owner", "email": "owner@docs.example"}
PNGS = [b"\x89PNG\r\n\x1a\n" + bytes([n]) * 64 for n in (1, 2)]
T0 = 1764800000000.0  # a December 2025 morning, in ms


def jsonl(rows: list[Any]) -> str:
    return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)


def convex_export(path: Path, encoding: str) -> dict[str, Any]:
    """The ZIP of a sessiondocs deployment on Convex: one person, one finished session of two
    screenshots, their OCR text and the session's documentation. Returns its IDs. Numbers
    are float64 (``v.number()``), which Convex's uniform encoding writes with a decimal
    point (a bare integer there is an int64)."""
    ids: dict[str, Any] = {name: new_id(number) for name, number in NUMBERS.items()}
    ids["files"] = [new_id(STORAGE) for _ in PNGS]
    ids["shots"] = [new_id(NUMBERS["screenshots"]) for _ in PNGS]
    ids["ocr"] = [new_id(NUMBERS["ocrResults"]) for _ in PNGS]
    users = [
        {
            "_id": ids["users"],
            "_creationTime": T0,
            "email": OWNER["email"],
            "name": "Owner",
            "tokenIdentifier": "test|owner",
            "isAdmin": False,
            "isActive": True,
            "createdAt": T0,
        }
    ]
    sessions = [
        {
            "_id": ids["sessions"],
            "_creationTime": T0 + 1,
            "sessionId": "pc-42-morning",
            "ownerId": ids["users"],
            "pcName": "PC-42",
            "title": "Filing an expense report",
            "startTime": T0 + 1,
            "endTime": T0 + 60_000,
            "status": "completed",
            "redact": False,
        }
    ]
    shots, ocr, steps = [], [], []
    for n, (shot, file, ocr_id) in enumerate(
        zip(ids["shots"], ids["files"], ids["ocr"], strict=True)
    ):
        captured = T0 + 1000 * (n + 1)
        shots.append(
            {
                "_id": shot,
                "_creationTime": captured + 5,
                "sessionId": "pc-42-morning",
                "filename": f"shot_{n:04d}.png",
                "fileId": file,
                "uploadedAt": captured + 5,
                "capturedAt": captured,
                "status": "done",
                "attempts": 1.0,
                "width": 1280.0,
                "height": 800.0,
            }
        )
        ocr.append(
            {
                "_id": ocr_id,
                "_creationTime": captured + 900,
                "screenshotId": shot,
                "sessionId": "pc-42-morning",
                "text": f"Expenses New report step {n + 1}",
                "words": [
                    {
                        "text": "Expenses",
                        "left": 10.0,
                        "top": 8.0,
                        "width": 80.0,
                        "height": 14.0,
                        "conf": 96.5,
                    },
                ],
                "engine": "tesseract",
                "seconds": 0.8,
                "processedAt": captured + 900,
            }
        )
        steps.append(
            {
                "number": float(n + 1),
                "title": f"Step {n + 1}",
                "description": "Click New report" if n == 0 else "Type the amount",
                "screenshotId": shot,
                "filename": f"shot_{n:04d}.png",
                "highlight": [100.0, 200.0, 80.0, 24.0] if n == 0 else None,
                "changedFraction": 0.12,
                "capturedAt": captured,
            }
        )
    docs = [
        {
            "_id": ids["documentation"],
            "_creationTime": T0 + 70_000,
            "sessionId": "pc-42-morning",
            "status": "ready",
            "title": "Filing an expense report",
            "summary": "Two steps in Expenses.",
            "content": "# Filing an expense report\n\n1. Click New report\n2. Type the amount\n",
            "steps": steps,
            "engine": "template",
            "requestedAt": T0 + 65_000,
            "generation": 1.0,
            "generatedAt": T0 + 70_000,
        }
    ]
    tables = {
        "users": users,
        "sessions": sessions,
        "screenshots": shots,
        "ocrResults": ocr,
        "documentation": docs,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.md", "# Welcome to your Convex snapshot export!\n")
        zf.writestr(
            "_tables/documents.jsonl",
            jsonl([{"name": name, "id": number} for name, number in NUMBERS.items()]),
        )
        for name, rows in tables.items():
            schema = ["uniform"] if encoding == "uniform" else [legacy_shape(name)]
            zf.writestr(f"{name}/generated_schema.jsonl", jsonl(schema))
            zf.writestr(f"{name}/documents.jsonl", jsonl(rows))
        files = [
            {
                "_id": file,
                "_creationTime": T0 + 1000 * (n + 1),
                "sha256": base64.b64encode(hashlib.sha256(png).digest()).decode(),
                "size": len(png),
                "contentType": "image/png",
                "internalId": f"00000000-0000-4000-8000-00000000000{n}",
            }
            for n, (file, png) in enumerate(zip(ids["files"], PNGS, strict=True))
        ]
        zf.writestr("_storage/documents.jsonl", jsonl(files))
        for file, png in zip(ids["files"], PNGS, strict=True):
            zf.writestr(f"_storage/{file}.png", png)
    return ids


def legacy_shape(table: str) -> str:
    """The pre-2026 export's shape line for a table (a number there is a float64)."""
    number = NUMBERS[table]
    common = f'"_creationTime": normalfloat64, "_id": id<{number}>'
    shapes = {
        "users": '"createdAt": normalfloat64, "email": string, "isActive": boolean, '
        '"isAdmin": boolean, "name": string, "tokenIdentifier": string',
        "sessions": '"endTime": normalfloat64, "ownerId": id<10001>, "pcName": string, '
        '"redact": boolean, "sessionId": string, "startTime": normalfloat64, '
        '"status": string, "title": string',
        "screenshots": '"attempts": normalfloat64, "capturedAt": normalfloat64, '
        '"fileId": id<7>, "filename": string, "height": normalfloat64, "sessionId": string, '
        '"status": string, "uploadedAt": normalfloat64, "width": normalfloat64',
        "ocrResults": '"engine": string, "processedAt": normalfloat64, '
        '"screenshotId": id<10005>, "seconds": normalfloat64, "sessionId": string, '
        '"text": string, "words": array<{"conf": normalfloat64, "height": normalfloat64, '
        '"left": normalfloat64, "text": string, "top": normalfloat64, '
        '"width": normalfloat64}>',
        "documentation": '"content": string, "engine": string, "generatedAt": normalfloat64, '
        '"generation": normalfloat64, "requestedAt": normalfloat64, "sessionId": string, '
        '"status": string, "steps": array<{"capturedAt": normalfloat64, '
        '"changedFraction": normalfloat64, "description": string, "filename": string, '
        '"highlight": array<normalfloat64> | null, "number": normalfloat64, '
        '"screenshotId": string, "title": string}>, "summary": string, "title": string',
    }
    return "{" + common + ", " + shapes[table] + "}"


@pytest.mark.parametrize("encoding", ["uniform", "legacy"])
def test_a_convex_export_of_sessiondocs_imports_and_the_app_shows_it(
    tmp_path: Path, encoding: str
) -> None:
    ids = convex_export(tmp_path / "snapshot.zip", encoding)
    data = tmp_path / "data"
    out = subprocess.run(
        [sys.executable, "-m", "livebase", "import", str(APP), str(tmp_path / "snapshot.zip"),
         "--data-dir", str(data)],
        capture_output=True, text=True, env=source_env(), timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "2 files" in out.stdout, out.stdout

    with Runtime(APP, data) as runtime:
        (session,) = runtime.run_query("sessions:listSessions", {}, identity=OWNER).value
        assert session["sessionId"] == "pc-42-morning"
        assert session["title"] == "Filing an expense report" and session["access"] == "owner"
        assert session["startTime"] == T0 + 1 and session["_creationTime"] == T0 + 1

        shots = runtime.run_query(
            "screenshots:listBySession", {"sessionId": "pc-42-morning"}, identity=OWNER
        ).value
        assert [s["filename"] for s in shots] == ["shot_0000.png", "shot_0001.png"]
        assert [s["ocr"]["text"] for s in shots] == [
            "Expenses New report step 1",
            "Expenses New report step 2",
        ]
        assert all(s["url"] for s in shots)
        files = ActionStorage(runtime.storage)
        assert [asyncio.run(files.get(s["fileId"])) for s in shots] == PNGS

        ocr = runtime.run_query(
            "screenshots:getOcr", {"screenshotId": shots[0]["_id"]}, identity=OWNER
        ).value
        assert ocr["words"][0]["text"] == "Expenses" and ocr["screenshotId"] == shots[0]["_id"]

        doc = runtime.run_query(
            "docs:getDocumentation", {"sessionId": "pc-42-morning"}, identity=OWNER
        ).value
        assert doc["status"] == "ready"
        # a step names its screenshot by ID in a plain string: re-encoded like a reference
        assert [step["screenshotId"] for step in doc["steps"]] == [s["_id"] for s in shots]
        assert doc["steps"][1]["highlight"] is None

        # the same documents as in Convex, renumbered for this deployment's tables
        assert [reencode_id(s["_id"], NUMBERS["screenshots"]) for s in shots] == ids["shots"]
        assert [reencode_id(s["fileId"], STORAGE) for s in shots] == ids["files"]
        # and the app keeps working on the imported data: a new session beside the old one
        runtime.run_mutation("sessions:createSession", {"pcName": "PC-7"}, identity=OWNER)
        assert len(runtime.run_query("sessions:listSessions", {}, identity=OWNER).value) == 2
