"""The S3-compatible server livebase's own tests keep file bytes in: moto's, run as a
process of its own (``python -m moto.server``) on a free loopback port.

``s3_server()`` starts one, with dummy credentials in this process's environment for the
boto3 clients the tests and livebase make; each test takes a fresh bucket of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port, stop_process

# why: boto3 reads credentials from the environment first; moto takes any, and these keep
# the tests from ever reaching for real ones (files under ~/.aws, instance metadata)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "livebase-test",
    "AWS_SECRET_ACCESS_KEY": "livebase-test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass
class S3Server:
    """moto's S3 at ``endpoint``."""

    endpoint: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client("s3", endpoint_url=self.endpoint)

    def new_bucket(self) -> str:
        name = f"lb-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def url(self, bucket: str, prefix: str = "") -> str:
        """A livebase storage URL for ``bucket`` (and ``prefix``) on this server."""
        return f"s3://{bucket}/{prefix}?endpoint={self.endpoint}&region=us-east-1"

    def keys(self, bucket: str) -> set[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return {item["Key"] for item in listed.get("Contents", [])}


@contextmanager
def s3_server(log: Path, timeout: float = 60) -> Iterator[S3Server]:
    """A moto S3 server for the block, credentials for it in ``os.environ``."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in CREDENTIALS.items():
            env.setenv(name, value)
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ},
            )
        try:
            _wait_until_it_answers(endpoint, process, log, timeout)
            yield S3Server(endpoint, process)
        finally:
            stop_process(process)


def _wait_until_it_answers(
    endpoint: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's server exited: {log.read_text(errors='replace')}")
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"moto's server did not start: {log.read_text(errors='replace')}")
