"""A request analyses its question once: one tokenization, at most one encoding, none in bm25 mode."""

import pytest

from indexer.text.tokenizer import ChineseTokenizer

pytestmark = pytest.mark.slow
QUESTION = "农村老人的基础养老金今年涨多少？"


@pytest.fixture()
def counted(monkeypatch, gazette_index):
    calls = {"tokenize": 0, "encode": 0}
    original_call = ChineseTokenizer.__call__
    encoder_class = type(gazette_index.encoder)  # the app loads its own instance of the same class
    original_encode = encoder_class.encode_queries

    def tokenize(self, text):
        calls["tokenize"] += text == QUESTION
        return original_call(self, text)

    def encode(self, texts, *args, **kwargs):
        calls["encode"] += sum(t == QUESTION for t in texts)
        return original_encode(self, texts, *args, **kwargs)

    monkeypatch.setattr(ChineseTokenizer, "__call__", tokenize)
    monkeypatch.setattr(encoder_class, "encode_queries", encode)
    return calls


@pytest.mark.parametrize(("route", "body"), [
    ("/v1/ask", {"question": QUESTION}),
    ("/v1/ask/stream", {"question": QUESTION}),
    ("/v1/search", {"query": QUESTION, "mode": "hybrid"}),
    ("/v1/search", {"query": QUESTION, "mode": "dense"}),
])
def test_one_tokenization_and_one_encoding_per_request(client, counted, route, body):
    assert client.post(route, json=body).status_code == 200
    assert counted == {"tokenize": 1, "encode": 1}


def test_bm25_mode_never_runs_the_encoder(client, counted):
    body = client.post("/v1/search", json={"query": QUESTION, "mode": "bm25"}).json()
    assert body["results"] and counted == {"tokenize": 1, "encode": 0}


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/ask/stream"])
def test_answers_encode_no_sentences_at_request_time(client, monkeypatch, gazette_index, route):
    encoder_class = type(gazette_index.encoder)
    original = encoder_class.encode_passages
    encoded: list[str] = []

    def encode(self, texts, *args, **kwargs):
        encoded.extend(texts)
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(encoder_class, "encode_passages", encode)
    for question in (QUESTION, "危险化学品企业黑名单在哪里公示", "众创空间到2020年要达到多少家"):
        response = client.post(route, json={"question": question})
        assert response.status_code == 200 and "[1]" in response.text
    assert encoded == [], encoded
