"""Validators (``v``): the types of table documents and of function arguments and returns.

``validator.check(value, path)`` returns the value with ``v.int64()`` fields made ``Int64``, or
raises ValidationError naming the field path. ``values.normalize`` then makes the result
canonical (other ints become floats) and checks the limits, once for the whole value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from livebase.engine.errors import InvalidIdError, ValidationError
from livebase.engine.ids import decode_id
from livebase.engine.values import INT64_MAX, INT64_MIN, Int64, check_field_name, type_name


def _where(path: str) -> str:
    return f" at {path}" if path else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Validator:
    """Base of all validators."""

    kind = "any"
    is_optional = False

    def check(self, value: Any, path: str = "") -> Any:
        """Return ``value`` in canonical form, or raise ValidationError."""
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        """The validator as Convex's exported JSON."""
        return {"type": self.kind}

    def fail(self, value: Any, path: str) -> ValidationError:
        return ValidationError(
            f"Value does not match validator{_where(path)}: expected {self!r}, "
            f"got {type_name(value)} {_short(value)}"
        )

    def __repr__(self) -> str:
        return f"v.{self.kind}()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Validator) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))


class _String(Validator):
    kind = "string"

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, str):
            raise self.fail(value, path)
        return value


class _Number(Validator):
    kind = "number"

    def check(self, value: Any, path: str = "") -> Any:
        if isinstance(value, bool | Int64) or not isinstance(value, int | float):
            raise self.fail(value, path)
        return value


class _Int64(Validator):
    kind = "int64"

    def check(self, value: Any, path: str = "") -> Any:
        if isinstance(value, Int64):
            return value
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(value, path)
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValidationError(f"{value}{_where(path)} is outside the int64 range")
        return Int64(value)


class _Boolean(Validator):
    kind = "boolean"

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, bool):
            raise self.fail(value, path)
        return value


class _Bytes(Validator):
    kind = "bytes"

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise self.fail(value, path)
        return bytes(value)


class _Null(Validator):
    kind = "null"

    def check(self, value: Any, path: str = "") -> Any:
        if value is not None:
            raise self.fail(value, path)
        return None


class _Any(Validator):
    kind = "any"

    def check(self, value: Any, path: str = "") -> Any:
        return value


class _Id(Validator):
    kind = "id"

    def __init__(self, table: str) -> None:
        if not isinstance(table, str) or not table:
            raise TypeError("v.id() takes a table name")
        self.table = table
        self.resolve_table: Any = None  # set by the engine: table name -> table number

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, str):
            raise self.fail(value, path)
        try:
            number = decode_id(value)
        except InvalidIdError as exc:
            raise ValidationError(
                f"Value does not match validator{_where(path)}: {_short(value)} is not an ID "
                f"of table {self.table!r}"
            ) from exc
        resolve = self.resolve_table
        if resolve is not None and resolve(self.table) != number:
            raise ValidationError(
                f"Value does not match validator{_where(path)}: {_short(value)} is an ID of "
                f"another table, expected v.id({self.table!r})"
            )
        return value

    def to_json(self) -> dict[str, Any]:
        return {"type": "id", "tableName": self.table}

    def __repr__(self) -> str:
        return f"v.id({self.table!r})"


class _Literal(Validator):
    kind = "literal"

    def __init__(self, value: Any) -> None:
        if not isinstance(value, str | bool | int | float) or value is None:
            raise TypeError("v.literal() takes a string, number or boolean")
        self.value = value

    def check(self, value: Any, path: str = "") -> Any:
        same_type = isinstance(value, bool) == isinstance(self.value, bool)
        if not same_type or isinstance(value, Int64) or value != self.value:
            raise self.fail(value, path)
        return value

    def to_json(self) -> dict[str, Any]:
        return {"type": "literal", "value": self.value}

    def __repr__(self) -> str:
        return f"v.literal({self.value!r})"


class _Array(Validator):
    kind = "array"

    def __init__(self, element: Validator) -> None:
        self.element = _require(element, "v.array()")

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, list | tuple):
            raise self.fail(value, path)
        return [self.element.check(item, f"{path}[{i}]") for i, item in enumerate(value)]

    def to_json(self) -> dict[str, Any]:
        return {"type": "array", "value": self.element.to_json()}

    def __repr__(self) -> str:
        return f"v.array({self.element!r})"


class _Object(Validator):
    kind = "object"

    def __init__(self, fields: Mapping[str, Validator]) -> None:
        if not isinstance(fields, Mapping):
            raise TypeError("v.object() takes a dict of field validators")
        self.fields = {name: _require(val, f"field {name!r}") for name, val in fields.items()}

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, dict):
            raise self.fail(value, path)
        out: dict[str, Any] = {}
        for name, validator in self.fields.items():
            field_path = f"{path}.{name}"
            if name not in value:
                if validator.is_optional:
                    continue
                raise ValidationError(f"Missing required field{_where(field_path)}")
            out[name] = validator.check(value[name], field_path)
        for name in value:
            if name not in self.fields:
                check_field_name(name, path, not path)
                raise ValidationError(
                    f"Object contains extra field {name!r} that is not in the validator"
                    f"{_where(path)}"
                )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "object",
            "value": {
                name: {"fieldType": val.to_json(), "optional": val.is_optional}
                for name, val in self.fields.items()
            },
        }

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {val!r}" for name, val in self.fields.items())
        return f"v.object({{{inner}}})"


class _Record(Validator):
    kind = "record"

    def __init__(self, keys: Validator, values: Validator) -> None:
        self.keys = _require(keys, "v.record() keys")
        self.values = _require(values, "v.record() values")

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, dict):
            raise self.fail(value, path)
        out = {}
        for key, item in value.items():
            check_field_name(key, path, not path)
            self.keys.check(key, f"{path}.{key}")
            out[key] = self.values.check(item, f"{path}.{key}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "record",
            "keys": self.keys.to_json(),
            "values": {"fieldType": self.values.to_json(), "optional": False},
        }

    def __repr__(self) -> str:
        return f"v.record({self.keys!r}, {self.values!r})"


class _Union(Validator):
    kind = "union"

    def __init__(self, members: tuple[Validator, ...]) -> None:
        if not members:
            raise TypeError("v.union() takes at least one validator")
        self.members = [_require(m, "v.union() member") for m in members]

    def check(self, value: Any, path: str = "") -> Any:
        for member in self.members:
            try:
                return member.check(value, path)
            except ValidationError:
                continue
        raise self.fail(value, path)

    def to_json(self) -> dict[str, Any]:
        return {"type": "union", "value": [m.to_json() for m in self.members]}

    def __repr__(self) -> str:
        return "v.union(" + ", ".join(repr(m) for m in self.members) + ")"


class _Optional(Validator):
    is_optional = True

    def __init__(self, inner: Validator) -> None:
        self.inner = _require(inner, "v.optional()")
        self.kind = inner.kind

    def check(self, value: Any, path: str = "") -> Any:
        return self.inner.check(value, path)

    def to_json(self) -> dict[str, Any]:
        return self.inner.to_json()

    def __repr__(self) -> str:
        return f"v.optional({self.inner!r})"


class _Doc(Validator):
    """A whole document of a table, system fields included (``v.doc("tasks")``): for
    ``returns=``, so clients get ``Doc<"tasks">``. The app's schema binds the table's fields
    when it loads; a table without a schema takes any fields."""

    kind = "object"

    def __init__(self, table: str) -> None:
        if not isinstance(table, str) or not table:
            raise TypeError("v.doc() takes a table name")
        self.table = table
        self.document: _Object | None = None

    def _system(self) -> dict[str, Validator]:
        return {"_id": _Id(self.table), "_creationTime": _Number()}

    def check(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, dict):
            raise self.fail(value, path)
        out = {
            name: validator.check(value.get(name), f"{path}.{name}")
            for name, validator in self._system().items()
        }
        rest = {k: item for k, item in value.items() if k not in out}
        if self.document is None:
            return {**out, **rest}
        return {**out, **self.document.check(rest, path)}

    def to_json(self) -> dict[str, Any]:
        fields = {**self._system(), **(self.document.fields if self.document else {})}
        return _Object(fields).to_json()

    def __repr__(self) -> str:
        return f"v.doc({self.table!r})"


def _require(value: Any, what: str) -> Validator:
    if not isinstance(value, Validator):
        raise TypeError(f"{what} must be a validator (v.string(), v.number(), ...)")
    return value


class _V:
    """The validator builders, spelled as in Convex: ``v.string()``, ``v.object({...})``."""

    def string(self) -> Validator:
        return _String()

    def number(self) -> Validator:
        return _Number()

    float64 = number

    def int64(self) -> Validator:
        return _Int64()

    def boolean(self) -> Validator:
        return _Boolean()

    def bytes(self) -> Validator:
        return _Bytes()

    def null(self) -> Validator:
        return _Null()

    def any(self) -> Validator:
        return _Any()

    def id(self, table: str) -> Validator:
        return _Id(table)

    def doc(self, table: str) -> Validator:
        return _Doc(table)

    def literal(self, value: Any) -> Validator:
        return _Literal(value)

    def array(self, element: Validator) -> Validator:
        return _Array(element)

    def object(self, fields: Mapping[str, Validator]) -> Validator:
        return _Object(fields)

    def record(self, keys: Validator, values: Validator) -> Validator:
        return _Record(keys, values)

    def union(self, *members: Validator) -> Validator:
        return _Union(members)

    def optional(self, inner: Validator) -> Validator:
        return _Optional(inner)

    def nullable(self, inner: Validator) -> Validator:
        return _Union((inner, _Null()))

    def pagination_opts(self) -> Validator:
        """``paginate()``'s options as clients send them (Convex's paginationOptsValidator)."""
        maybe_string = _Union((_String(), _Null()))
        return _Object(
            {
                "numItems": _Number(),
                "cursor": maybe_string,
                "endCursor": _Optional(maybe_string),
                "id": _Optional(_Number()),
                "maximumRowsRead": _Optional(_Number()),
                "maximumBytesRead": _Optional(_Number()),
            }
        )

    def pagination_result(self, item: Validator) -> Validator:
        """What ``paginate()`` returns, pages of ``item`` (Convex's paginationResultValidator)."""
        return _Object(
            {
                "page": _Array(item),
                "isDone": _Boolean(),
                "continueCursor": _String(),
                "splitCursor": _Optional(_Union((_String(), _Null()))),
                "pageStatus": _Optional(
                    _Union((_Literal("SplitRecommended"), _Literal("SplitRequired"), _Null()))
                ),
            }
        )


v = _V()


def as_object_validator(spec: Any, what: str) -> _Object | None:
    """Turn ``args=`` / table specs (a dict of validators or v.object) into an object validator."""
    if spec is None:
        return None
    if isinstance(spec, _Object):
        return spec
    if isinstance(spec, Mapping):
        return _Object(spec)
    raise TypeError(f"{what} must be a dict of validators or v.object(...)")


def id_validators(validator: Validator) -> list[_Id]:
    """Every v.id() inside a validator, so the engine can teach them table numbers."""
    return [found for found in nested(validator) if isinstance(found, _Id)]


def nested(validator: Validator) -> list[Validator]:
    """A validator and every validator inside it."""
    found: list[Validator] = []
    stack = [validator]
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, _Optional):
            stack.append(current.inner)
        elif isinstance(current, _Array):
            stack.append(current.element)
        elif isinstance(current, _Object):
            stack.extend(current.fields.values())
        elif isinstance(current, _Record):
            stack.extend([current.keys, current.values])
        elif isinstance(current, _Union):
            stack.extend(current.members)
    return found


ObjectValidator = _Object
IdValidator = _Id
DocValidator = _Doc
