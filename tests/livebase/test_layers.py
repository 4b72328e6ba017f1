"""The layers of livebase stay visible: import-linter's contracts hold, and every sync-protocol
message is built in server/protocol.py (no hand-made JSON text elsewhere)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "livebase"


def test_the_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 kept, 0 broken" in done.stdout


def _json_fstrings(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and str(first.value).lstrip().startswith('{"'):
                lines.append(node.lineno)
    return lines


def test_json_text_is_built_only_in_the_protocol_module():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "protocol.py" and (lines := _json_fstrings(path))
    }
    assert found == {}


def test_the_check_finds_hand_made_json(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('x = 1\ntext = f\'{{"type":"Ping","n":{x}}}\'\n')
    assert _json_fstrings(sample) == [2]
