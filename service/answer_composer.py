"""Extractive answers: the best 1–3 sentences of the top passages, each with its marker.

No generative model runs here, so the answer is made of sentences quoted
verbatim from the retrieved clauses. Each sentence is scored against the
question by lexical overlap (idf-weighted share of the question's terms), by
dense similarity, by whether it carries the kind of fact asked for (a number for
多少, a date for 什么时候, ...) and by the rank of its passage; a bare heading
(“（二）基本原则。”) is marked down, since it names a topic without saying
anything. When the question asks for a number, date or department and no
chosen sentence carries one, the best sentence of the top passages that does is
added. Questions about a document's 文号, title or date of issue are answered
from its header or signature. Every answer sentence is followed by [n], and
citation n's passage contains it verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.backends.base import Analyzer
from indexer.records import Chunk, Hit, Intent, Query, Sentence

NOT_FOUND = "未在已收录的文件中找到相关规定。以下是最接近的条款，仅供参考。"


@dataclass
class Citation:
    n: int
    chunk: Chunk
    quote: str


@dataclass
class Answer:
    question: str
    answer: str
    answerable: bool
    citations: list[Citation] = field(default_factory=list)
    intent: str = Intent.OTHER.value
    support: float = 0.0  # how well the best-supported sentence carries the question (see verify)
    statuses: dict[int, str] = field(default_factory=dict)  # citation n → its document's status today
    notes: dict[int, str] = field(default_factory=dict)  # citation n → why its document is not in force
    completed: str = ""  # the follow-up question made self-contained ("" when asked in full)
    confidence: float = 0.0


@dataclass(frozen=True)
class ComposerWeights:
    lexical: float = 1.0
    dense: float = 1.0
    intent: float = 0.25
    bare_heading: float = 0.4
    rank_decay: float = 0.08
    second_sentence_ratio: float = 0.9
    list_sentence_ratio: float = 0.75
    max_sentences: int = 3
    passages: int = 5
    intent_backfill_passages: int = 2
    # Abstain when no sentence of the top passages supports the question this well (share of its
    # idf mass, fact kind required); chosen by `python -m evaluation crossval --answers` on the
    # dev set's held-out folds with synthetic unanswerable questions.
    min_support: float = 0.26
    heading_credit: float = 0.5
    unseen_weight: float = 0.0
    # ... together with the retrieval confidence below which the answer abstains (the search's own
    # `confident` flag keeps the calibrated model's threshold); fitted in the same run.
    min_confidence: float = 0.4522


_BARE_HEADING = re.compile(
    r"^(（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|[一二三四五六七八九十]+、|\d+[.．、]|第[一二三四五六七八九十百]+[章节条])"
    r"\s*[^，。；]{0,16}[。：:]?$"
)
_FACT_INTENTS = (Intent.NUMBER, Intent.DATE, Intent.DEPARTMENT, Intent.DOC_NUMBER)
_ISSUE_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")


@dataclass
class _Candidate:
    hit_rank: int
    sentence: Sentence
    score: float = 0.0


class AnswerComposer:
    """Composes from the analysed question; text analysis comes from the index's ``Analyzer``.

    ``embed_sentences`` maps sentences to unit vectors and ``embed_question`` gives
    the question's vector (the one retrieval already computed, when it did).
    """

    def __init__(
        self,
        analyzer: Analyzer,
        term_weights: Callable[[list[str]], dict[str, float]],
        embed_sentences: Callable[[list[str]], np.ndarray],
        embed_question: Callable[[Query], np.ndarray],
        weights: ComposerWeights = ComposerWeights(),
        known_terms: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """``known_terms``: sentences' distinct tokens already known (the index's, cut when it indexed them)."""
        self.analyzer = analyzer
        self.term_weights = term_weights
        self.embed_sentences = embed_sentences
        self.embed_question = embed_question
        self.weights = weights
        self._term_memo: dict[str, frozenset[str]] = dict(known_terms or {})

    def compose(self, query: Query, hits: Sequence[Hit], answerable: bool, route_kind: str | None = None) -> Answer:
        question, intent = query.text, query.intent
        top = list(hits[: self.weights.passages])
        if not answerable or not top:
            return self._not_found(question, intent, top)
        if route_kind is not None:
            chosen = self._metadata_sentences(top[0], route_kind, intent)
            if chosen:
                return self._assemble(question, intent, top, chosen, 1.0)
        candidates = [
            _Candidate(rank, sentence)
            for rank, hit in enumerate(top)
            for sentence in self.analyzer.sentences(hit.chunk.text)
        ]
        if not candidates:
            return Answer(question, NOT_FOUND, False, [], intent.value)
        support = self.verify(query, top)
        if support < self.weights.min_support:
            return self._not_found(question, intent, top, support)
        self._score(query, candidates)
        chosen = self._choose(candidates, intent, self._asks_total(query))
        return self._assemble(question, intent, top, chosen, support)

    def _not_found(self, question: str, intent: Intent, top: list[Hit], support: float = 0.0) -> Answer:
        citations = [Citation(i + 1, h.chunk, self.first_sentence(h.chunk.text)) for i, h in enumerate(top)]
        return Answer(question, NOT_FOUND, False, citations, intent.value, support)

    def _terms(self, text: str) -> frozenset[str]:
        terms = self._term_memo.get(text)
        if terms is None:
            terms = self._term_memo[text] = frozenset(self.analyzer.tokens(text))
        return terms

    def verify(self, query: Query, top: Sequence[Hit]) -> float:
        """The best support any sentence of the top passages gives the question, in [0, 1].

        A sentence's support is the idf-weighted share of the question's terms it contains (a
        term found only in its passage's title or clause path counts ``heading_credit``); when
        the question asks for a number, date, department or 文号, a sentence that does not carry
        one supports nothing. A term the corpus never uses weighs ``unseen_weight`` × its
        rarest term: everyday words (家家户户) are often unseen, but so is what a near-miss
        question asks about.
        """
        idf = self.term_weights(query.tokens)
        rarest = max(idf.values(), default=1.0)
        weights = {t: idf.get(t, self.weights.unseen_weight * rarest) for t in dict.fromkeys(query.tokens)}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        fact = query.intent in _FACT_INTENTS
        normalize = self.analyzer.normalize
        # a question naming a document by its 文号 is answered by that document or one citing it
        named = [t for t in dict.fromkeys(query.tokens) if self.analyzer.carries(Intent.DOC_NUMBER, t)]
        best = 0.0
        for hit in top:
            head = normalize(" ".join([hit.chunk.doc_title, *hit.chunk.heading_path]))
            if named and not any(t in normalize(hit.chunk.doc_number) or t in normalize(hit.chunk.text)
                                 for t in named):
                continue
            for sentence in self.analyzer.sentences(hit.chunk.text):
                if fact and not self._carries(query, sentence.text):
                    continue
                norm = normalize(sentence.text)
                found = sum(w if t in norm else self.weights.heading_credit * w if t in head else 0.0
                            for t, w in weights.items())
                best = max(best, found / total)
        return best

    def first_sentence(self, text: str) -> str:
        sentences = self.analyzer.sentences(text)
        return sentences[0].text if sentences else text[:80]

    def _metadata_sentences(self, hit: Hit, route_kind: str, intent: Intent) -> list[_Candidate]:
        carries = self.analyzer.carries
        sentences = self.analyzer.sentences(hit.chunk.text)
        if route_kind == "signature":
            picked = [s for s in sentences if _ISSUE_DATE.search(s.text)][:1]
        elif intent == Intent.DOC_NUMBER:
            picked = [s for s in sentences if carries(Intent.DOC_NUMBER, s.text)][:1]
        else:  # the title: the header lines before the 文号
            picked = []
            for sentence in sentences:
                if carries(Intent.DOC_NUMBER, sentence.text):
                    break
                picked.append(sentence)
            picked = picked[:3]
        return [_Candidate(0, s) for s in picked]

    def _lexical_share(self, idf: dict[str, float], sentence: str) -> float:
        """The idf-weighted share of the question's terms that the sentence contains."""
        total = sum(idf.values())
        if total <= 0:
            return 0.0
        terms = self._terms(sentence)
        return sum(v for t, v in idf.items() if t in terms) / total

    def _score(self, query: Query, candidates: list[_Candidate]) -> None:
        w = self.weights
        idf = self.term_weights(query.tokens)
        q_vec = self.embed_question(query)
        s_vecs = self.embed_sentences([c.sentence.text for c in candidates])
        dense = s_vecs @ q_vec
        total = self._asks_total(query)
        for cand, cos in zip(candidates, dense, strict=True):
            text = cand.sentence.text
            carried = self._carries(query, text)
            cand.score = (
                w.lexical * self._lexical_share(idf, text)
                + w.dense * float(cos)
                + (w.intent if carried else 0.0)
                # asked for a total: the 合计 row or the sentence giving one comes before the parts
                + (w.intent if total and self.analyzer.states_total(text) else 0.0)
                - (w.bare_heading if _BARE_HEADING.match(text) and not carried else 0.0)
                - w.rank_decay * cand.hit_rank
            )

    def _asks_total(self, query: Query) -> bool:
        return query.intent == Intent.NUMBER and self.analyzer.states_total(query.text)

    def _carries(self, query: Query, text: str) -> bool:
        """The sentence holds the asked-for kind of fact (a table's 合计 row answers 一共多少)."""
        return self.analyzer.carries(query.intent, text) or (
            self._asks_total(query) and self.analyzer.states_total(text))

    def _choose(self, candidates: list[_Candidate], intent: Intent, total: bool = False) -> list[_Candidate]:
        w = self.weights
        ranked = sorted(candidates, key=lambda c: -c.score)
        best = ranked[0]
        chosen = [best]
        ratio = w.list_sentence_ratio if intent == Intent.LIST else w.second_sentence_ratio
        for cand in ranked[1:]:
            if len(chosen) >= w.max_sentences:
                break
            if cand.score < best.score * ratio:
                break
            if _overlaps(cand, chosen):
                continue
            chosen.append(cand)
        if intent in (Intent.NUMBER, Intent.DATE, Intent.DEPARTMENT):
            backfill = self._backfill(ranked, chosen, intent)
            if backfill is not None:
                chosen = [*chosen[: w.max_sentences - 1], backfill]
        if total and not any(self.analyzer.states_total(c.sentence.text) for c in chosen):
            # asked for a total (一共, 合计): the best line giving one, a table's 合计 row
            line = next((c for c in ranked if self.analyzer.states_total(c.sentence.text)), None)
            if line is not None:
                chosen = [*chosen[: w.max_sentences - 1], line]
        chosen = _with_continuations(chosen, candidates, w.max_sentences)
        if intent == Intent.LIST:
            chosen = _with_item_titles(chosen, candidates)
        # Read in document order within a passage, passages in rank order.
        return sorted(chosen, key=lambda c: (c.hit_rank, c.sentence.start))

    def _backfill(self, ranked: list[_Candidate], chosen: list[_Candidate], intent: Intent) -> _Candidate | None:
        """The sentence giving the fact a chosen sentence lacks.

        A chosen sentence without the asked-for fact is completed from its own passage first (a
        大事记 entry dates its events in its first line), even when another passage's sentence
        carries a fact of that kind; else, when no chosen sentence carries one, the best carrying
        sentence of the first ``intent_backfill_passages`` passages is added.
        """
        carries = self.analyzer.carries
        fresh = [c for c in ranked if carries(intent, c.sentence.text) and not _overlaps(c, chosen)]
        for cand in chosen:
            if carries(intent, cand.sentence.text) or any(
                    c.hit_rank == cand.hit_rank and carries(intent, c.sentence.text) for c in chosen):
                continue
            own = next((c for c in fresh if c.hit_rank == cand.hit_rank), None)
            if own is not None:
                return own
        if any(carries(intent, c.sentence.text) for c in chosen):
            return None
        return next((c for c in fresh if c.hit_rank < self.weights.intent_backfill_passages), None)

    def _assemble(
        self, question: str, intent: Intent, top: list[Hit], chosen: list[_Candidate], support: float
    ) -> Answer:
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for cand in chosen:
            if cand.hit_rank not in numbers:
                numbers[cand.hit_rank] = len(citations) + 1
                citations.append(Citation(numbers[cand.hit_rank], top[cand.hit_rank].chunk, cand.sentence.text))
            parts.append(f"{cand.sentence.text}[{numbers[cand.hit_rank]}]")
        # The other top passages stay listed as further reading, without markers.
        for rank, hit in enumerate(top):
            if rank not in numbers:
                numbers[rank] = len(citations) + 1
                citations.append(Citation(numbers[rank], hit.chunk, self.first_sentence(hit.chunk.text)))
        return Answer(question, "".join(parts), True, citations, intent.value, support)


def _with_continuations(chosen: list[_Candidate], candidates: list[_Candidate], limit: int) -> list[_Candidate]:
    """A chosen heading or opened enumeration (一是…；, ①…) gets the sentences that carry it on.

    A bare heading (“（二）基本原则。”) or a sentence ending in “：” is followed by the next
    sentence of its passage; a sentence holding the first item of an enumeration by the next
    items (二是, ②, （2）, ——), while fewer than ``limit`` extra sentences were added.
    """
    out = list(chosen)
    for cand in chosen:
        text = cand.sentence.text.strip()
        opens = bool(_BARE_HEADING.match(text)) or text.endswith(("：", ":"))
        enumerates = bool(_FIRST_ITEM.search(text))
        if not (opens or enumerates):
            continue
        following = sorted((c for c in candidates if c.hit_rank == cand.hit_rank
                            and c.sentence.start >= cand.sentence.end), key=lambda c: c.sentence.start)
        for added, nxt in enumerate(following):
            if added >= limit - 1 or len(out) >= limit + 2 or _overlaps(nxt, out):
                break
            if not (opens and added == 0) and not _NEXT_ITEM.match(nxt.sentence.text.strip()):
                break
            out.append(nxt)
    return out


_ITEM_TITLE_CHARS = 14
_MAX_ITEM_TITLES = 8


def _with_item_titles(chosen: list[_Candidate], candidates: list[_Candidate]) -> list[_Candidate]:
    """A list question answered by a bare heading (“（二）基本原则。”) gets the items under it.

    Principles, tasks and measures are often listed as short lead sentences (“优化资源，开放共
    享。”), each followed by its explanation: the short sentences after the heading, up to the
    next heading, are quoted, when there are at least two of them.
    """
    out = list(chosen)
    for cand in chosen:
        if not _BARE_HEADING.match(cand.sentence.text.strip()):
            continue
        following = sorted((c for c in candidates if c.hit_rank == cand.hit_rank
                            and c.sentence.start >= cand.sentence.end), key=lambda c: c.sentence.start)
        titles = []
        for nxt in following:
            text = nxt.sentence.text.strip()
            if _BARE_HEADING.match(text):
                break
            if len(text) <= _ITEM_TITLE_CHARS:
                titles.append(nxt)
        if len(titles) >= 2:
            out += [c for c in titles[:_MAX_ITEM_TITLES] if not _overlaps(c, out)]
    return out


_FIRST_ITEM = re.compile(r"一是|①|（1）|\(1\)|首先")
_NEXT_ITEM = re.compile(r"^(?:[二三四五六七八九十]是|[②③④⑤⑥⑦⑧⑨⑩]|（\d+）|\(\d+\)|——|其次|再次|最后)")


def _overlaps(cand: _Candidate, chosen: list[_Candidate]) -> bool:
    return any(cand.sentence.text in c.sentence.text or c.sentence.text in cand.sentence.text for c in chosen)

