"""Filter expressions: ``.filter(lambda q: q.and_(q.eq(q.field("x"), 1), q.gt(q.field("y"), 2)))``.

The builder mirrors Convex's filter builder. Comparisons use the index order over all value
types, so ``q.lt`` between a number and a string behaves as Convex's does; a missing field is
``undefined`` and sorts below everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from livebase.engine import values
from livebase.engine.errors import ValidationError
from livebase.engine.keys import encode_key, field_value, undefined


class Expr:
    """A filter expression, evaluated against one document."""

    def evaluate(self, doc: dict[str, Any]) -> Any:
        raise NotImplementedError


class _Field(Expr):
    def __init__(self, path: str) -> None:
        if not isinstance(path, str) or not path:
            raise ValidationError("q.field() takes a field name")
        self.path = path

    def evaluate(self, doc: dict[str, Any]) -> Any:
        return field_value(doc, self.path)


class _Literal(Expr):
    def __init__(self, value: Any) -> None:
        self.value = value if value is undefined else values.normalize(value)

    def evaluate(self, doc: dict[str, Any]) -> Any:
        return self.value


class _Call(Expr):
    def __init__(self, fn: Callable[..., Any], *args: Expr) -> None:
        self.fn = fn
        self.args = args

    def evaluate(self, doc: dict[str, Any]) -> Any:
        return self.fn(*(arg.evaluate(doc) for arg in self.args))


def _expr(value: Any) -> Expr:
    return value if isinstance(value, Expr) else _Literal(value)


def _key(value: Any) -> bytes:
    return encode_key((value,))


def _number(value: Any, op: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"q.{op}() takes numbers, got {values.type_name(value)}")
    return value


def _arith(op: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        result = fn(_number(a, op), _number(b, op))
        if isinstance(a, values.Int64) and isinstance(b, values.Int64):
            return values.Int64(result)
        return float(result)

    return apply


def _truthy(value: Any, op: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"q.{op}() takes boolean expressions, got {values.type_name(value)}")
    return value


class FilterBuilder:
    """The ``q`` handed to ``.filter(lambda q: ...)``."""

    def field(self, path: str) -> Expr:
        return _Field(path)

    def eq(self, a: Any, b: Any) -> Expr:
        return _Call(lambda x, y: _key(x) == _key(y), _expr(a), _expr(b))

    def neq(self, a: Any, b: Any) -> Expr:
        return _Call(lambda x, y: _key(x) != _key(y), _expr(a), _expr(b))

    def lt(self, a: Any, b: Any) -> Expr:
        return _Call(lambda x, y: _key(x) < _key(y), _expr(a), _expr(b))

    def lte(self, a: Any, b: Any) -> Expr:
        return _Call(lambda x, y: _key(x) <= _key(y), _expr(a), _expr(b))

    def gt(self, a: Any, b: Any) -> Expr:
        return _Call(lambda x, y: _key(x) > _key(y), _expr(a), _expr(b))

    def gte(self, a: Any, b: Any) -> Expr:
        return _Call(lambda x, y: _key(x) >= _key(y), _expr(a), _expr(b))

    def and_(self, *exprs: Any) -> Expr:
        return _Call(lambda *xs: all(_truthy(x, "and_") for x in xs), *map(_expr, exprs))

    def or_(self, *exprs: Any) -> Expr:
        return _Call(lambda *xs: any(_truthy(x, "or_") for x in xs), *map(_expr, exprs))

    def not_(self, expr: Any) -> Expr:
        return _Call(lambda x: not _truthy(x, "not_"), _expr(expr))

    def add(self, a: Any, b: Any) -> Expr:
        return _Call(_arith("add", lambda x, y: x + y), _expr(a), _expr(b))

    def sub(self, a: Any, b: Any) -> Expr:
        return _Call(_arith("sub", lambda x, y: x - y), _expr(a), _expr(b))

    def mul(self, a: Any, b: Any) -> Expr:
        return _Call(_arith("mul", lambda x, y: x * y), _expr(a), _expr(b))

    def div(self, a: Any, b: Any) -> Expr:
        return _Call(_arith("div", lambda x, y: x / y), _expr(a), _expr(b))

    def mod(self, a: Any, b: Any) -> Expr:
        return _Call(_arith("mod", lambda x, y: x % y), _expr(a), _expr(b))

    def neg(self, a: Any) -> Expr:
        return _Call(lambda x: -_number(x, "neg"), _expr(a))


def compile_filter(fn: Callable[[FilterBuilder], Any]) -> Expr:
    """Build the expression of a ``.filter`` callback, refusing anything that is not one."""
    expr = fn(FilterBuilder())
    if not isinstance(expr, Expr):
        raise ValidationError(
            ".filter() takes a function of the filter builder returning an expression, "
            f"e.g. lambda q: q.eq(q.field('status'), 'active'); it returned {type(expr).__name__}"
        )
    return expr


def matches(expr: Expr, doc: dict[str, Any]) -> bool:
    """Whether a document passes a filter; a non-boolean result counts as false."""
    return expr.evaluate(doc) is True
