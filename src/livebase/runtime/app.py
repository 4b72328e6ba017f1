"""Apps: a Python package holding ``schema.py`` and function modules.

The function ``list_sessions`` in module ``sessions`` has the path ``sessions:list_sessions``
and answers to ``sessions:listSessions`` too; functions in subpackages get ``folder/module:fn``.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from livebase.engine.errors import FunctionNotFoundError, SchemaError
from livebase.engine.schema import SchemaDefinition
from livebase.engine.validators import DocValidator, nested
from livebase.runtime.functions import FunctionDefinition

_PATH = re.compile(r"^[A-Za-z0-9_/.\-]+(:[A-Za-z0-9_]+)?$")


def camel_case(name: str) -> str:
    """``create_session`` -> ``createSession`` (leading underscores kept)."""
    stripped = name.lstrip("_")
    head, *rest = stripped.split("_")
    return name[: len(name) - len(stripped)] + head + "".join(p[:1].upper() + p[1:] for p in rest)


@dataclass
class App:
    """A loaded app: its package, schema and functions by path."""

    name: str
    package: ModuleType
    schema: SchemaDefinition | None
    functions: dict[str, FunctionDefinition] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    modules: dict[str, ModuleType] = field(default_factory=dict)
    crons: Any = None  # livebase.runtime.crons.Crons from crons.py
    http: Any = None  # livebase.http_router.HttpRouter from http.py
    auth_providers: list[Any] = field(default_factory=list)  # `providers` in auth.py
    _resolved: dict[str, FunctionDefinition] = field(default_factory=dict, repr=False)

    def resolve(self, path: str) -> FunctionDefinition:
        """The function at a path (``module:fn``, camelCase, ``.js`` suffix, or ``module``
        alone for ``default``)."""
        cached = self._resolved.get(path)
        if cached is not None:
            return cached
        found = self._resolve(path)
        if len(self._resolved) < 10_000:
            self._resolved[path] = found
        return found

    def _resolve(self, path: str) -> FunctionDefinition:
        canonical = canonical_path(path)
        found = self.functions.get(canonical)
        if found is None:
            alias = self.aliases.get(canonical)
            found = self.functions.get(alias) if alias else None
        if found is None:
            raise not_found(canonical)
        return found


def not_found(path: str) -> FunctionNotFoundError:
    """Convex's error for a function a caller may not run: one that does not exist and an
    internal one called from outside read the same, so the second cannot be told apart."""
    shown = canonical_path(path).removesuffix(":default")  # why: Convex strips it too
    return FunctionNotFoundError(f"Could not find public function for {shown!r}.")


def canonical_path(path: object) -> str:
    """Convex's canonical form: ``module:function``, without a ``.js`` suffix."""
    if not isinstance(path, str) or not path or not _PATH.match(path):
        raise FunctionNotFoundError(f"Invalid function path {path!r}")
    module, _, function = path.partition(":")
    for suffix in (".js", ".ts", ".py"):
        if module.endswith(suffix):
            module = module[: -len(suffix)]
    return f"{module}:{function or 'default'}"


def _import_target(spec: str | Path | ModuleType) -> ModuleType:
    if isinstance(spec, ModuleType):
        return spec
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        return _import_directory(path.resolve())
    if "/" in text or text.endswith(".py"):
        raise SchemaError(f"App {text!r}: no such directory")
    try:
        return importlib.import_module(text)
    except ModuleNotFoundError as exc:
        raise SchemaError(f"App {text!r}: cannot import it ({exc})") from exc


def _import_directory(path: Path) -> ModuleType:
    """Import a directory as a package, from its outermost enclosing package's parent."""
    parts = [path.name]
    root = path.parent
    while (path / "__init__.py").exists() and (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    if not (path / "__init__.py").exists():
        name = f"livebase_app_{abs(hash(str(path))):x}"
        if name in sys.modules:
            return sys.modules[name]
        module_spec = importlib.util.spec_from_file_location(
            name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        # a directory without __init__.py: a namespace-like package with no code of its own
        module.__path__ = [str(path)]
        return module
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(".".join(parts))


def load_app(spec: str | Path | ModuleType | App) -> App:
    """Load an app from a directory, a dotted module name or a package module."""
    if isinstance(spec, App):
        return spec
    package = _import_target(spec)
    if not hasattr(package, "__path__"):
        raise SchemaError(f"App {package.__name__!r} must be a package (a directory of modules)")
    prefix = package.__name__ + "."
    schema = None
    app = App(package.__name__, package, None)
    for info in sorted(pkgutil.walk_packages(package.__path__, prefix), key=lambda i: i.name):
        relative = info.name[len(prefix) :]
        if any(part.startswith("_") for part in relative.split(".")):
            continue
        if relative == "http":
            app.http = _http_of(importlib.import_module(info.name))
            continue
        module = importlib.import_module(info.name)
        if relative == "schema":
            schema = _schema_of(module)
            continue
        if relative == "crons":
            app.crons = _crons_of(module)
        if relative == "auth":
            app.auth_providers = list(getattr(module, "providers", []) or [])
        module_path = relative.replace(".", "/")
        app.modules[module_path] = module
        _register_module(app, module_path, module)
    app.schema = schema
    _bind_documents(app)
    return app


def _bind_documents(app: App) -> None:
    """Give every ``v.doc(table)`` in a function's validators its table's fields."""
    for path, fn in app.functions.items():
        for validator in (fn.args, fn.returns):
            for found in nested(validator) if validator is not None else ():
                if not isinstance(found, DocValidator) or app.schema is None:
                    continue
                table = app.schema.tables.get(found.table)
                if table is None:
                    raise SchemaError(
                        f"{path}: v.doc({found.table!r}) names no table of the schema"
                    )
                found.document = table.document


def reload_app(app: App) -> App:
    """The app's code as its files now hold it (``livebase dev``): its modules imported
    afresh. If that fails (a syntax error, a failing import, a bad schema) the error is raised
    and the modules in use stay as they were."""
    name = app.package.__name__
    mine = {
        key: module
        for key, module in sys.modules.items()
        if key == name or key.startswith(name + ".")
    }
    for key in mine:
        del sys.modules[key]
    importlib.invalidate_caches()
    try:
        return load_app(_import_directory(Path(next(iter(app.package.__path__))).resolve()))
    except BaseException:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        sys.modules.update(mine)
        raise


def _crons_of(module: ModuleType) -> Any:
    from livebase.runtime.crons import Crons

    crons = getattr(module, "crons", None) or getattr(module, "default", None)
    if not isinstance(crons, Crons):
        raise SchemaError(f"{module.__name__} must define `crons = cron_jobs()`")
    return crons


def _http_of(module: ModuleType) -> Any:
    from livebase.runtime.http_router import HttpRouter

    router = getattr(module, "http", None) or getattr(module, "default", None)
    if not isinstance(router, HttpRouter):
        raise SchemaError(f"{module.__name__} must define `http = HttpRouter()`")
    return router


def _schema_of(module: ModuleType) -> SchemaDefinition:
    schema = getattr(module, "schema", None) or getattr(module, "default", None)
    if not isinstance(schema, SchemaDefinition):
        raise SchemaError(f"{module.__name__} must define `schema = define_schema({{...}})`")
    return schema


def _register_module(app: App, module_path: str, module: ModuleType) -> None:
    for attr, value in vars(module).items():
        if not isinstance(value, FunctionDefinition) or attr.startswith("_"):
            continue
        path = f"{module_path}:{attr}"
        if not value.path:
            value.path = path
        app.functions[path] = value
        camel_module = "/".join(camel_case(p) for p in module_path.split("/"))
        for alias in {
            f"{module_path}:{camel_case(attr)}",
            f"{camel_module}:{camel_case(attr)}",
            f"{camel_module}:{attr}",
        }:
            if alias != path:
                app.aliases.setdefault(alias, path)
