"""One chat-completions stand-in for the module's tests, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.modelclient.chat_standin import ChatStandIn, run_standin


@pytest.fixture(scope="module")
def module_standin() -> Iterator[ChatStandIn]:
    with run_standin(slow_seconds=2.0) as standin:
        yield standin


@pytest.fixture
def standin(module_standin: ChatStandIn) -> ChatStandIn:
    module_standin.clear()
    return module_standin
