"""What the dashboard's browser tests drive: a real ``python -m livebase serve`` of the notes
test app (tests/apps/notes), copied with two more modules, on a free loopback port, and called
over HTTP with the deployment's admin key.

The notes app has tables, indexes and many functions, but nothing that schedules a job, stores
a file or runs on a cron; the copy adds ``jobs.py`` (schedule a note, an upload URL) and
``crons.py`` (one daily job that never comes due during a test), so the Scheduled and Files
pages have something to show. The dashboard itself is built by ``scripts/build-web`` into
src/livebase/server/dashboard, which every livebase server serves at /_dashboard."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import APPS, ROOT
from tests.e2e.conftest import ServedProcess, free_port, source_env, start_process

DASHBOARD_BUILD = ROOT / "src" / "livebase" / "server" / "dashboard"

JOBS_MODULE = '''\
"""Added by the dashboard tests: scheduling and file storage for the notes app."""

from livebase import mutation, v


@mutation(args={"author": v.string(), "body": v.string(), "delay": v.number()})
async def schedule_note(ctx, author, body, delay):
    """Add a note ``delay`` ms from now (a pending job until then)."""
    return await ctx.scheduler.run_after(delay, "notes:addNote", {"author": author, "body": body})


@mutation
async def generate_upload_url(ctx):
    return await ctx.storage.generate_upload_url()


@mutation
async def tidy(ctx):
    """What the daily cron job runs."""
    return None
'''

CRONS_MODULE = """\
from livebase import cron_jobs

crons = cron_jobs()
crons.daily("nightly tidy", {"hourUTC": 3, "minuteUTC": 30}, "jobs:tidy")
"""


def dashboard_app(parent: Path) -> Path:
    """A copy of the notes test app under ``parent``, with ``jobs.py`` and ``crons.py``."""
    app = parent / "notes"
    shutil.copytree(APPS / "notes", app, ignore=shutil.ignore_patterns("__pycache__"))
    (app / "jobs.py").write_text(JOBS_MODULE)
    (app / "crons.py").write_text(CRONS_MODULE)
    return app


def admin_key(data_dir: Path) -> str:
    """The deployment's admin key, as ``livebase admin-key --data-dir`` prints it."""
    done = subprocess.run(
        [sys.executable, "-m", "livebase", "admin-key", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=source_env(),
    )
    return done.stdout.strip().splitlines()[-1].strip()


@dataclass
class Deployment(ServedProcess):
    """A running ``livebase serve`` of the dashboard's notes app, and its admin key."""

    admin_key: str = ""

    @property
    def dashboard(self) -> str:
        return f"{self.url}/_dashboard/"

    def run(self, path: str, args: dict[str, Any] | None = None, as_user: Any = None) -> Any:
        """Run any function (internal ones too) as the admin, or as the user of ``as_user``
        claims; its value, or AssertionError with the answer."""
        header = f"Convex {self.admin_key}"
        if as_user is not None:
            header += ":" + base64.b64encode(json.dumps(as_user).encode()).decode()
        response = httpx.post(
            f"{self.url}/api/function",
            json={"path": path, "args": args or {}, "format": "json"},
            headers={"Authorization": header},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        return body["value"]

    def upload(self, data: bytes, content_type: str) -> str:
        """Store a file the way an app's upload flow does; its storage ID."""
        url = self.run("jobs:generateUploadUrl")
        response = httpx.post(url, content=data, headers={"Content-Type": content_type})
        assert response.status_code == 200, response.text
        return str(response.json()["storageId"])


def start_deployment(parent: Path) -> Deployment:
    """Serve the dashboard's notes app on a fresh data directory under ``parent``."""
    app = dashboard_app(parent)
    data_dir = parent / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = parent / f"livebase-{port}.log"
    command = [sys.executable, "-m", "livebase", "serve", str(app), "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    env = {k: v for k, v in source_env().items() if k != "GREETING"}
    process = start_process(command, url, log, env=env, timeout=60)
    try:
        key = admin_key(data_dir)
    except BaseException:
        process.terminate()
        process.wait(10)
        raise
    return Deployment(url, process, log, admin_key=key)
