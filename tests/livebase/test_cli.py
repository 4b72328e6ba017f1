"""The ``livebase run`` command, as a user types it."""

import json
import os
import subprocess
import sys

from tests.conftest import APPS, ROOT


def livebase(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "livebase", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )


def test_run_prints_the_result_as_json_and_keeps_data_in_dot_livebase(tmp_path):
    app = str(APPS / "notes")
    added = livebase("run", app, "notes:addNote", '{"author": "ann", "body": "hi"}', cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    note_id = json.loads(added.stdout)
    assert (tmp_path / ".livebase" / "db.sqlite3").exists()
    listed = livebase("run", app, "notes:byAuthor", '{"author": "ann"}', cwd=tmp_path)
    assert [d["_id"] for d in json.loads(listed.stdout)] == [note_id]


def test_run_takes_a_dotted_module_name_and_a_data_dir(tmp_path):
    env_app = subprocess.run(
        [
            sys.executable,
            "-m",
            "livebase",
            "run",
            "notes",
            "counters:increment",
            '{"name": "c"}',
            "--data-dir",
            str(tmp_path / "d"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(APPS)])},
    )
    assert env_app.returncode == 0, env_app.stderr
    assert json.loads(env_app.stdout) == 1


def test_run_fails_with_the_error_and_writes_nothing(tmp_path):
    app = str(APPS / "notes")
    bad = livebase("run", app, "notes:addNote", '{"author": 1, "body": "x"}', cwd=tmp_path)
    assert bad.returncode == 1
    assert ".author" in bad.stderr and "Traceback" not in bad.stderr
    raised = livebase("run", app, "notes:addThenFail", '{"author": "z"}', cwd=tmp_path)
    assert raised.returncode == 1 and '"code": "nope"' in raised.stderr
    missing = livebase("run", app, "notes:nothing", cwd=tmp_path)
    assert missing.returncode == 1 and "Could not find public function" in missing.stderr
    not_json = livebase("run", app, "notes:listAll", "{oops", cwd=tmp_path)
    assert not_json.returncode != 0 and "not valid JSON" in not_json.stderr
    listed = livebase("run", app, "notes:listAll", cwd=tmp_path)
    assert json.loads(listed.stdout) == []


def test_run_can_act_as_a_user_and_reach_internal_functions(tmp_path):
    app = str(APPS / "notes")
    who = livebase(
        "run", app, "notes:whoAmI", "{}", "--identity", '{"subject": "u1"}', cwd=tmp_path
    )
    assert json.loads(who.stdout)["tokenIdentifier"] == "livebase|u1"
    secret = livebase("run", app, "notes:secret", cwd=tmp_path)
    assert json.loads(secret.stdout) == "internal"
