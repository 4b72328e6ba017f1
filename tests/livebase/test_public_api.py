import ast
import inspect
from pathlib import Path

import livebase

ROOT = Path(__file__).resolve().parents[2]

# The public surface of livebase, exactly: adding a name is a decision, made here too.
PUBLIC = {
    "ActionCtx",
    "App",
    "AuthFailed",
    "ConvexError",
    "CustomJwtProvider",
    "FunctionNotFoundError",
    "HttpRouter",
    "IndexRangeError",
    "Int64",
    "InvalidIdError",
    "Invitations",
    "LimitError",
    "LivebaseError",
    "MutationCtx",
    "OccConflictError",
    "OidcProvider",
    "PasswordProvider",
    "QueryCtx",
    "ReadOnlyError",
    "Runtime",
    "SchemaError",
    "TimeLimitError",
    "UnknownTableError",
    "ValidationError",
    "__version__",
    "access_rules",
    "action",
    "checked_email",
    "cli_main",
    "create_admin_command",
    "create_function_handle",
    "cron_jobs",
    "define_schema",
    "define_table",
    "highlight",
    "http_action",
    "internal_action",
    "internal_mutation",
    "internal_query",
    "load_app",
    "mutation",
    "query",
    "signup_hook_args",
    "token_digest",
    "undefined",
    "v",
}


def test_all_is_exactly_the_public_names():
    assert set(livebase.__all__) == PUBLIC
    assert len(livebase.__all__) == len(PUBLIC)


def test_every_name_in_all_is_exported():
    for name in livebase.__all__:
        assert hasattr(livebase, name), name


def test_the_package_namespace_holds_no_other_public_name():
    # Subpackages (engine, runtime, ...) are attributes once imported; anything else public
    # that is not in __all__ is a name leaking out by accident.
    extra = {
        name
        for name in vars(livebase)
        if not name.startswith("_") and not inspect.ismodule(getattr(livebase, name))
    }
    assert extra <= PUBLIC, extra - PUBLIC


def test_query_is_the_decorator_not_the_module():
    assert callable(livebase.query) and not inspect.ismodule(livebase.query)


def test_the_command_line_is_reachable_without_importing_it_up_front():
    assert livebase.cli_main.__module__ == "livebase.cli"
    assert livebase.create_admin_command.__module__ == "livebase.cli"


def _livebase_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "livebase":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "livebase"}
    return found


def test_apps_import_only_the_public_surface():
    allowed = {"livebase", "livebase.testing"}
    offenders = {}
    for tree in ("src/bankchat", "src/sessiondocs", "examples"):
        for path in sorted((ROOT / tree).rglob("*.py")):
            bad = _livebase_imports(path) - allowed
            if bad:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
