"""Follow-ups, answer ids, feedback, the admin read-outs, hit testing and the source view over HTTP."""

import re

import pytest
from fastapi.testclient import TestClient

from service.app import create_app

pytestmark = pytest.mark.slow
ADMIN = {"X-API-Key": "test-admin-key"}


def _ask(client, question, history=()):
    response = client.post("/v1/ask", json={"question": question, "history": list(history)})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_follow_up_is_completed_and_shown(client):
    first = _ask(client, "农村老人每个月的基础养老金今年能涨多少钱？")
    assert re.fullmatch(r"[0-9a-f]{32}", first["answer_id"]) and first["completed_question"] is None
    history = [{"question": first["question"], "chunk_ids": [c["chunk_id"] for c in first["citations"]],
                "answer": first["answer"]}]
    follow = _ask(client, "那高龄补贴呢？", history)
    assert "高龄补贴" in follow["completed_question"] and follow["completed_question"] != "那高龄补贴呢？"
    assert "20 元" in follow["answer"] or "20元" in follow["answer"]
    assert follow["citations"][0]["source_url"].startswith(f"/documents/{follow['citations'][0]['doc_id']}?chunk=")


def test_the_stream_carries_the_answer_id_and_completion(client):
    first = _ask(client, "城市低保月人均标准今年提高到多少？")
    history = [{"question": first["question"], "chunk_ids": [c["chunk_id"] for c in first["citations"]]}]
    with client.stream("POST", "/v1/ask/stream", json={"question": "农村的呢？", "history": history}) as response:
        body = "".join(response.iter_text())
    assert '"answer_id"' in body and "农村" in body and '"completed_question": "农村' in body


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"answer_id": "0" * 32},
        {"answer_id": "0" * 32, "rating": "meh"},
        {"answer_id": "not-an-id", "rating": "up"},
        {"answer_id": "0" * 32, "rating": "down", "comment": "x" * 2001},
        {"answer_id": "0" * 32, "rating": "down", "extra": 1},
    ],
)
def test_malformed_feedback_is_a_422(client, body):
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 422 and response.json()["detail"]


def test_feedback_on_an_unknown_answer_is_a_404(client):
    assert client.post("/v1/feedback", json={"answer_id": "f" * 32, "rating": "up"}).status_code == 404


def test_feedback_and_unanswered_reach_the_admin_and_survive_a_restart(test_settings, gazette_index, tmp_path):
    settings = test_settings.model_copy(update={"feedback_db": tmp_path / "fb.sqlite"})
    with TestClient(create_app(settings)) as client:
        answer = _ask(client, "农村低保一年人均能拿到多少？")
        posted = client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "down",
                                                   "reason": "答非所问", "comment": "<b>不对</b>"})
        assert posted.status_code == 201
        for question in ("2018年青海省的最低工资标准是多少？", "青海省2018年最低工资标准是多少？",
                         "2017年环青海湖国际公路自行车赛哪天开赛？"):
            assert _ask(client, question)["answerable"] is False
        assert client.get("/v1/admin/feedback").status_code in (401, 403)
    with TestClient(create_app(settings)) as client:  # a restart
        [item] = client.get("/v1/admin/feedback", params={"rating": "down"}, headers=ADMIN).json()
        expected = ("答非所问", "<b>不对</b>", "农村低保一年人均能拿到多少？")
        assert (item["reason"], item["comment"], item["question"]) == expected
        assert client.get("/v1/admin/feedback", params={"rating": "up"}, headers=ADMIN).json() == []
        groups = client.get("/v1/admin/unanswered", headers=ADMIN).json()
        assert groups[0]["question"].startswith("2017年环青海湖") and groups[0]["count"] == 1
        assert groups[1]["count"] == 2 and "最低工资" in groups[1]["question"]


def test_hit_testing_ranks_three_ways_and_reports_its_server_time(client):
    client.post("/v1/admin/hit-test", json={"query": "预热"}, headers=ADMIN)
    body = client.post("/v1/admin/hit-test", json={"query": "危化品企业搬迁谁牵头", "top_k": 5}, headers=ADMIN).json()
    assert set(body["modes"]) == {"bm25", "dense", "hybrid"}
    for hits in body["modes"].values():
        assert [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
        assert all(h["heading_path"] and isinstance(h["score"], float) for h in hits)
    # Its speed is a figure for the benchmark, not a test; the response reports the time it took.
    assert isinstance(body["server_ms"], float) and body["server_ms"] > 0
    assert client.post("/v1/admin/hit-test", json={"query": "x"}).status_code in (401, 403)


def test_source_view_page(client):
    docs = client.get("/v1/documents").json()
    doc = next(d for d in docs if d["doc_number"] == "青政办〔2017〕13号")
    chunk = client.get(f"/v1/documents/{doc['doc_id']}").json()["chunks"][5]
    page = client.get(f"/documents/{doc['doc_id']}", params={"chunk": chunk["chunk_id"], "q": chunk["text"][:20]})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'id="chunk-{chunk["chunk_id"]}"' in page.text and '<mark class="quote"' in page.text
    assert doc["title"] in page.text and "青政办〔2017〕13号" in page.text
    missing = client.get("/documents/%3Cscript%3E")
    assert missing.status_code == 404 and "<script>" not in missing.text


def test_admin_document_list_and_access_in_the_source_view(writable_client):
    docs = writable_client.get("/v1/admin/documents", headers=ADMIN).json()
    doc = next(d for d in docs if d["doc_number"] == "青政办〔2017〕15号")
    assert writable_client.get(f"/documents/{doc['doc_id']}").status_code == 200
    patched = writable_client.patch(f"/v1/documents/{doc['doc_id']}", json={"visibility": ["省安监局"]}, headers=ADMIN)
    assert patched.status_code == 200, patched.text
    assert writable_client.get(f"/documents/{doc['doc_id']}").status_code == 404  # anonymous: not readable
    listed = {d["doc_id"]: d for d in writable_client.get("/v1/admin/documents", headers=ADMIN).json()}
    assert listed[doc["doc_id"]]["visibility"] == ["省安监局"]
    assert doc["doc_id"] not in {d["doc_id"] for d in writable_client.get("/v1/documents").json()}
    assert writable_client.get("/v1/admin/documents").status_code in (401, 403)
