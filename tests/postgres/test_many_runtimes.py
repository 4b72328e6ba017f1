"""Several runtimes over one PostgreSQL deployment, as separate server processes would be:
serializable commits across them, each following the others' commits."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from livebase import Runtime
from tests.conftest import APPS
from tests.e2e.conftest import source_env


def open_runtimes(url: str, data: Path, n: int) -> list[Runtime]:
    return [Runtime(APPS / "notes", data, db=url, shared=True) for _ in range(n)]


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_a_write_through_one_runtime_is_read_through_another(deployment):
    url, data = deployment
    a, b = open_runtimes(url, data, 2)
    try:
        note = a.run_mutation("notes:add_note", {"author": "ada", "body": "hi"}).value
        got = b.run_query("notes:by_author", {"author": "ada"}).value
        assert [d["_id"] for d in got] == [note]
        assert got[0]["body"] == "hi"
    finally:
        a.close()
        b.close()


def test_concurrent_increments_spread_over_three_runtimes_all_count(deployment):
    url, data = deployment
    runtimes = open_runtimes(url, data, 3)
    per_thread, threads_per_runtime = 15, 2
    errors: list[BaseException] = []

    def bump(rt: Runtime) -> None:
        try:
            for _ in range(per_thread):
                rt.run_mutation("counters:increment", {"name": "hits"})
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=bump, args=(rt,))
            for rt in runtimes
            for _ in range(threads_per_runtime)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        expected = per_thread * threads_per_runtime * len(runtimes)
        for rt in runtimes:
            assert rt.run_query("counters:get", {"name": "hits"}).value == expected
    finally:
        for rt in runtimes:
            rt.close()


def test_each_runtime_hears_of_the_others_commits_in_order(deployment):
    url, data = deployment
    a, b = open_runtimes(url, data, 2)
    heard: list[int] = []
    b.db.add_commit_listener(lambda ts, ws: heard.append(ts))
    try:
        stamps = [
            a.run_mutation("notes:add_note", {"author": "ada", "body": str(i)}).ts for i in range(5)
        ]
        wait_until(lambda: len(heard) >= 5)
        assert heard == stamps
        assert b.db.latest_ts == stamps[-1]
    finally:
        a.close()
        b.close()


def test_a_stale_read_in_one_runtime_conflicts_with_a_commit_in_another(deployment):
    """OCC across processes: a mutation whose snapshot is older than another process's
    commit to what it read re-runs, so no increment is lost even when the follower lags."""
    url, data = deployment
    a, b = open_runtimes(url, data, 2)
    try:
        a._following.clear()  # a hears of b's commits only when it commits itself
        b.run_mutation("counters:increment", {"name": "n"})
        a.run_mutation("counters:increment", {"name": "n"})
        b.run_mutation("counters:increment", {"name": "n"})
        a.run_mutation("counters:increment", {"name": "n"})
        assert b.run_query("counters:get", {"name": "n"}).value == 4
    finally:
        a.close()
        b.close()


def test_a_table_created_by_one_runtime_is_known_to_the_other(deployment, tmp_path):
    """An app without a schema creates tables on first insert; the other process reads the
    catalog again when it sees that commit."""
    url, _ = deployment
    app = tmp_path / "schemaless"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "things.py").write_text(
        "from livebase import mutation, query, v\n"
        "@mutation(args={'table': v.string()})\n"
        "async def put(ctx, table):\n"
        "    return await ctx.db.insert(table, {'x': 1})\n"
        "@query(args={'table': v.string()})\n"
        "async def all(ctx, table):\n"
        "    return await ctx.db.query(table).collect()\n"
    )
    a = Runtime(app, tmp_path / "a", db=url, shared=True)
    b = Runtime(app, tmp_path / "b", db=url, shared=True)
    try:
        made = a.run_mutation("things:put", {"table": "widgets"}).value
        wait_until(lambda: "widgets" in b.db.catalog.tables)
        assert [d["_id"] for d in b.run_query("things:all", {"table": "widgets"}).value] == [made]
        # and b's own next table does not reuse the number a gave "widgets"
        b.run_mutation("things:put", {"table": "gadgets"})
        numbers = {t.number for t in b.db.catalog.tables.values()}
        assert len(numbers) == len(b.db.catalog.tables)
        wait_until(lambda: "gadgets" in a.db.catalog.tables)
        assert a.db.catalog.tables["gadgets"].number == b.db.catalog.tables["gadgets"].number
    finally:
        a.close()
        b.close()


def test_every_process_has_the_same_secrets_and_the_cli_prints_the_admin_key(
    pg_deployment, tmp_path
):
    """On PostgreSQL the admin key and signing secrets live in the database, not in a data
    directory (processes on other machines have data directories of their own)."""
    url, _ = pg_deployment
    old = tmp_path / "old"
    old.mkdir()
    (old / "admin_key").write_text("livebase|kept-from-before")
    a = Runtime(APPS / "notes", old, db=url, shared=True)  # a key in the data directory
    b = Runtime(APPS / "notes", tmp_path / "b", db=url, shared=True)
    try:
        assert a.deployment.admin_key == b.deployment.admin_key == "livebase|kept-from-before"
        assert b.deployment.verify(b"payload", a.deployment.sign(b"payload"))
        assert not (tmp_path / "b" / "admin_key").exists()
    finally:
        a.close()
        b.close()
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "livebase",
            "admin-key",
            "--db",
            url,
            "--data-dir",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        env=source_env(),
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == "livebase|kept-from-before"


SCHEMALESS = {
    "__init__.py": "",
    "things.py": (
        "from livebase import mutation, query, v\n"
        "@mutation(args={'table': v.string(), 'x': v.number()})\n"
        "async def put(ctx, table, x):\n"
        "    return await ctx.db.insert(table, {'x': x})\n"
        "@query(args={'table': v.string()})\n"
        "async def all(ctx, table):\n"
        "    return [d['x'] for d in await ctx.db.query(table).collect()]\n"
        "@query(args={'id': v.string()})\n"
        "async def get(ctx, id):\n"
        "    doc = await ctx.db.get(id)\n"
        "    return None if doc is None else doc['x']\n"
    ),
}


def schemaless_app(root: Path) -> Path:
    app = root / "schemaless_app"
    app.mkdir(exist_ok=True)
    for name, text in SCHEMALESS.items():
        (app / name).write_text(text)
    return app


def test_a_table_made_elsewhere_is_readable_at_once_read_your_writes(pg_deployment, tmp_path):
    """A query on B right after A created a table finds it, before B's follower has."""
    url, _ = pg_deployment
    app = schemaless_app(tmp_path)
    a = Runtime(app, tmp_path / "a", db=url)
    b = Runtime(app, tmp_path / "b", db=url)
    try:
        b._following.clear()  # b's follower never gets there first
        for i in range(10):
            doc = a.run_mutation("things:put", {"table": f"t{i}", "x": i}).value
            assert b.run_query("things:get", {"id": doc}).value == i
            assert b.run_query("things:all", {"table": f"t{i}"}).value == [i]
    finally:
        a.close()
        b.close()


def test_a_process_that_fell_behind_the_log_reads_the_catalog_again(pg_deployment, tmp_path):
    """Commits pruned from the log before B read them may have made tables: B must learn
    them, never give another table the same number."""
    from livebase.persistence.postgres import PostgresPersistence

    url, _ = pg_deployment
    app = schemaless_app(tmp_path)
    a = Runtime(app, tmp_path / "a", persistence=PostgresPersistence(url, log_retention=5))
    b = Runtime(app, tmp_path / "b", persistence=PostgresPersistence(url, log_retention=5))
    try:
        b._following.clear()  # b is paused while a goes far ahead
        b._follower.join()
        a.run_mutation("things:put", {"table": "x", "x": 1})
        for i in range(10):
            a.run_mutation("things:put", {"table": "x", "x": i + 2})
        b.db.catch_up()
        assert "x" in b.db.catalog.tables
        b.run_mutation("things:put", {"table": "y", "x": 100})
        assert b.db.catalog.table_number("y") != a.db.catalog.table_number("x")
        assert b.run_query("things:all", {"table": "y"}).value == [100]
        assert len(b.run_query("things:all", {"table": "x"}).value) == 11
        with Runtime(app, tmp_path / "c", db=url) as c:
            assert {"x", "y"} <= set(c.db.catalog.tables)
    finally:
        a.close()
        b.close()


def test_a_commit_waits_for_the_lock_and_a_failed_wait_leaves_the_writer_usable(
    pg_deployment, tmp_path
):
    """A role's lock_timeout (here in the URL's options) does not cut a commit's wait short;
    a wait that fails anyway (a statement cancelled) fails that mutation only."""
    url, _ = pg_deployment
    impatient = url + "&options=-c%20lock_timeout%3D100"
    a = Runtime(APPS / "notes", tmp_path / "a", db=url)
    b = Runtime(APPS / "notes", tmp_path / "b", db=impatient)
    try:

        def hold(seconds: float) -> threading.Thread:
            def run() -> None:
                with a.db.exclusive():
                    time.sleep(seconds)

            thread = threading.Thread(target=run)
            thread.start()
            time.sleep(0.1)
            return thread

        holder = hold(0.5)
        assert b.run_mutation("counters:increment", {"name": "x"}).value == 1  # waited
        holder.join()

        b.db.persistence._writer.execute("SET lock_timeout = 50")  # now a wait does fail
        holder = hold(0.4)
        with pytest.raises(Exception, match="lock timeout"):
            b.run_mutation("counters:increment", {"name": "x"})
        holder.join()
        assert b.run_mutation("counters:increment", {"name": "x"}).value == 2
        assert a.run_mutation("counters:increment", {"name": "x"}).value == 3
    finally:
        a.close()
        b.close()
