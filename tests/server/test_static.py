"""A built web app served beside the API: files, client-side routes, and the API untouched."""

from __future__ import annotations

import httpx
import pytest

from livebase import Runtime
from livebase.engine.errors import LivebaseError
from livebase.server import create_app
from tests.conftest import APPS


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>app</title><div id=root></div>")
    (root / "assets" / "app.js").write_text("console.log('hi')")
    return root


def test_files_routes_and_api_share_one_port(make_server, site):
    srv = make_server(static_dir=site)
    with httpx.Client(base_url=srv.url) as http:
        index = http.get("/")
        assert index.status_code == 200 and "<title>app</title>" in index.text
        script = http.get("/assets/app.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        # a client-side route loads the app on refresh
        route = http.get("/sessions/abc123")
        assert route.status_code == 200 and "<title>app</title>" in route.text
        # a route parameter with a dot is still a route
        dotted = http.get("/sessions/pc1.morning")
        assert dotted.status_code == 200 and "<title>app</title>" in dotted.text
        # a missing asset is a real 404, not the page
        assert http.get("/assets/missing.js").status_code == 404
        # the API still answers under the same origin
        version = http.get("/version")
        assert version.status_code == 200
        assert http.post("/api/query", json={"path": "notes:list", "args": {}}).status_code == 200
        # no escaping the directory
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fsecret"):
            leaked = http.get(path)
            assert ("root:" not in leaked.text and "<title>app</title>" in leaked.text) or (
                leaked.status_code == 404
            )


def test_a_directory_without_index_is_refused(tmp_path):
    runtime = Runtime(APPS / "notes", tmp_path / "data")
    try:
        with pytest.raises(LivebaseError, match=r"index\.html"):
            create_app(runtime, static_dir=tmp_path)
    finally:
        runtime.close()
