"""The shared chat-completions client against a local stand-in of the API: real HTTP, no mocks."""

from __future__ import annotations

import logging

import httpx
import pytest

from modelclient import ChatClient, ChatReply, ModelError
from tests.e2e.conftest import free_port
from tests.modelclient.chat_standin import KEY, ChatStandIn

HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}]


def chat(standin: ChatStandIn, key: str | None = KEY, timeout: float = 5.0) -> ChatClient:
    return ChatClient(standin.url, key, "gpt-test", timeout=timeout)


def failure(client: ChatClient) -> ModelError:
    with pytest.raises(ModelError) as caught:
        client.complete(HELLO)
    return caught.value


# --- the request ---------------------------------------------------------------------------


def test_the_request_is_a_chat_completion_with_the_key_in_the_bearer_header_only(
    standin: ChatStandIn,
) -> None:
    chat(standin).complete(HELLO)
    [recorded] = standin.requests
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in recorded.url and KEY not in recorded.text
    assert recorded.body == {"model": "gpt-test", "messages": HELLO, "temperature": 0}


def test_the_temperature_can_be_chosen(standin: ChatStandIn) -> None:
    chat(standin).complete(HELLO, temperature=0.7)
    assert standin.last.body["temperature"] == 0.7


def test_without_a_key_no_authorization_header_is_sent(standin: ChatStandIn) -> None:
    error = failure(chat(standin, key=None))
    assert "authorization" not in standin.last.headers
    assert (error.kind, error.status) == ("auth", 401)


def test_the_endpoint_is_the_base_url_without_its_trailing_slash_plus_chat_completions() -> None:
    client = ChatClient("http://127.0.0.1:9/v1/", KEY, "m")
    assert client.base_url == "http://127.0.0.1:9/v1"
    assert client.endpoint == "http://127.0.0.1:9/v1/chat/completions"


def test_calls_may_share_one_http_client_and_its_timeout(standin: ChatStandIn) -> None:
    client = chat(standin, timeout=30.0)
    with httpx.Client(timeout=0.3) as http:
        assert client.complete(HELLO, client=http).text == "echo: hello"
        standin.mode = "slow"
        with pytest.raises(ModelError, match=r"did not answer within 0.3 s"):
            client.complete(HELLO, client=http)
    assert len(standin.requests) == 2


# --- the answer ----------------------------------------------------------------------------


def test_the_reply_is_the_first_choice_s_text(standin: ChatStandIn) -> None:
    assert chat(standin).complete(HELLO) == ChatReply("echo: hello")


def test_a_refusal_comes_back_as_the_reply_s_refusal(standin: ChatStandIn) -> None:
    standin.mode = "refusal"
    assert chat(standin).complete(HELLO) == ChatReply("", "I can't help with that.")


@pytest.mark.parametrize("mode", ["empty", "shapeless"])
def test_an_answer_without_text_or_refusal_is_a_bad_response(
    mode: str, standin: ChatStandIn
) -> None:
    standin.mode = mode
    error = failure(chat(standin))
    assert error.kind == "bad_response"
    assert "sent an answer without choices[0].message.content" in str(error)


def test_an_answer_that_is_not_json_is_a_bad_response(standin: ChatStandIn) -> None:
    standin.mode = "garbled"
    error = failure(chat(standin))
    assert (error.kind, error.status) == ("bad_response", 200)
    assert "sent an answer that is not JSON" in str(error)


# --- errors --------------------------------------------------------------------------------


def test_a_refused_key_is_an_auth_error(standin: ChatStandIn) -> None:
    error = failure(chat(standin, key="sk-wrong-secret-0123456789"))
    assert (error.kind, error.status) == ("auth", 401)
    where = standin.url.removeprefix("http://").removesuffix("/v1")
    assert str(error) == f"the language model service at {where} refused the API key (HTTP 401)"


def test_rate_limiting_is_a_rate_limit_error(standin: ChatStandIn) -> None:
    standin.mode = "rate_limited"
    error = failure(chat(standin))
    assert (error.kind, error.status) == ("rate_limit", 429)
    assert "is rate limiting requests (HTTP 429); try again later" in str(error)


def test_a_failing_service_is_a_server_error(standin: ChatStandIn) -> None:
    standin.mode = "failing"
    error = failure(chat(standin))
    assert (error.kind, error.status) == ("server", 500)
    assert "failed (HTTP 500)" in str(error)


def test_a_slow_model_is_a_timeout(standin: ChatStandIn) -> None:
    standin.mode = "slow"
    error = failure(chat(standin, timeout=0.3))
    assert (error.kind, error.status) == ("timeout", None)
    assert "did not answer within 0.3 s" in str(error)


def test_a_model_that_is_down_is_a_network_error() -> None:
    down = ChatClient(f"http://127.0.0.1:{free_port()}/v1", KEY, "gpt-test", timeout=2)
    error = failure(down)
    assert (error.kind, error.status) == ("network", None)
    assert "could not reach the language model at 127.0.0.1:" in str(error)


@pytest.mark.parametrize(
    "mode",
    ["forbidden", "rate_limited", "failing", "bad_request", "garbled", "shapeless", "slow"],
)
def test_the_key_is_in_no_error_no_repr_and_no_log(
    mode: str, standin: ChatStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    standin.mode = mode
    client = chat(standin, timeout=0.3)
    error = failure(client)
    assert caplog.records, "httpx logs its requests: the test must see them"
    for text in (str(error), repr(error), repr(client), caplog.text):
        assert KEY not in text


def test_a_wrong_key_echoed_by_the_service_is_in_no_error_and_no_repr(
    standin: ChatStandIn,
) -> None:
    wrong = "sk-wrong-secret-0123456789"
    echoed = httpx.post(f"{standin.url}/chat/completions", headers={"Authorization": wrong})
    assert wrong in echoed.text  # what the client must not pass on
    client = chat(standin, key=wrong)
    error = failure(client)
    for text in (str(error), repr(error), repr(client)):
        assert wrong not in text
