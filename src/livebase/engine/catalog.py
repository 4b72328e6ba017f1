"""The catalog: table numbers, index ids and validators, and how a schema changes them.

Table numbers are part of every document ID and index ids name index entries in storage, so
both are allocated once and persisted (metadata ``catalog``). User tables are numbered from
10001 as in Convex; system tables (names starting with ``_``) below that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any

from livebase.engine.errors import IndexRangeError, SchemaError, UnknownTableError
from livebase.engine.keys import STRING, encode_key, encode_value, escape_key_bytes, field_value
from livebase.engine.schema import SchemaDefinition
from livebase.engine.validators import ObjectValidator, id_validators

FIRST_USER_TABLE = 10001
SYSTEM_FIELDS = ("_id", "_creationTime")


@dataclass(frozen=True)
class IndexInfo:
    """One index of a table. ``fields`` excludes the implicit ``_creationTime`` and ``_id``."""

    id: int
    name: str
    fields: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", tuple(tuple(f.split(".")) for f in self.fields))

    @property
    def is_by_id(self) -> bool:
        return self.name == "by_id"

    @property
    def all_fields(self) -> tuple[str, ...]:
        """Fields in key order, as range expressions may name them."""
        if self.name == "by_id":
            return ("_id",)
        if self.name == "by_creation_time":
            return ("_creationTime",)
        return (*self.fields, "_creationTime")

    def key_of(self, doc: dict[str, Any], suffix: bytes | None = None) -> bytes:
        """This index's key for a document (unique: it ends with the document's ID).

        ``suffix`` is ``document_suffix(doc)`` when the caller already has it.
        """
        if self.name == "by_id":
            return encode_key((doc["_id"],))
        out = bytearray()
        for path in self.paths:
            encode_value(field_value(doc, path), out)
        out += document_suffix(doc) if suffix is None else suffix
        return bytes(out)


@dataclass(frozen=True)
class SearchIndexInfo:
    """One full-text search index of a table (engine/search.py)."""

    id: int
    name: str
    search_field: str
    filter_fields: tuple[str, ...] = ()
    search_path: tuple[str, ...] = field(init=False, repr=False, compare=False)
    filter_paths: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "search_path", tuple(self.search_field.split(".")))
        object.__setattr__(
            self, "filter_paths", tuple(tuple(f.split(".")) for f in self.filter_fields)
        )

    def spec(self) -> tuple[str, tuple[str, ...]]:
        return (self.search_field, self.filter_fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "searchField": self.search_field,
            "filterFields": list(self.filter_fields),
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> SearchIndexInfo:
        return cls(data["id"], name, data["searchField"], tuple(data["filterFields"]))


@dataclass(frozen=True)
class VectorIndexInfo:
    """One vector index of a table (engine/vectors.py)."""

    id: int
    name: str
    vector_field: str
    dimensions: int
    filter_fields: tuple[str, ...] = ()
    vector_path: tuple[str, ...] = field(init=False, repr=False, compare=False)
    filter_paths: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vector_path", tuple(self.vector_field.split(".")))
        object.__setattr__(
            self, "filter_paths", tuple(tuple(f.split(".")) for f in self.filter_fields)
        )

    def spec(self) -> tuple[str, int, tuple[str, ...]]:
        return (self.vector_field, self.dimensions, self.filter_fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vectorField": self.vector_field,
            "dimensions": self.dimensions,
            "filterFields": list(self.filter_fields),
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> VectorIndexInfo:
        return cls(
            data["id"], name, data["vectorField"], data["dimensions"], tuple(data["filterFields"])
        )


@dataclass
class TableInfo:
    """A table as the engine sees it."""

    name: str
    number: int
    indexes: dict[str, IndexInfo]
    validator: ObjectValidator | None = None
    search_indexes: dict[str, SearchIndexInfo] = field(default_factory=dict)
    vector_indexes: dict[str, VectorIndexInfo] = field(default_factory=dict)
    staged: frozenset[str] = frozenset()  # the schema's staged indexes: not built, refused

    def refuse_staged(self, name: str) -> None:
        """Convex's refusal (IndexRangeError) when ``name`` is a staged index."""
        if name in self.staged:
            raise IndexRangeError(
                f"Index {self.name}.{name} is currently staged and not available to query "
                "until it is enabled"
            )

    @property
    def by_id(self) -> IndexInfo:
        return self.indexes["by_id"]

    def secondary_indexes(self) -> list[IndexInfo]:
        return [i for i in self.indexes.values() if not i.is_by_id]


def document_suffix(doc: dict[str, Any]) -> bytes:
    """The key tail every secondary index shares: ``_creationTime`` then ``_id``."""
    return encode_key((doc["_creationTime"], doc["_id"]))


def id_key(doc_id: str) -> bytes:
    """The ``by_id`` key of a document ID."""
    if type(doc_id) is str:  # why: every db.get builds one; this is encode_key's string case
        return _ID_KEY_START + escape_key_bytes(doc_id.encode("utf-8"))
    return encode_key((doc_id,))


_ID_KEY_START = bytes((STRING,))


@dataclass
class Catalog:
    """Every table and index, with the counters that allocate new ones."""

    tables: dict[str, TableInfo] = field(default_factory=dict)
    next_user_table: int = FIRST_USER_TABLE
    next_system_table: int = 1
    next_index: int = 1
    strict: bool = False  # True once an app with a schema is loaded: unknown tables are errors

    def __post_init__(self) -> None:
        self._by_number = {t.number: t for t in self.tables.values()}

    # --- lookups -----------------------------------------------------------------------
    def table(self, name: str) -> TableInfo:
        """The table with that name; unknown names are an error under a schema."""
        info = self.tables.get(name)
        if info is None:
            if not isinstance(name, str):
                raise UnknownTableError(f"Table names are strings, got {type(name).__name__}")
            if self.strict or name.startswith("_"):
                raise UnknownTableError(
                    f"Table {name!r} is not in the schema"
                    + (f" (tables: {', '.join(sorted(self.user_tables()))})" if self.strict else "")
                )
            raise UnknownTableError(f"Table {name!r} does not exist")
        return info

    def table_by_number(self, number: int) -> TableInfo | None:
        return self._by_number.get(number)

    def table_number(self, name: str) -> int | None:
        info = self.tables.get(name)
        return None if info is None else info.number

    def user_tables(self) -> list[str]:
        return [n for n in self.tables if not n.startswith("_")]

    # --- changes -----------------------------------------------------------------------
    def add_table(self, name: str) -> TableInfo:
        """Allocate a number and the two built-in indexes for a new table."""
        if name.startswith("_"):
            number = self.next_system_table
            self.next_system_table += 1
        else:
            number = self.next_user_table
            self.next_user_table += 1
        info = TableInfo(name, number, {})
        for builtin in ("by_id", "by_creation_time"):
            self._add_index(info, builtin, ())
        self.tables[name] = info
        self._by_number[number] = info
        return info

    def _add_index(self, table: TableInfo, name: str, fields: tuple[str, ...]) -> IndexInfo:
        index = IndexInfo(self.next_index, name, fields)
        self.next_index += 1
        table.indexes[name] = index
        return index

    def apply_schema(
        self, schema: SchemaDefinition
    ) -> tuple[list[IndexInfo | SearchIndexInfo | VectorIndexInfo], list[int]]:
        """Bring tables and indexes in line with a schema.

        Returns the indexes to backfill (new, or with changed fields) and the ids of indexes
        whose entries must be dropped. Tables missing from the schema keep their data.
        """
        backfill: list[IndexInfo | SearchIndexInfo | VectorIndexInfo] = []
        dropped: list[int] = []
        for name, definition in schema.tables.items():
            info = self.tables.get(name) or self.add_table(name)
            wanted = {i.name: tuple(i.fields) for i in definition.indexes}
            for index in list(info.secondary_indexes()):
                if index.name == "by_creation_time":
                    continue
                if wanted.get(index.name) != index.fields:
                    dropped.append(index.id)
                    del info.indexes[index.name]
            for index_name, fields in wanted.items():
                if index_name not in info.indexes:
                    backfill.append(self._add_index(info, index_name, fields))
            self._sync(
                info.search_indexes, definition.search_indexes, SearchIndexInfo, backfill, dropped
            )
            self._sync(
                info.vector_indexes, definition.vector_indexes, VectorIndexInfo, backfill, dropped
            )
            info.validator = definition.document if schema.schema_validation else None
            info.staged = frozenset(definition.staged)
        self.strict = True
        self.bind_id_validators(schema)
        return backfill, dropped

    def _sync(
        self,
        existing: dict[str, Any],
        definitions: Sequence[Any],
        make: Callable[..., Any],
        backfill: list[Any],
        dropped: list[int],
    ) -> None:
        """Bring a table's search or vector indexes in line with their definitions: an index
        whose fields changed is dropped and made again (to backfill), under a new id."""
        wanted = {d.name: astuple(d)[1:] for d in definitions}
        for index in list(existing.values()):
            if wanted.get(index.name) != index.spec():
                dropped.append(index.id)
                del existing[index.name]
        for name, spec in wanted.items():
            if name not in existing:
                made = existing[name] = make(self.next_index, name, *spec)
                self.next_index += 1
                backfill.append(made)

    def bind_id_validators(self, schema: SchemaDefinition) -> None:
        """Teach every v.id() in the schema the table number it must match."""
        for definition in schema.tables.values():
            if definition.document is not None:
                for validator in id_validators(definition.document):
                    validator.resolve_table = self.table_number

    def refresh(self, data: dict[str, Any] | None) -> None:
        """Take in what another process stored: its new tables, its indexes, its counters.
        Tables this catalog knows keep their objects and validators; their index maps are
        updated in place. A table number stored under another name is refused (SchemaError):
        the stored catalog and this one disagree about what an ID means."""
        other = Catalog.from_json(data)
        for name, info in other.tables.items():
            known = self._by_number.get(info.number)
            if known is not None and known.name != name:
                raise SchemaError(
                    f"Table number {info.number} is {name!r} in the stored catalog but "
                    f"{known.name!r} here"
                )
        for name, info in other.tables.items():
            mine = self.tables.get(name)
            if mine is None:
                self.tables[name] = info
                self._by_number[info.number] = info
                continue
            for index_name, index in info.indexes.items():
                if mine.indexes.get(index_name) != index:
                    mine.indexes[index_name] = index
            for index_name in [n for n in mine.indexes if n not in info.indexes]:
                del mine.indexes[index_name]
            mine.search_indexes = dict(info.search_indexes)
            mine.vector_indexes = dict(info.vector_indexes)
        self.next_user_table = max(self.next_user_table, other.next_user_table)
        self.next_system_table = max(self.next_system_table, other.next_system_table)
        self.next_index = max(self.next_index, other.next_index)

    # --- persistence -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "nextUserTable": self.next_user_table,
            "nextSystemTable": self.next_system_table,
            "nextIndex": self.next_index,
            "tables": {
                name: {
                    "number": t.number,
                    "indexes": {
                        i.name: {"id": i.id, "fields": list(i.fields)} for i in t.indexes.values()
                    },
                    **(
                        {"searchIndexes": {i.name: i.to_json() for i in t.search_indexes.values()}}
                        if t.search_indexes
                        else {}
                    ),
                    **(
                        {"vectorIndexes": {i.name: i.to_json() for i in t.vector_indexes.values()}}
                        if t.vector_indexes
                        else {}
                    ),
                }
                for name, t in self.tables.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Catalog:
        if not data:
            return cls()
        tables = {
            name: TableInfo(
                name,
                t["number"],
                {
                    iname: IndexInfo(i["id"], iname, tuple(i["fields"]))
                    for iname, i in t["indexes"].items()
                },
                search_indexes={
                    iname: SearchIndexInfo.from_json(iname, i)
                    for iname, i in t.get("searchIndexes", {}).items()
                },
                vector_indexes={
                    iname: VectorIndexInfo.from_json(iname, i)
                    for iname, i in t.get("vectorIndexes", {}).items()
                },
            )
            for name, t in data["tables"].items()
        }
        return cls(tables, data["nextUserTable"], data["nextSystemTable"], data["nextIndex"])
