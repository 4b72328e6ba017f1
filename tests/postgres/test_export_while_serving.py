"""An export copies its snapshot's files while every process goes on committing: a hold in
the database keeps the bytes of a file deleted meanwhile until the copy is done."""

from __future__ import annotations

import hashlib
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

from livebase import Runtime
from livebase.services import backup
from livebase.services.backup import export_zip
from tests.postgres.test_many_runtimes import wait_until
from tests.services.test_backup import APP, seed


def test_commits_go_on_and_a_file_deleted_meanwhile_is_exported_whole(
    deployment, tmp_path, monkeypatch
):
    url, data = deployment
    a = Runtime(APP, data, db=url, shared=True)  # exports
    b = Runtime(APP, data, db=url, shared=True)  # another server process of the deployment
    for rt in (a, b):
        rt.storage.grace = 0.0  # no upload in flight anywhere: only the hold keeps bytes
    try:
        seeded = seed(a)
        (image_id, (image, _)), (note_id, (note, _)) = seeded["files"].items()
        note_sha = hashlib.sha256(note).hexdigest()
        copying = threading.Event()
        copy = backup._copy_blob

        def slow_copy(*args: Any) -> None:
            copying.set()
            time.sleep(0.75)  # a large file from a remote store
            copy(*args)

        monkeypatch.setattr(backup, "_copy_blob", slow_copy)
        done: list[Any] = []
        exporter = threading.Thread(
            target=lambda: done.append(export_zip(a, tmp_path / "backup.zip"))
        )
        exporter.start()
        assert copying.wait(30)

        # meanwhile, through the other process: a commit, and the note's file deleted
        started = time.monotonic()
        b.run_mutation("events:tick", {})
        b.transact(lambda txn: b.storage.delete(txn, note_id))
        committed_in = time.monotonic() - started
        assert exporter.is_alive() and committed_in < 1.0  # not held off by the export (1.5 s)
        assert b.storage.blob_store.exists(note_sha)  # kept for the export

        exporter.join(60)
        (summary,) = done
        assert summary.files == 2
        with zipfile.ZipFile(tmp_path / "backup.zip") as zf:
            names = zf.namelist()
            (note_entry,) = [n for n in names if n.startswith(f"_storage/{note_id}")]
            (image_entry,) = [n for n in names if n.startswith(f"_storage/{image_id}")]
            assert zf.read(note_entry) == note and zf.read(image_entry) == image
        # the snapshot's ticks: the one committed during the export is not in it
        assert summary.tables["events"] == 3

        # the hold is gone: the deleted file's bytes are collected now
        wait_until(lambda: b.storage.collect(note_sha) or not b.storage.blob_store.exists(note_sha))
        assert not b.storage.blob_store.exists(note_sha)
        assert a.storage.blob_store.exists(hashlib.sha256(image).hexdigest())
    finally:
        a.close()
        b.close()


def test_a_deleted_files_bytes_wait_while_a_hold_lasts_and_go_after(deployment):
    url, data = deployment
    rt = Runtime(APP, Path(data), db=url, shared=True)
    rt.storage.grace = 0.0  # no upload in flight anywhere: only the hold keeps bytes
    try:
        file_id = rt.storage.store_bytes(b"bytes to keep", "text/plain")
        sha = hashlib.sha256(b"bytes to keep").hexdigest()
        with rt.storage.hold():
            rt.transact(lambda txn: rt.storage.delete(txn, file_id))
            assert rt.storage.blob_store.exists(sha)
            assert rt.storage.collect(sha) is False
        assert rt.storage.collect(sha) is True
        assert not rt.storage.blob_store.exists(sha)
    finally:
        rt.close()
