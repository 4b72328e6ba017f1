"""The README's example app and test run as written."""

import re

from livebase.testing import AppTester
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_demo_and_test_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    assert "make demo" in first_block.group(1) and "make test" in first_block.group(1)


def test_readme_code_matches_the_example_app():
    for name in ("schema.py", "tasks.py"):
        source = (ROOT / "examples" / "tasks" / name).read_text()
        for line in source.splitlines():
            if line.startswith(("@", "async def", "    return await", "schema = ")):
                assert line in README, line


def test_the_readme_test_example_passes(tmp_path):
    with AppTester(ROOT / "examples" / "tasks", tmp_path) as t:
        task_id = t.mutation("tasks:addTask", {"text": "write docs"})
        assert t.query("tasks:listTasks", {"done": False})[0]["_id"] == task_id
        t.mutation("tasks:complete", {"id": task_id})
        assert t.query("tasks:listTasks", {"done": False}) == []
        assert len(t.query("tasks:listTasks", {})) == 1


def test_the_readme_search_example_runs(tmp_path):
    section = README.split("## Full-text search", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n# (\w+\.py)\n(.*?)```", section, re.S)
    assert [name for name, _ in blocks] == ["schema.py", "messages.py"]
    app = tmp_path / "readme_search_app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    for name, source in blocks:
        (app / name).write_text(source)
    with AppTester(app, tmp_path / "data") as t:
        t.mutation("messages:send", {"body": "Exported the invoice", "channel": "#ops"})
        t.mutation("messages:send", {"body": "invoice lunch", "channel": "#fun"})
        (found,) = t.query("messages:search", {"text": "invoice exp", "channel": "#ops"})
        assert found["body"] == "Exported the invoice"
        assert found["marked"]["matches"] == [[0, 8], [13, 20]]
