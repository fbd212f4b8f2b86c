"""Optional generated answers from an OpenAI-compatible endpoint (vLLM, Ollama…).

The model sees the numbered passages and must cite them as [n]. Markers that
point nowhere are dropped; an answer left with no valid marker, a reply without
text content (``"content": null``), an HTTP error or a timeout falls back to the
extractive answer, so the service never depends on the endpoint being up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import httpx

from config import Settings
from indexer.records import Hit
from service.answer_composer import Answer, Citation

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[(\d+)\]")
SYSTEM_PROMPT = (
    "你是政府文件问答助手。只根据给出的编号条款回答问题，用简洁的中文作答，"
    "每句话后用[编号]标明依据的条款；条款中没有答案时回答“未在已收录的文件中找到相关规定”。"
)


REWRITE_PROMPT = (
    "把用户的追问改写成一个不依赖上下文、可以单独检索的完整问题。只输出改写后的问题，不要解释。"
    "如果追问本身已经完整，原样输出。"
)


class LLMAnswerer:
    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        key = settings.llm_api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(
            base_url=settings.llm_base_url.rstrip("/"), timeout=settings.llm_timeout_s, headers=headers,
            transport=transport,
        )

    def _prompt(self, question: str, hits: list[Hit]) -> str:
        lines = []
        for n, hit in enumerate(hits, start=1):
            c = hit.chunk
            lines.append(f"[{n}] 《{c.doc_title}》{c.doc_number} {' › '.join(c.heading_path[1:])}\n{c.text}")
        return "条款：\n" + "\n\n".join(lines) + f"\n\n问题：{question}"

    def answer(self, question: str, hits: list[Hit], fallback: Answer, first_sentence: Callable[[str], str]) -> Answer:
        """``first_sentence`` quotes a passage in the citation list (the composer's own rule)."""
        try:
            response = self.client.post(
                "/v1/chat/completions",
                json={
                    "model": self.settings.llm_model,
                    "temperature": 0,
                    "messages": [
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": self._prompt(question, hits)},
                    ],
                },
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("LLM answer failed, using the extractive answer: %s", exc)
            return fallback
        if not isinstance(content, str) or not content.strip():
            # e.g. "content": null from a server with a reasoning parser whose model never finished thinking
            log.warning("LLM answer had no text content (%s), using the extractive answer", type(content).__name__)
            return fallback
        text = content.strip()
        cleaned = _MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(hits) else "", text)
        used = sorted({int(n) for n in _MARKER.findall(cleaned)})
        if not used:
            log.warning("LLM answer cited no valid passage, using the extractive answer")
            return fallback
        citations = [Citation(n, hit.chunk, first_sentence(hit.chunk.text)) for n, hit in enumerate(hits, start=1)]
        return Answer(question, cleaned, True, citations, fallback.intent)

    def rewrite(self, question: str, earlier: list[str]) -> str | None:
        """The follow-up rewritten as a self-contained question, or None (the caller falls back to the rules)."""
        context = "\n".join(f"第{i}问：{q}" for i, q in enumerate(earlier[-3:], start=1))
        try:
            response = self.client.post(
                "/v1/chat/completions",
                json={
                    "model": self.settings.llm_model,
                    "temperature": 0,
                    "messages": [
                        {"role": "system", "content": REWRITE_PROMPT},
                        {"role": "user", "content": f"{context}\n追问：{question}"},
                    ],
                },
            )
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"].strip()
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("LLM rewrite failed, completing the follow-up by rule: %s", exc)
            return None
        text = text.splitlines()[0].strip() if text else ""
        # A rewrite is one question of sensible length; anything else is not trusted.
        if not text or len(text) > 3 * len(question) + 120:
            return None
        return text
