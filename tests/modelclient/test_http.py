"""``post_json``, the HTTP step under every model call, against the local chat stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from modelclient import ModelError, post_json, service_at
from tests.e2e.conftest import free_port
from tests.modelclient.chat_standin import KEY, ChatStandIn

BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
BEARER = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def post(standin: ChatStandIn, http: httpx.Client, **options: Any) -> ModelError:
    with pytest.raises(ModelError) as caught:
        post_json(http, f"{standin.url}/chat/completions", BODY, **options)
    return caught.value


def test_the_answer_comes_back_decoded(standin: ChatStandIn, http: httpx.Client) -> None:
    data = post_json(http, f"{standin.url}/chat/completions", BODY, headers=BEARER)
    assert data["choices"][0]["message"]["content"] == "echo: hi"
    assert standin.last.body == BODY


def test_the_service_is_named_by_host_and_port() -> None:
    assert service_at("http://127.0.0.1:8080/v1") == "127.0.0.1:8080"
    assert service_at("https://api.openai.com/v1") == "api.openai.com"


def test_a_403_is_an_auth_error(standin: ChatStandIn, http: httpx.Client) -> None:
    standin.mode = "forbidden"
    error = post(standin, http, headers=BEARER)
    assert (error.kind, error.status) == ("auth", 403)
    assert "not allowed" not in str(error)  # a refused key's answer is never quoted


def test_a_400_that_says_the_key_is_not_valid_is_an_auth_error_when_the_caller_says_so(
    standin: ChatStandIn, http: httpx.Client
) -> None:
    standin.mode = "key_not_valid"
    error = post(standin, http, headers=BEARER, key_refused=lambda r: "API key not valid" in r.text)
    assert (error.kind, error.status) == ("auth", 400)
    assert "refused the API key (HTTP 400)" in str(error)
    plain = post(standin, http, headers=BEARER)
    assert (plain.kind, plain.status) == ("request", 400)


def test_another_4xx_is_a_request_error_quoting_the_reason_without_the_key(
    standin: ChatStandIn, http: httpx.Client
) -> None:
    standin.mode = "bad_request"
    error = post(standin, http, headers=BEARER, secret=KEY)
    assert (error.kind, error.status) == ("request", 400)
    assert str(error).endswith(
        "rejected the request (HTTP 400): The model `gpt-test` does not exist for key ***."
    )


def test_a_key_across_the_cut_of_a_long_reason_is_scrubbed_whole(
    standin: ChatStandIn, http: httpx.Client
) -> None:
    standin.mode = "long_bad_request"
    error = post(standin, http, headers=BEARER, secret=KEY)
    assert str(error).endswith("x" * 190 + " ***")
    assert KEY[:8] not in str(error)


def test_the_timeout_in_the_message_is_the_client_s(
    standin: ChatStandIn, http: httpx.Client
) -> None:
    standin.mode = "slow"
    error = post(standin, http, headers=BEARER)
    assert (error.kind, error.status) == ("timeout", None)
    assert str(error) == (
        f"the language model at {service_at(standin.url)} did not answer within 0.25 s"
    )


def test_an_unreachable_service_is_a_network_error_naming_the_exception(
    http: httpx.Client,
) -> None:
    with pytest.raises(ModelError) as caught:
        post_json(http, f"http://127.0.0.1:{free_port()}/v1/chat/completions", BODY)
    assert caught.value.kind == "network"
    assert str(caught.value).endswith("(ConnectError)")


def test_the_key_is_in_no_error_when_every_kind_of_failure_quotes_it_back(
    standin: ChatStandIn, http: httpx.Client
) -> None:
    messages = []
    for mode in ("bad_request", "long_bad_request", "forbidden", "failing", "garbled", "slow"):
        standin.mode = mode
        error = post(standin, http, headers=BEARER, secret=KEY)
        messages += [str(error), repr(error)]
    wrong = post(standin, http, headers={"Authorization": "Bearer sk-wrong-1234567890"})
    messages += [str(wrong), repr(wrong)]
    assert all(KEY not in m and "sk-wrong-1234567890" not in m for m in messages)
