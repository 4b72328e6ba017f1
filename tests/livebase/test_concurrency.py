"""Concurrent mutations: serializable, none lost."""

import threading

from livebase import Runtime
from tests.conftest import APPS


def test_eight_threads_of_200_increments_end_at_1600(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        errors = []

        def work():
            try:
                for _ in range(200):
                    runtime.run_mutation("counters:increment", {"name": "hits"})
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert runtime.run_query("counters:get", {"name": "hits"}).value == 1600


def test_a_conflicting_mutation_is_rerun(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        runtime.run_mutation("counters:increment", {"name": "c"})
        # a transaction that read the counter, then a concurrent commit changes it
        stale = runtime.db.begin(writable=True)
        from livebase.runtime.context import MutationCtx
        from livebase.runtime.core import run_to_completion

        fn = runtime.function("counters:increment", "mutation")
        run_to_completion(fn.handler(MutationCtx(stale, None), name="c"), fn.path)
        runtime.run_mutation("counters:increment", {"name": "c"})
        import pytest

        from livebase import OccConflictError

        with pytest.raises(OccConflictError):
            runtime.db.commit(stale)
        stale.close()
        assert runtime.run_query("counters:get", {"name": "c"}).value == 2
        # through the runtime the loser is simply re-run
        result = runtime.run_mutation("counters:increment", {"name": "c"})
        assert result.value == 3


def test_disjoint_mutations_do_not_conflict(tmp_path):
    with Runtime(APPS / "notes", tmp_path) as runtime:
        runtime.run_mutation("counters:increment", {"name": "a"})
        runtime.run_mutation("counters:increment", {"name": "b"})
        txn = runtime.db.begin(writable=True)
        from livebase.runtime.context import MutationCtx
        from livebase.runtime.core import run_to_completion

        fn = runtime.function("counters:increment", "mutation")
        run_to_completion(fn.handler(MutationCtx(txn, None), name="a"), fn.path)
        runtime.run_mutation("counters:increment", {"name": "b"})
        runtime.db.commit(txn)  # no conflict: it never read counter b
        txn.close()
        assert runtime.run_query("counters:get", {"name": "a"}).value == 2
