"""Function decorators: ``query``, ``mutation``, ``action`` and their ``internal_`` twins.

Each works bare (``@query``) or called (``@query(args={...}, returns=v.string())``). Handlers
take ``ctx`` and the arguments as keyword arguments, and may be ``async def`` or plain ``def``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from livebase.engine.validators import ObjectValidator, Validator, as_object_validator

Kind = Literal["query", "mutation", "action"]


@dataclass
class FunctionDefinition:
    """A registered function: its kind, visibility, validators and handler."""

    kind: Kind
    internal: bool
    handler: Callable[..., Any]
    args: ObjectValidator | None = None
    returns: Validator | None = None
    path: str = field(default="", compare=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the handler directly (plain Python, no validation, no transaction)."""
        return self.handler(*args, **kwargs)

    @property
    def name(self) -> str:
        """The handler's Python name."""
        return str(getattr(self.handler, "__name__", "handler"))

    @property
    def visibility(self) -> str:
        return "internal" if self.internal else "public"


def _decorator(kind: Kind, internal: bool) -> Callable[..., Any]:
    def decorate(
        fn: Callable[..., Any] | None = None,
        *,
        args: Mapping[str, Validator] | Validator | None = None,
        returns: Validator | None = None,
        handler: Callable[..., Any] | None = None,
    ) -> Any:
        if returns is not None and not isinstance(returns, Validator):
            raise TypeError(f"{kind}(returns=...) must be a validator")
        args_validator = as_object_validator(args, f"{kind}(args=...)")

        def wrap(target: Callable[..., Any]) -> FunctionDefinition:
            if isinstance(target, FunctionDefinition):
                raise TypeError(f"{target.name} is already a registered function")
            if not callable(target):
                raise TypeError(f"@{kind} decorates a function")
            return FunctionDefinition(kind, internal, target, args_validator, returns)

        if fn is not None:
            return wrap(fn)
        if handler is not None:
            return wrap(handler)
        return wrap

    decorate.__name__ = ("internal_" if internal else "") + kind
    decorate.__doc__ = f"Register a{'n internal' if internal else ''} {kind} function."
    return decorate


query = _decorator("query", False)
mutation = _decorator("mutation", False)
action = _decorator("action", False)
internal_query = _decorator("query", True)
internal_mutation = _decorator("mutation", True)
internal_action = _decorator("action", True)


AccessCheck = Callable[[Any, str, dict[str, Any]], Any]


def access_rules(
    check: AccessCheck, rules: tuple[str, ...]
) -> Callable[[str], Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """An app's ``@allow(RULE)`` decorator: every public function declares who may call it.

    ``check(ctx, rule, kwargs)`` (async) raises the error a caller gets when ``rule`` does not
    admit them; it runs before the handler. The rule is recorded on the handler as
    ``__access__``, so a test can require one on every public function::

        allow = access_rules(check_rule, ("anyone", "signed_in", "admin"))

        @query(args={"id": v.id("notes")})
        @allow("signed_in")
        async def get_note(ctx, id): ...
    """

    def allow(rule: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if rule not in rules:
            raise ValueError(f"unknown access rule {rule!r}; one of {', '.join(rules)}")

        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(handler)
            async def checked(ctx: Any, *args: Any, **kwargs: Any) -> Any:
                await check(ctx, rule, kwargs)
                result = handler(ctx, *args, **kwargs)
                return await result if inspect.isawaitable(result) else result

            checked.__access__ = rule  # type: ignore[attr-defined]
            return checked

        return decorate

    return allow
