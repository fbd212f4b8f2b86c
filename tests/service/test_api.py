"""HTTP API behaviour with the real index and model."""

import json

import pytest

pytestmark = pytest.mark.slow
ADMIN = {"X-API-Key": "test-admin-key"}


def test_health_ready_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["chunks"] > 100
    assert "/v1/search" in client.get("/openapi.json").json()["paths"]


def test_search_returns_highlighted_clauses(client):
    body = client.post("/v1/search", json={"query": "农村老人的基础养老金今年涨多少？", "top_k": 5}).json()
    assert len(body["results"]) == 5 and body["confident"] is True and body["took_ms"] > 0
    top = body["results"][0]
    assert "基础养老金" in top["text"] and top["doc_number"] == "青政办〔2017〕13号"
    assert top["heading_path"][0] == top["doc_title"]
    marked = [top["text"][a:b] for a, b in top["highlights"]]
    assert any("养老金" in m for m in marked)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_search_modes_and_filters(client, mode):
    body = client.post(
        "/v1/search", json={"query": "牵头单位", "mode": mode, "filters": {"doc_number": "青政办〔2017〕15号"}}
    ).json()
    assert body["results"] and {r["doc_number"] for r in body["results"]} == {"青政办〔2017〕15号"}


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"query": "   "}, "must not be empty"),
        ({"query": "养老金" * 400}, "at most 1000"),
        ({"query": "养老金", "top_k": 0}, "top_k"),
        ({"query": "养老金", "top_k": 51}, "top_k"),
        ({"query": "养老金", "mode": "fuzzy"}, "mode"),
        ({"query": "养老金", "filters": {"color": "red"}}, "color"),
        ({"query": "养老金", "filters": {"date_from": "2017/01/01"}}, "YYYY-MM-DD"),
        ({}, "query"),
    ],
)
def test_bad_search_requests_get_422_with_a_message(client, payload, fragment):
    response = client.post("/v1/search", json=payload)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_malformed_json_is_a_422(client):
    response = client.post("/v1/search", content=b'{"query": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["detail"]


def test_ask_answers_with_a_faithful_citation(client):
    body = client.post("/v1/ask", json={"question": "农村老人每个月的基础养老金今年能涨多少钱？"}).json()
    assert body["answerable"] is True
    assert "15" in body["answer"] and "[1]" in body["answer"]
    first = body["citations"][0]
    assert first["n"] == 1 and first["quote"] in first["text"] and first["doc_number"] == "青政办〔2017〕13号"


def test_ask_says_plainly_when_the_corpus_does_not_answer(client):
    body = client.post("/v1/ask", json={"question": "2018年青海省的最低工资标准是多少？"}).json()
    assert body["answerable"] is False
    assert "未在已收录的文件中找到相关规定" in body["answer"]
    assert body["citations"], "the closest passages are still listed"


def test_ask_stream_sends_citations_then_deltas_then_done(client):
    with client.stream("POST", "/v1/ask/stream", json={"question": "众创空间到2020年要达到多少家？"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done" and set(names[1:-1]) == {"delta"}
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed == events[-1][1]["answer"] and "50家" in streamed


def test_documents_and_chunks(client):
    docs = client.get("/v1/documents").json()
    assert len(docs) == 7 and sum(d["n_chunks"] for d in docs) > 100
    doc = next(d for d in docs if d["doc_number"] == "青政办〔2017〕13号")
    detail = client.get(f"/v1/documents/{doc['doc_id']}").json()
    assert detail["text"] and len(detail["chunks"]) == doc["n_chunks"]
    middle = detail["chunks"][1]["chunk_id"]
    context = client.get(f"/v1/chunks/{middle}").json()
    assert context["chunk"]["chunk_id"] == middle
    assert context["previous"][0]["chunk_id"] == detail["chunks"][0]["chunk_id"]
    assert client.get("/v1/documents/nope").status_code == 404
    assert client.get("/v1/chunks/nope").status_code == 404


def test_metrics_count_requests_per_route(client):
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_request_id_is_echoed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc123"}).headers["X-Request-ID"] == "abc123"


def test_widget_and_demo_page_are_served(client):
    assert "<script" in client.get("/").text
    script = client.get("/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


NOTICE = (
    "青海省人民政府办公厅\n\n关于开展冬季供暖保障工作的通知\n\n青政办〔2018〕99号\n\n各市、自治州人民政府：\n\n"
    "一、保障对象\n\n城镇低收入家庭冬季取暖补贴每户每年1200元。\n\n青海省人民政府办公厅\n\n2018年11月1日\n"
)


def test_upload_requires_the_admin_key(writable_client):
    files = {"files": ("notice.txt", NOTICE.encode(), "text/plain")}
    assert writable_client.post("/v1/documents", files=files).status_code == 401
    assert writable_client.post("/v1/documents", files=files, headers={"X-API-Key": "wrong"}).status_code == 401


def test_upload_then_search_then_delete(writable_client):
    files = {"files": ("notice.txt", NOTICE.encode("gb18030"), "text/plain")}
    response = writable_client.post("/v1/documents", files=files, headers=ADMIN)
    assert response.status_code == 201, response.text
    added = response.json()["added"]
    assert added[0]["doc_number"] == "青政办〔2018〕99号"
    hits = writable_client.post("/v1/search", json={"query": "冬季取暖补贴每户每年多少"}).json()["results"]
    assert hits[0]["doc_number"] == "青政办〔2018〕99号"
    doc_id = added[0]["doc_id"]
    assert writable_client.delete(f"/v1/documents/{doc_id}", headers=ADMIN).status_code == 200
    hits = writable_client.post("/v1/search", json={"query": "冬季取暖补贴每户每年多少"}).json()["results"]
    assert all(h["doc_id"] != doc_id for h in hits)
    assert writable_client.delete(f"/v1/documents/{doc_id}", headers=ADMIN).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("virus.exe", b"MZ\x90\x00", 415),
        ("scan.doc", b"\xd0\xcf\x11\xe0", 415),
        ("empty.txt", b"", 422),
        ("binary.txt", bytes(range(256)) * 4, 422),
    ],
)
def test_bad_uploads_are_rejected_and_the_index_is_kept(writable_client, name, content, status):
    before = writable_client.get("/readyz").json()["chunks"]
    response = writable_client.post(
        "/v1/documents", files={"files": (name, content, "application/octet-stream")}, headers=ADMIN
    )
    assert response.status_code == status
    assert name in response.json()["detail"]
    assert writable_client.get("/readyz").json()["chunks"] == before


def test_oversized_upload_is_413(writable_client, test_settings):
    big = b"a" * (test_settings.max_upload_bytes + 1)
    response = writable_client.post("/v1/documents", files={"files": ("big.txt", big, "text/plain")}, headers=ADMIN)
    assert response.status_code == 413


def test_concurrent_requests_get_the_same_answers_as_sequential_ones(live_service):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    questions = ["农村低保一年人均能拿到多少？", "危险化学品企业黑名单在哪里公示", "众创空间到2020年要达到多少家",
                 "通用机场建设总的协调归谁管？"] * 4

    def top_ids(question: str) -> list[str]:
        response = httpx.post(f"{live_service}/v1/search", json={"query": question, "top_k": 3}, timeout=60)
        assert response.status_code == 200
        return [r["chunk_id"] for r in response.json()["results"]]

    sequential = [top_ids(q) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(top_ids, questions))
    assert parallel == sequential


def test_searches_are_served_while_an_upload_is_indexed(writable_client):
    import threading

    statuses: list[int] = []
    done = threading.Event()

    def keep_searching() -> None:
        while not done.is_set():
            statuses.append(writable_client.post("/v1/search", json={"query": "养老金"}).status_code)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        files = {"files": ("notice.txt", NOTICE.encode(), "text/plain")}
        assert writable_client.post("/v1/documents", files=files, headers=ADMIN).status_code == 201
    finally:
        done.set()
        searcher.join()
    assert statuses and set(statuses) == {200}
    hits = writable_client.post("/v1/search", json={"query": "冬季取暖补贴每户每年多少"}).json()["results"]
    assert hits[0]["doc_number"] == "青政办〔2018〕99号"
