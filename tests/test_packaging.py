"""``pip install livebase`` is the platform alone; the apps' stacks are extras."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.conftest import ROOT

APP_STACKS = {
    "bankchat": {"sqlglot", "sqlalchemy", "pymysql", "psycopg", "tqdm"},
    "sessiondocs": {
        "pillow",
        "pytesseract",
        "rapidocr",
        "onnxruntime",
        "mss",
        "weasyprint",
        "python-xlib",
        "jeepney",
    },
}
# what those distributions are imported as
# (numpy is the platform's own: vector search)
MODULES = {"sqlglot", "sqlalchemy", "pymysql", "psycopg", "tqdm", "PIL"}
MODULES |= {"pytesseract", "rapidocr", "onnxruntime", "mss", "weasyprint", "Xlib", "jeepney"}

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {r.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip() for r in requirements}


def test_the_platform_depends_on_no_app_stack() -> None:
    base = _names(PROJECT["dependencies"])
    for app, stack in APP_STACKS.items():
        assert base.isdisjoint(stack), app
        assert _names(PROJECT["optional-dependencies"][app]) == stack


def test_livebase_serves_an_app_without_any_app_stack_installed(tmp_path) -> None:
    blocker = f"""
import importlib.abc, sys
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {sorted(MODULES)!r}:
            raise ImportError("not installed: " + name)
sys.meta_path.insert(0, Blocked())
import livebase, livebase.services.auth, livebase.cli, livebase.server, livebase.testing
from livebase.server import create_app
from livebase.testing import AppTester
with AppTester({str(ROOT / "examples" / "tasks")!r}, {str(tmp_path)!r}) as t:
    t.mutation("tasks:addTask", {{"text": "no app stack"}})
    create_app(t.runtime)
    print(len(t.query("tasks:listTasks", {{}})))
"""
    done = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
