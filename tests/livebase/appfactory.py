"""Write throwaway app packages for tests (unique names: Python caches imported modules)."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path


def write_app(root: Path, schema: str, **modules: str) -> Path:
    """Create a package under ``root`` with schema.py and the given modules; return its dir."""
    package = root / f"app_{uuid.uuid4().hex[:12]}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "schema.py").write_text(textwrap.dedent(schema))
    for name, source in modules.items():
        (package / f"{name}.py").write_text(textwrap.dedent(source))
    return package
