"""The optional LLM answer path against a stand-in OpenAI-compatible endpoint (httpx MockTransport)."""

import httpx

from config import Settings
from indexer.records import Chunk, Hit
from indexer.text.sentences import split_sentences
from service.answer_composer import Answer
from service.llm_answerer import LLMAnswerer


def _hits() -> list[Hit]:
    text = "将城乡居民基础养老金月人均标准提高15元、达到155元。"
    chunk = Chunk("c1", "d1", "民生十件实事的通知", "青政办〔2017〕13号", "青海省人民政府办公厅", "2017-01-26",
                  ["民生十件实事的通知", "（四）完善社会保障制度"], text, 0, len(text))
    return [Hit(chunk, 1.0, 1.0, 0.9)]


def _first_sentence(text: str) -> str:
    return split_sentences(text)[0].text


FALLBACK = Answer("q", "extractive[1]", True, [])
SETTINGS = Settings(llm_base_url="http://llm.local", llm_model="qwen", llm_timeout_s=1.0)


def _answerer(handler) -> LLMAnswerer:
    return LLMAnswerer(SETTINGS, transport=httpx.MockTransport(handler))


def _reply(text: str):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        body = request.read().decode()
        assert "[1]" in body and "基础养老金" in body  # the numbered passage is in the prompt
        return httpx.Response(200, json={"choices": [{"message": {"content": text}}]})

    return handler


def test_generated_answer_keeps_valid_markers_and_drops_dangling_ones():
    answer = _answerer(_reply("每月提高15元[1]，达到155元[3]。")).answer("涨多少", _hits(), FALLBACK, _first_sentence)
    assert answer.answer == "每月提高15元[1]，达到155元。"
    assert answer.citations[0].n == 1 and answer.citations[0].chunk.chunk_id == "c1"


def test_answer_without_any_valid_marker_falls_back():
    assert _answerer(_reply("提高了15元。")).answer("涨多少", _hits(), FALLBACK, _first_sentence) is FALLBACK


def test_http_errors_and_timeouts_fall_back():
    def server_error(request):
        return httpx.Response(503, json={"error": "overloaded"})

    def timeout(request):
        raise httpx.ReadTimeout("slow", request=request)

    def garbage(request):
        return httpx.Response(200, json={"unexpected": True})

    for handler in (server_error, timeout, garbage):
        assert _answerer(handler).answer("涨多少", _hits(), FALLBACK, _first_sentence) is FALLBACK


def test_a_reply_without_text_content_falls_back():
    """Servers with a reasoning parser send ``"content": null`` when the model only reasoned (issue 12, case 6)."""
    def message(body: dict):
        def handler(request):
            return httpx.Response(200, json={"choices": [{"message": body}]})
        return handler

    replies = [{"role": "assistant", "content": None, "reasoning_content": "养老金……"},
               {"role": "assistant", "content": ["15元[1]"]}, {"role": "assistant", "content": "  "},
               {"role": "assistant"}]
    for body in replies:
        assert _answerer(message(body)).answer("涨多少", _hits(), FALLBACK, _first_sentence) is FALLBACK
