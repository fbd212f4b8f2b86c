"""Text analysis for one index: a question analysed once, and the helpers answers need.

The index's tokenizer (with its corpus dictionary) is bound here, so the service
reaches tokens, intent, sentences and highlights through one object that the
backend hands out, never through the tokenizer or the patterns themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from indexer.records import Completion, Intent, Query, Sentence, Turn
from indexer.text.followup import FollowUpCompleter
from indexer.text.highlight import highlight_spans
from indexer.text.normal_form import to_index_form
from indexer.text.question_intent import carries, classify, states_total
from indexer.text.sentences import split_sentences
from indexer.text.tokenizer import ChineseTokenizer, stopwords

TOKEN_MEMO_TEXTS = 20_000


class TextAnalyzer:
    def __init__(self, tokenizer: ChineseTokenizer) -> None:
        self.tokenizer = tokenizer
        self._followups = FollowUpCompleter(tokenizer.tagged, stopwords())
        # Answers tokenize the sentences of their top passages, the same few thousand sentences again
        # and again: remembered per index (jieba was most of an answer's own CPU time).
        self._memo = lru_cache(maxsize=TOKEN_MEMO_TEXTS)(lambda text: tuple(tokenizer(text)))

    def analyse(self, text: str) -> Query:
        """The query record: normal form, tokens and intent, computed once."""
        return Query(text=text, norm=to_index_form(text), tokens=self.tokenizer(text), intent=classify(text),
                     expansion=tuple(self.tokenizer.expansion(text)))

    def complete(self, question: str, history: Sequence[Turn]) -> Completion:
        """A follow-up made self-contained from the earlier turns (rules only; see followup.py)."""
        return self._followups.complete(question, history)

    def tokens(self, text: str) -> list[str]:
        return list(self._memo(text))

    @staticmethod
    def normalize(text: str) -> str:
        return to_index_form(text)

    @staticmethod
    def carries(intent: Intent, text: str) -> bool:
        """Whether ``text`` holds the kind of fact ``intent`` asks for."""
        return carries(intent, text)

    @staticmethod
    def states_total(text: str) -> bool:
        """Whether a question asks for a total (一共, 合计) or a sentence gives one (a 合计 row)."""
        return states_total(text)

    @staticmethod
    def sentences(text: str) -> list[Sentence]:
        return split_sentences(text)

    @staticmethod
    def highlight(text: str, terms: list[str]) -> list[tuple[int, int]]:
        return highlight_spans(text, terms)
