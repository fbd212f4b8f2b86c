"""The attacker's test: nothing of a restricted document reaches a caller outside its groups.

One gazette document (民生十件实事, 青政办〔2017〕13号) is readable by group ``hr`` only. An
outsider (no token, or a token for ``finance``) sends 2,000+ generated queries built from that
document itself — its exact title, its 文号, every sentence, rare phrases and random pieces of
its clauses, and mixes with public words — to search (bm25 mostly, some hybrid), ask and the
stream, and reads the document, chunk, source-view and listing routes with its ids. No
response may contain any 8-character run of a restricted chunk that does not also occur in a
public document or in the query the caller typed. Run on every backend (``BACKENDS``).
"""

from __future__ import annotations

import copy
import random
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from indexer.backends.factory import new_backend
from service.app import create_app

pytestmark = pytest.mark.slow

WINDOW = 8
N_QUERIES = 2000
RESTRICTED = "青政办〔2017〕13号"
PUBLIC = ("青政人〔2017〕7号", "青政办〔2017〕10号", "青政办〔2017〕15号")
SECRET = "leak-test-secret-0123456789-abcdefghij"
BACKENDS = ["local", "milvus"]


def _grams(text: str) -> set[str]:
    return {text[i:i + WINDOW] for i in range(len(text) - WINDOW + 1)}


@pytest.fixture(scope="module", params=BACKENDS)
def attacked(request, tmp_path_factory, test_settings, onnx_encoder, gazette_ingest):
    """(client, restricted document, its chunks, forbidden 8-grams) on one backend."""
    folder = tmp_path_factory.mktemp(f"leak-{request.param}")
    settings = test_settings.model_copy(update={
        "index_backend": request.param, "index_dir": folder / "index", "milvus_uri": str(folder / "milvus.db"),
        "milvus_refresh_s": 0.0, "access_token_secret": SECRET,
    })
    docs = [copy.deepcopy(d) for d in gazette_ingest.documents if d.doc_number in (RESTRICTED, *PUBLIC)]
    secret_doc = next(d for d in docs if d.doc_number == RESTRICTED)
    secret_doc.visibility = ["hr"]
    ids = {d.doc_id for d in docs}
    chunks = [c for c in gazette_ingest.chunks if c.doc_id in ids]
    new_backend(settings, encoder=onnx_encoder).build(docs, chunks)
    secret_chunks = [c for c in chunks if c.doc_id == secret_doc.doc_id]
    public_grams = set().union(*(_grams(d.text + d.title + d.doc_number) for d in docs if d is not secret_doc))
    forbidden = set().union(*(_grams(c.text) for c in secret_chunks)) | _grams(secret_doc.title)
    forbidden -= public_grams
    with TestClient(create_app(settings)) as client:
        yield client, secret_doc, secret_chunks, forbidden


def _queries(doc, chunks, rng: random.Random) -> list[str]:
    sentences = [s for c in chunks for s in c.text.replace("\n", "。").split("。") if len(s) >= 6]
    texts = [c.text for c in chunks]
    fixed = [doc.title, doc.doc_number, f"{doc.doc_number}是什么文件", f"{doc.title}的主要内容", "民生十件实事",
             "2017年民生十件实事有哪些？", "民生十件实事的通知是哪天发的？", "青政办〔2017〕13号的文号是什么"]
    fixed += [" > ".join(c.heading_path[1:]) for c in chunks if len(c.heading_path) > 1]
    queries = fixed + sentences[:400]
    public_words = ["财政支出", "免职", "危险化学品", "预算", "通知", "资金", "省政府"]
    while len(queries) < N_QUERIES:
        text = rng.choice(texts)
        size = rng.randint(4, 24)
        start = rng.randrange(max(1, len(text) - size))
        piece = text[start:start + size].strip()
        if rng.random() < 0.3:
            piece = f"{rng.choice(public_words)}{piece}{rng.choice(['是多少？', '由谁牵头？', '什么时候完成？', ''])}"
        if piece:
            queries.append(piece)
    return queries[:max(N_QUERIES, len(fixed))]


def _leaks(body: str, query: str, forbidden: set[str]) -> set[str]:
    return (_grams(body) & forbidden) - _grams(query)


def test_an_outsider_never_sees_a_restricted_substring(attacked):
    client, doc, chunks, forbidden = attacked
    assert len(forbidden) > 3000, "the restricted document must have plenty of its own text"
    rng = random.Random(13)
    queries = _queries(doc, chunks, rng)
    assert len(queries) >= N_QUERIES
    # The control: the same queries from a member of ``hr`` do reach the text (so the test can fail).
    member = {"Authorization": "Bearer " + jwt.encode(
        {"sub": "hr-1", "groups": ["hr"], "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")}
    reached = sum(bool(_leaks(client.post("/v1/search", json={"query": q, "mode": "bm25"}, headers=member).text,
                              q, forbidden)) for q in queries[:200])
    assert reached >= 150, reached
    outsider = {"Authorization": "Bearer " + jwt.encode(
        {"sub": "mallory", "groups": ["finance"], "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")}
    leaked: list[tuple[str, str, set[str]]] = []
    for i, query in enumerate(queries):
        headers = outsider if i % 2 else {}
        if i % 40 == 0:
            response = client.post("/v1/ask", json={"question": query}, headers=headers)
        elif i % 40 == 20:
            response = client.post("/v1/ask/stream", json={"question": query}, headers=headers)
        else:
            mode = "hybrid" if i % 10 == 5 else "bm25"
            response = client.post("/v1/search", json={"query": query, "top_k": 20, "mode": mode}, headers=headers)
        assert response.status_code == 200, response.text
        found = _leaks(response.text, query, forbidden)
        assert not found, f"{response.request.url.path} leaked {sorted(found)[:3]} for {query!r}"  # stop at the first
    for headers in ({}, outsider):
        reads = [client.get("/v1/documents", headers=headers),
                 client.get(f"/v1/documents/{doc.doc_id}", headers=headers),
                 client.get(f"/documents/{doc.doc_id}", headers=headers)]
        reads += [client.get(f"/v1/chunks/{c.chunk_id}", headers=headers) for c in chunks]
        assert all(r.status_code == 404 for r in reads[1:])
        leaked += [("", r.request.url.path, found) for r in reads if (found := _leaks(r.text, "", forbidden))]
    assert leaked == [], f"{len(leaked)} responses leaked, first: {leaked[:3]}"
