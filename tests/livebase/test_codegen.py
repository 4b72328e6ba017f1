"""Generated client code: the types of ``_generated/api`` come from the Python validators."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from livebase import ValidationError, v
from livebase.cli import main
from livebase.codegen import generate, ts_type
from livebase.testing import AppTester

ROOT = Path(__file__).resolve().parents[2]
WEB_MODULES = ROOT / "web" / "bankchat" / "node_modules"

SCHEMA = """
from livebase import define_schema, define_table, v

schema = define_schema({
    "notes": define_table({
        "body": v.string(),
        "size": v.int64(),
        "raw": v.optional(v.bytes()),
        "author": v.object({"name": v.string(), "email": v.optional(v.string())}),
        "kind": v.union(v.literal("a"), v.literal("b")),
    }).index("by_kind", ["kind"]).search_index("search_body", search_field="body",
                                                filter_fields=["kind"]),
    "tags": define_table({"note": v.id("notes"), "label": v.string()}),
})
"""

FUNCTIONS = """
from livebase import internal_mutation, mutation, query, action, v

@query(args={"kind": v.optional(v.union(v.literal("a"), v.literal("b")))},
       returns=v.array(v.doc("notes")))
async def list_notes(ctx, kind=None):
    return await ctx.db.query("notes").collect()

@mutation(args={"body": v.string(), "size": v.int64(), "kind": v.literal("a")},
          returns=v.id("notes"))
async def add_note(ctx, body, size, kind):
    return await ctx.db.insert("notes", {"body": body, "size": size, "kind": kind,
                                         "author": {"name": "me"}})

@mutation(args={"id": v.id("notes")}, returns=v.null())
async def remove(ctx, id):
    await ctx.db.delete(id)

@action(args={}, returns=v.record(v.string(), v.nullable(v.number())))
async def counts(ctx):
    return {}

@query
async def untyped(ctx, **anything):
    return None

@internal_mutation(args={"note": v.id("notes")}, returns=v.doc("tags"))
async def tag(ctx, note):
    tag_id = await ctx.db.insert("tags", {"note": note, "label": "x"})
    return await ctx.db.get(tag_id)
"""


def make_app(root: Path, functions: str = FUNCTIONS) -> Path:
    # why: a package name is imported once per process; each test gets its own
    app = root / ("notes_" + "".join(c if c.isalnum() else "_" for c in root.name))
    (app / "nested").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "schema.py").write_text(SCHEMA)
    (app / "notes.py").write_text(functions)
    (app / "nested" / "__init__.py").write_text("")
    (app / "nested" / "deep.py").write_text(
        "from livebase import query, v\n\n"
        "@query(args={'n': v.number()}, returns=v.number())\n"
        "async def double_it(ctx, n):\n    return n * 2\n"
    )
    return app


def test_each_validator_has_its_typescript_type() -> None:
    assert ts_type(v.string()) == "string"
    assert ts_type(v.int64()) == "bigint"
    assert ts_type(v.bytes()) == "ArrayBuffer"
    assert ts_type(v.id("notes")) == 'Id<"notes">'
    assert ts_type(v.doc("notes")) == 'Doc<"notes">'
    assert ts_type(v.array(v.union(v.string(), v.null()))) == "Array<string | null>"
    assert ts_type(v.record(v.string(), v.boolean())) == "Record<string, boolean>"
    assert ts_type(v.literal("a")) == '"a"'
    assert ts_type(v.object({"a": v.optional(v.number()), "b-c": v.any()})) == (
        '{ a?: number; "b-c": any }'
    )
    assert ts_type(v.object({})) == "Record<string, never>"
    assert ts_type(None) == "any"


def test_functions_are_typed_by_their_validators(tmp_path: Path) -> None:
    files = generate(make_app(tmp_path)).files
    api = files["api.d.ts"]
    assert (
        'listNotes: FunctionReference<"query", "public", { kind?: "a" | "b" }, '
        'Array<Doc<"notes">>>' in api
    )
    assert '"mutation",\n      "public",\n      { body: string; size: bigint; kind: "a" },' in api
    assert 'remove: FunctionReference<"mutation", "public", { id: Id<"notes"> }, null>' in api
    assert 'untyped: FunctionReference<"query", "public", any, any>' in api
    assert "doubleIt: FunctionReference<" in api and "nested: {" in api
    public, internal = api.split("export declare const internal")
    assert "tag:" not in public and 'tag: FunctionReference<"mutation", "internal"' in internal
    model = files["dataModel.d.ts"]
    assert "size: bigint;" in model and "raw?: ArrayBuffer;" in model
    assert '"author.email"' in model and 'by_kind: ["kind", "_creationTime"];' in model
    assert 'search_body: { searchField: "body"; filterFields: "kind" };' in model
    assert files["api.js"].count("anyApi") == 3


@pytest.mark.skipif(not (WEB_MODULES / ".bin" / "tsc").exists(), reason="run make web first")
def test_generated_code_type_checks_with_the_official_client(tmp_path: Path) -> None:
    """Right calls compile; a wrong argument, a wrong table's ID or a wrong use of a result
    is a type error (each ``@ts-expect-error`` fails the build if no error follows)."""
    project = tmp_path / "web"
    generate(make_app(tmp_path)).write(project / "convex" / "_generated")
    (project / "node_modules").symlink_to(WEB_MODULES)
    (project / "use.ts").write_text(
        textwrap.dedent(
            """
            import { ConvexHttpClient } from "convex/browser";
            import type { FunctionReturnType } from "convex/server";
            import { api, internal } from "./convex/_generated/api";
            import type { Doc, Id, DataModel } from "./convex/_generated/dataModel";
            import type { GenericDataModel } from "convex/server";

            const client = new ConvexHttpClient("http://127.0.0.1:1");
            export async function use(): Promise<void> {
              const notes: Doc<"notes">[] = await client.query(api.notes.listNotes, {});
              const size: bigint = notes[0].size;
              const name: string = notes[0].author.name;
              const id: Id<"notes"> = await client.mutation(api.notes.addNote, {
                body: "x", size: 1n, kind: "a" });
              await client.mutation(api.notes.remove, { id });
              const counts: Record<string, number | null> = await client.action(
                api.notes.counts, {});
              const doubled: number = await client.query(api.nested.deep.doubleIt, { n: 2 });
              type Tag = FunctionReturnType<typeof internal.notes.tag>;
              const tagged: Id<"notes"> = ({} as Tag).note;
              // @ts-expect-error a number is not an int64
              await client.mutation(api.notes.addNote, { body: "x", size: 1, kind: "a" });
              // @ts-expect-error "c" is not a kind
              await client.query(api.notes.listNotes, { kind: "c" });
              // @ts-expect-error an ID of another table
              await client.mutation(api.notes.remove, { id: "" as Id<"tags"> });
              // @ts-expect-error internal functions are not in api
              api.notes.tag;
              // @ts-expect-error a document's body is a string
              const wrong: number = notes[0].body;
              console.log(size, name, counts, doubled, tagged, wrong);
            }
            const model: GenericDataModel = {} as DataModel;
            console.log(model);
            """
        )
    )
    (project / "tsconfig.json").write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "target": "ES2022",
                    "module": "ESNext",
                    "moduleResolution": "bundler",
                    "strict": True,
                    "noEmit": True,
                    "skipLibCheck": True,
                    "lib": ["ES2022", "DOM"],
                    "types": [],
                },
                "include": ["use.ts", "convex"],
            }
        )
    )
    done = subprocess.run(
        [str(WEB_MODULES / ".bin" / "tsc"), "-p", "."],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_returned_document_is_checked_against_its_table(tmp_path: Path) -> None:
    with AppTester(make_app(tmp_path), tmp_path / "data") as t:
        note = t.mutation("notes:addNote", {"body": "hi", "size": 3, "kind": "a"})
        assert t.query("notes:listNotes", {})[0]["_id"] == note
        assert t.mutation("notes:tag", {"note": note})["label"] == "x"


def test_a_returned_document_that_is_not_one_fails(tmp_path: Path) -> None:
    broken = FUNCTIONS.replace(
        'return await ctx.db.query("notes").collect()', 'return [{"body": "no id"}]'
    )
    with (
        AppTester(make_app(tmp_path, broken), tmp_path / "data") as t,
        pytest.raises(ValidationError),
    ):
        t.query("notes:listNotes", {})


def test_codegen_command_writes_the_files_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, out = make_app(tmp_path), tmp_path / "out"
    assert main(["codegen", str(app), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["api.d.ts", "api.js", "dataModel.d.ts"]
    assert main(["codegen", str(app), "--out", str(out)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert main(["codegen", str(tmp_path / "missing"), "--out", str(out)]) == 1
    assert "no such directory" in capsys.readouterr().err


def test_a_doc_validator_naming_no_table_is_refused_at_load(tmp_path: Path) -> None:
    broken = FUNCTIONS.replace('returns=v.doc("tags")', 'returns=v.doc("tagz")')
    assert main(["codegen", str(make_app(tmp_path, broken)), "--out", str(tmp_path / "o")]) == 1


@pytest.mark.parametrize("app", ["bankchat", "sessiondocs"])
def test_each_web_apps_generated_code_matches_its_functions(app: str) -> None:
    """The committed ``web/APP/src/convex/_generated`` is what the Python functions generate:
    a changed validator without ``livebase codegen`` fails here (and tsc then checks the UI)."""
    folder = ROOT / "web" / app / "src" / "convex" / "_generated"
    for name, text in generate(f"{app}.functions").files.items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"web/{app}/src/convex/_generated/{name} is stale: run "
            f"livebase codegen {app}.functions --out web/{app}/src/convex/_generated"
        )
