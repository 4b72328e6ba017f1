"""Schemas: ``define_schema({"table": define_table({...}).index("by_x", ["x"])})``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livebase.engine.errors import SchemaError
from livebase.engine.validators import Validator, _Object, _Optional, as_object_validator

MAX_INDEXES = 32
MAX_INDEX_FIELDS = 16
MAX_SEARCH_INDEXES = 4
MAX_FILTER_FIELDS = 16
MIN_DIMENSIONS = 2
MAX_DIMENSIONS = 4096
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
RESERVED_INDEXES = ("by_id", "by_creation_time")


@dataclass(frozen=True)
class IndexDefinition:
    """A named index over document fields (``_creationTime`` is appended implicitly)."""

    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SearchIndexDefinition:
    """A full-text search index over one string field, with equality filter fields."""

    name: str
    search_field: str
    filter_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class VectorIndexDefinition:
    """A vector index over one field holding lists of ``dimensions`` numbers."""

    name: str
    vector_field: str
    dimensions: int
    filter_fields: tuple[str, ...] = ()


@dataclass
class TableDefinition:
    """A table's document validator and its indexes."""

    document: _Object | None
    indexes: list[IndexDefinition] = field(default_factory=list)
    search_indexes: list[SearchIndexDefinition] = field(default_factory=list)
    vector_indexes: list[VectorIndexDefinition] = field(default_factory=list)
    # Convex's staged indexes (``staged=True``): declared but not built nor queryable until
    # the flag is removed; by name, the definition each would have
    staged: dict[str, IndexDefinition | SearchIndexDefinition | VectorIndexDefinition] = field(
        default_factory=dict
    )

    def _check_name(self, kind: str, name: str) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise SchemaError(f"Invalid {kind} name {name!r}")
        if name in RESERVED_INDEXES:
            raise SchemaError(f"Index name {name!r} is reserved")
        taken = [i.name for i in self.indexes]
        taken += [i.name for i in self.search_indexes] + [i.name for i in self.vector_indexes]
        if name in taken or name in self.staged:
            raise SchemaError(f"Duplicate index name {name!r}")

    def index(
        self, name: str, fields: Sequence[str] | Mapping[str, Any], *, staged: bool = False
    ) -> TableDefinition:
        """Add an index; ``fields`` in order, as in Convex's ``.index(name, [fields])`` or
        ``.index(name, {"fields": [...], "staged": True})``. A staged index is checked but
        neither built nor queryable until the flag is removed."""
        if isinstance(fields, Mapping):
            staged = bool(fields.get("staged", staged))
            fields = list(fields.get("fields", []))
        if isinstance(fields, str):
            raise SchemaError(f"Index {name!r}: fields must be a list of field names")
        self._check_name("index", name)
        if not fields or len(fields) > MAX_INDEX_FIELDS:
            raise SchemaError(f"Index {name!r} needs 1 to {MAX_INDEX_FIELDS} fields")
        for field_name in fields:
            if not isinstance(field_name, str) or not field_name:
                raise SchemaError(f"Index {name!r}: invalid field {field_name!r}")
            if field_name.startswith("_"):
                raise SchemaError(
                    f"Index {name!r}: field {field_name!r} is a system field; "
                    "_creationTime is appended to every index"
                )
        if len(set(fields)) != len(fields):
            raise SchemaError(f"Index {name!r} names a field twice")
        if len(self.indexes) >= MAX_INDEXES:
            raise SchemaError(f"A table has at most {MAX_INDEXES} indexes")
        self.indexes.append(IndexDefinition(name, tuple(fields)))
        return self._stage_last(self.indexes, staged)

    def _stage_last(self, kind: list[Any], staged: bool) -> TableDefinition:
        """Move the index just added to ``staged`` when it is staged."""
        if staged:
            definition = kind.pop()
            self.staged[definition.name] = definition
        return self

    def search_index(
        self,
        name: str,
        spec: Mapping[str, Any] | None = None,
        *,
        search_field: str | None = None,
        filter_fields: Sequence[str] = (),
        staged: bool = False,
    ) -> TableDefinition:
        """Add a full-text search index: ``.search_index("search_body", search_field="body",
        filter_fields=["channel"])``, or Convex's ``{"searchField": ..., "filterFields":
        [...], "staged": ...}``."""
        if spec is not None:
            if not isinstance(spec, Mapping):
                raise SchemaError(
                    f"Search index {name!r}: give search_field= (and filter_fields=) or "
                    "{'searchField': ..., 'filterFields': [...]}"
                )
            search_field = spec.get("searchField", search_field)
            filter_fields = spec.get("filterFields", filter_fields)
            staged = bool(spec.get("staged", staged))
        self._check_name("search index", name)
        if not isinstance(search_field, str) or not search_field:
            raise SchemaError(f"Search index {name!r} needs a search field (search_field=...)")
        _check_fields(f"Search index {name!r}", search_field, filter_fields)
        if len(self.search_indexes) >= MAX_SEARCH_INDEXES:
            raise SchemaError(f"A table has at most {MAX_SEARCH_INDEXES} search indexes")
        self.search_indexes.append(SearchIndexDefinition(name, search_field, tuple(filter_fields)))
        return self._stage_last(self.search_indexes, staged)

    def vector_index(
        self,
        name: str,
        spec: Mapping[str, Any] | None = None,
        *,
        vector_field: str | None = None,
        dimensions: int | None = None,
        filter_fields: Sequence[str] = (),
        staged: bool = False,
    ) -> TableDefinition:
        """Add a vector index: ``.vector_index("by_embedding", vector_field="embedding",
        dimensions=1536, filter_fields=["kind"])``, or Convex's ``{"vectorField": ...,
        "dimensions": ..., "filterFields": [...]}``. Searched by ``ctx.vector_search`` in
        actions."""
        if spec is not None:
            if not isinstance(spec, Mapping):
                raise SchemaError(
                    f"Vector index {name!r}: give vector_field= and dimensions= (and "
                    "filter_fields=) or {'vectorField': ..., 'dimensions': ...}"
                )
            vector_field = spec.get("vectorField", vector_field)
            dimensions = spec.get("dimensions", dimensions)
            filter_fields = spec.get("filterFields", filter_fields)
            staged = bool(spec.get("staged", staged))
        self._check_name("vector index", name)
        if not isinstance(vector_field, str) or not vector_field:
            raise SchemaError(f"Vector index {name!r} needs a vector field (vector_field=...)")
        if (
            isinstance(dimensions, bool)
            or not isinstance(dimensions, int)
            or not MIN_DIMENSIONS <= dimensions <= MAX_DIMENSIONS
        ):
            raise SchemaError(
                f"Vector index {name!r}: dimensions must be an integer from {MIN_DIMENSIONS} "
                f"to {MAX_DIMENSIONS}, got {dimensions!r}"
            )
        _check_fields(f"Vector index {name!r}", vector_field, filter_fields)
        if len(self.vector_indexes) >= MAX_SEARCH_INDEXES:
            raise SchemaError(f"A table has at most {MAX_SEARCH_INDEXES} vector indexes")
        self.vector_indexes.append(
            VectorIndexDefinition(name, vector_field, dimensions, tuple(filter_fields))
        )
        return self._stage_last(self.vector_indexes, staged)

    def export(self) -> dict[str, Any]:
        staged = list(self.staged.values())
        exported = {
            "indexes": [_index_json(i) for i in self.indexes],
            "searchIndexes": [_index_json(i) for i in self.search_indexes],
            "vectorIndexes": [_index_json(i) for i in self.vector_indexes],
            "documentType": self.document.to_json() if self.document else {"type": "any"},
        }
        for key, kind in [
            ("stagedDbIndexes", IndexDefinition),
            ("stagedSearchIndexes", SearchIndexDefinition),
            ("stagedVectorIndexes", VectorIndexDefinition),
        ]:
            mine = [_index_json(i) for i in staged if type(i) is kind]
            if mine:  # why: as Convex's, and a schema without staged ones exports as before
                exported[key] = mine
        return exported


def _index_json(index: IndexDefinition | SearchIndexDefinition | VectorIndexDefinition) -> Any:
    if isinstance(index, IndexDefinition):
        return {"indexDescriptor": index.name, "fields": list(index.fields)}
    if isinstance(index, SearchIndexDefinition):
        return {
            "indexDescriptor": index.name,
            "searchField": index.search_field,
            "filterFields": list(index.filter_fields),
        }
    return {
        "indexDescriptor": index.name,
        "vectorField": index.vector_field,
        "dimensions": index.dimensions,
        "filterFields": list(index.filter_fields),
    }


@dataclass
class SchemaDefinition:
    """All tables of an app, with ``schema_validation`` on by default."""

    tables: dict[str, TableDefinition]
    schema_validation: bool = True

    def export(self) -> dict[str, Any]:
        """The schema as JSON, in the shape Convex exports."""
        return {
            "tables": [
                {"tableName": name, **table.export()} for name, table in sorted(self.tables.items())
            ],
            "schemaValidation": self.schema_validation,
        }


def _check_fields(what: str, main: str, filter_fields: Any) -> None:
    """A search or vector index's field and filter fields: names, not system fields, once
    each, at most 16 filters."""
    if isinstance(filter_fields, str) or not isinstance(filter_fields, Sequence):
        raise SchemaError(f"{what}: filter fields must be a list of names")
    if len(filter_fields) > MAX_FILTER_FIELDS:
        raise SchemaError(f"{what} has at most {MAX_FILTER_FIELDS} filter fields")
    for field_name in (main, *filter_fields):
        if not isinstance(field_name, str) or not field_name:
            raise SchemaError(f"{what}: invalid field {field_name!r}")
        if field_name.startswith("_"):
            raise SchemaError(f"{what}: field {field_name!r} is a system field")
    if len(set(filter_fields)) != len(filter_fields) or main in filter_fields:
        raise SchemaError(f"{what} names a field twice")


def define_table(document: Mapping[str, Validator] | Validator | None = None) -> TableDefinition:
    """A table whose documents match ``document`` (a dict of field validators or v.object)."""
    if document is None:
        return TableDefinition(None)
    if isinstance(document, Validator) and not isinstance(document, _Object):
        if document.kind == "any":
            return TableDefinition(None)
        raise SchemaError("define_table() takes v.object({...}) or a dict of field validators")
    validator = as_object_validator(document, "define_table()")
    assert validator is not None
    for name, val in validator.fields.items():
        if name.startswith("_"):
            raise SchemaError(f"Field {name!r}: names starting with '_' are reserved")
        if name.startswith("$"):
            raise SchemaError(f"Field {name!r}: names starting with '$' are not allowed")
        if isinstance(val, _Optional) and isinstance(val.inner, _Optional):
            raise SchemaError(f"Field {name!r}: v.optional(v.optional(...))")
    return TableDefinition(validator)


def define_schema(
    tables: Mapping[str, TableDefinition], *, schema_validation: bool = True
) -> SchemaDefinition:
    """An app's schema: ``define_schema({"messages": define_table({...}), ...})``."""
    if not isinstance(tables, Mapping):
        raise SchemaError("define_schema() takes a dict of table name -> define_table(...)")
    for name, table in tables.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise SchemaError(
                f"Invalid table name {name!r}: letters, digits and '_', starting with a letter"
            )
        if not isinstance(table, TableDefinition):
            raise SchemaError(f"Table {name!r} must be define_table(...)")
    return SchemaDefinition(dict(tables), schema_validation)
