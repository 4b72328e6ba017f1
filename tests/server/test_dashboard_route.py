"""The dashboard's address on every server, also beside an app's own web app at /."""

from __future__ import annotations

import httpx

from livebase.server.app import DASHBOARD


def test_the_dashboard_address_without_its_slash_leads_to_it(make_server, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<title>the app</title>")
    srv = make_server(static_dir=site)
    answer = httpx.get(f"{srv.url}/_dashboard", follow_redirects=False, timeout=10)
    assert answer.status_code in (302, 307) and answer.headers["location"] == "/_dashboard/"
    page = httpx.get(f"{srv.url}/_dashboard/", timeout=10)
    if (DASHBOARD / "index.html").is_file():
        assert "livebase dashboard" in page.text
    else:
        assert page.status_code == 404 and "make web" in page.text
    assert "the app" in httpx.get(f"{srv.url}/somewhere", timeout=10).text
