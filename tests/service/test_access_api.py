"""Access control over HTTP: tokens, 401s, 404s for unreadable ids, visibility on upload and by PATCH."""

import time

import jwt
import pytest
from fastapi.testclient import TestClient

from service.app import create_app

pytestmark = pytest.mark.slow
SECRET = "test-secret-0123456789-abcdefghijklmnop"
ADMIN = {"X-API-Key": "test-admin-key"}
HR_DOC = "doc-2017-13-4dbd48"  # 民生十件实事, made HR-only below
PHRASE = "建立计划生育特殊家庭住院陪护保险制度"


def token(groups, exp_in=3600, secret=SECRET, **extra) -> dict:
    claims = {"sub": "u1", "groups": groups, "exp": int(time.time()) + exp_in, **extra}
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


@pytest.fixture(scope="module")
def hr_client(tmp_path_factory, test_settings, gazette_index):
    from indexer.backends.local import LocalIndex

    settings = test_settings.model_copy(update={
        "index_dir": tmp_path_factory.mktemp("access") / "idx", "access_token_secret": SECRET,
        "access_groups_header": "X-Remote-Groups", "trusted_proxies": ["10.9.9.9"],
    })
    private = LocalIndex(settings.index_dir, settings, gazette_index.encoder)
    private.build(list(gazette_index.documents.values()), list(gazette_index.chunks))
    with TestClient(create_app(settings)) as client:
        patched = client.patch(f"/v1/documents/{HR_DOC}", json={"visibility": ["hr"]}, headers=ADMIN)
        assert patched.status_code == 200 and patched.json()["visibility"] == ["hr"]
        yield client


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (token(["hr"], exp_in=-10), "expired"),
        (token(["hr"], secret="another-secret-0123456789-abcdefghijkl"), "InvalidSignatureError"),
        ({"Authorization": "Bearer not.a.token"}, "DecodeError"),
        ({"Authorization": "Basic dTpw"}, "Bearer"),
        ({"Authorization": "Bearer " + jwt.encode({"sub": "u", "groups": ["hr"]}, SECRET, algorithm="HS256")}, "exp"),
        (token("hr"), "groups"),
    ],
)
def test_bad_tokens_are_401_on_every_route(hr_client, headers, reason):
    for method, path, body in [("POST", "/v1/search", {"query": PHRASE}), ("POST", "/v1/ask", {"question": PHRASE}),
                               ("GET", "/v1/documents", None), ("GET", f"/v1/documents/{HR_DOC}", None)]:
        response = hr_client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert reason in response.json()["detail"]


def test_outsiders_do_not_see_the_document_members_do(hr_client):
    for headers in ({}, token(["finance"])):
        hits = hr_client.post("/v1/search", json={"query": PHRASE, "top_k": 50}, headers=headers).json()["results"]
        assert all(h["doc_id"] != HR_DOC for h in hits)
        docs = hr_client.get("/v1/documents", headers=headers).json()
        assert HR_DOC not in {d["doc_id"] for d in docs} and len(docs) == 6
        missing = hr_client.get(f"/v1/documents/{HR_DOC}", headers=headers)
        unknown = hr_client.get("/v1/documents/doc-no-such", headers=headers)
        assert missing.status_code == unknown.status_code == 404
        assert missing.json()["detail"].replace(HR_DOC, "X") == unknown.json()["detail"].replace("doc-no-such", "X")
        assert hr_client.get(f"/documents/{HR_DOC}", headers=headers).status_code == 404
    member = token(["hr", "finance"])
    hits = hr_client.post("/v1/search", json={"query": PHRASE}, headers=member).json()["results"]
    assert hits[0]["doc_id"] == HR_DOC and hits[0]["status"] == "现行有效"
    chunk = hr_client.get(f"/v1/chunks/{hits[0]['chunk_id']}", headers=member)
    assert chunk.status_code == 200
    assert hr_client.get(f"/v1/chunks/{hits[0]['chunk_id']}").status_code == 404
    assert hr_client.get(f"/documents/{HR_DOC}", headers=member).status_code == 200


def test_the_proxy_header_counts_only_from_a_trusted_address(hr_client):
    # TestClient connects from "testclient", which is not a trusted proxy: the header is ignored.
    hits = hr_client.post("/v1/search", json={"query": PHRASE}, headers={"X-Remote-Groups": "hr"}).json()["results"]
    assert all(h["doc_id"] != HR_DOC for h in hits)
    with TestClient(hr_client.app, client=("10.9.9.9", 5000)) as proxied:
        hits = proxied.post("/v1/search", json={"query": PHRASE}, headers={"X-Remote-Groups": "hr"}).json()["results"]
    assert hits[0]["doc_id"] == HR_DOC


def test_a_token_without_a_configured_secret_is_refused(client):
    response = client.post("/v1/search", json={"query": PHRASE}, headers=token(["hr"]))
    assert response.status_code == 401 and "ACCESS_TOKEN_SECRET" in response.json()["detail"]


def test_patch_validates_and_corrections_survive_a_rebuild(hr_client, test_settings, gazette_ingest):
    bad = [({"status": "作废"}, 422), ({"effective_to": "2020-13-01"}, 422), ({"visibility": ["a b"]}, 422),
           ({"colour": "red"}, 422), ({}, 422)]
    for body, code in bad:
        assert hr_client.patch(f"/v1/documents/{HR_DOC}", json=body, headers=ADMIN).status_code == code
    assert hr_client.patch(f"/v1/documents/{HR_DOC}", json={"status": "已废止"}).status_code == 401
    assert hr_client.patch("/v1/documents/doc-none", json={"status": "已废止"}, headers=ADMIN).status_code == 404
    settings = hr_client.app.state.settings
    from indexer.backends.catalog import build_index, load_overrides
    from indexer.backends.local import LocalIndex

    assert load_overrides(settings.index_dir)[HR_DOC] == {"visibility": ["hr"]}
    rebuilt = LocalIndex(settings.index_dir, settings, hr_client.app.state.index_holder.current.encoder)
    build_index(rebuilt, gazette_ingest.documents, gazette_ingest.chunks, settings.index_dir)
    assert rebuilt.document(HR_DOC).visibility == ["hr"]
