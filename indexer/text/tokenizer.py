"""Chinese tokenizer for BM25: jieba search mode with a corpus-built user dictionary.

Document numbers (青政办〔2017〕13号), department names (省人力资源社会保障厅) and
quoted terms (“信用青海”) are added to jieba's dictionary at index time so they
survive as whole tokens; search mode also emits their dictionary sub-words, so a
query for 人力资源 still matches. The dictionary is saved with the index, and the
same tokenizer is rebuilt from it at query time.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import jieba

from indexer.records import Document
from indexer.text.abbreviation_mining import PAIR_SEP, mine_pairs, pair_term, split_pair
from indexer.text.data_files import data_text
from indexer.text.normal_form import to_index_form
from indexer.text.patterns import DEPARTMENT, DOC_NUMBER
from indexer.text.regions import HOME_FORMS, home_region

jieba.setLogLevel(logging.WARNING)

USER_TERM_FREQ = 50_000
QUERY_SPAN_WORDS = 3  # a corpus short form is looked for in up to this many consecutive words of a question
# Words that run into a document number's issuer prefix in running text (按照青政办〔2017〕13号).
_LEAD_IN = re.compile(
    r"^(?:按照|根据|依据|依照|参照|关于|对照|贯彻|落实|印发|转发|见|按|据|经|由|和|与|及|以|的|是|在|将)+"
)
_QUOTED = re.compile(r"[“\"「『]([^”\"」』\n]{2,12})[”\"」』]")
_PROJECT = re.compile(r"[\u4e00-\u9fff]{2,10}(?:工程|计划|行动|项目|平台|体系|制度)")
_TAGGER_LOCK = threading.Lock()
_KEEP = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]")


@lru_cache(maxsize=1)
def _shipped_terms() -> tuple[str, ...]:
    text = data_text("gov_terms.txt")
    return tuple(t.split()[0] for t in text.splitlines() if t.strip() and not t.startswith("#"))


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, tuple[str, ...]]:
    """Short form → full forms (both normalized), from the shipped list."""
    text = data_text("abbreviations.txt")
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#"):
            table[to_index_form(parts[0])] = tuple(to_index_form(p) for p in parts[1:])
    return table


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    text = data_text("stopwords.txt")
    return frozenset(t.strip() for t in text.splitlines() if t.strip() and not t.startswith("#"))


def extract_user_terms(texts: Iterable[str], headings: Iterable[str] = (), min_count: int = 2) -> list[str]:
    """Terms worth keeping whole, found in the corpus itself (normalized form), and the corpus's own
    abbreviations as ``short=full`` pairs: those its documents define or use
    (``indexer.text.abbreviation_mining``) and 咱们省 / 我省 / 本省 for the home province its documents'
    ``headings`` (title and issuer each) name, if one dominates (``indexer.text.regions``)."""
    counts: Counter[str] = Counter()
    exact: set[str] = set()
    pairs: set[str] = set()
    cutter, tags, stop = base_cutter(), word_tags(), stopwords()
    for raw in texts:
        text = to_index_form(raw)
        exact.update(_LEAD_IN.sub("", m.group(0)) for m in DOC_NUMBER.finditer(text))
        exact.update(m.group(1).strip() for m in _QUOTED.finditer(text))
        counts.update(m.group(0) for m in DEPARTMENT.finditer(text))
        counts.update(m.group(0) for m in _PROJECT.finditer(text))
        mined = mine_pairs(text, cutter.cut(text, HMM=True), cutter.FREQ, tags, stop)
        pairs.update(pair_term(short, full) for short, full in mined.items())
    region = home_region(headings)
    if region:
        pairs.update(pair_term(form, to_index_form(region)) for form in HOME_FORMS)
    frequent = {term for term, n in counts.items() if n >= min_count and len(term) <= 14}
    return sorted({t for t in exact | frequent if 2 <= len(t) <= 20 and PAIR_SEP not in t} | pairs)


def document_terms(documents: Iterable[Document]) -> list[str]:
    """``extract_user_terms`` of documents: their texts, and their titles and issuers for the home province."""
    documents = list(documents)
    return extract_user_terms([d.text for d in documents], [f"{d.title} {d.issuer}" for d in documents])


@lru_cache(maxsize=1)
def _base_dictionary() -> tuple[dict[str, int], int]:
    base = jieba.Tokenizer()
    base.initialize()
    return base.FREQ, base.total


@lru_cache(maxsize=1)
def base_cutter() -> jieba.Tokenizer:
    """jieba over its own dictionary, shared and read-only (its users add no words)."""
    cutter = jieba.Tokenizer()
    cutter.FREQ, cutter.total = _base_dictionary()
    cutter.initialized = True
    return cutter


def word_tags() -> dict[str, str]:
    """jieba's part of speech per dictionary word (the table ``jieba.posseg`` reads once, shared)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


def pos_tagger(tokenizer: jieba.Tokenizer | None = None):
    """jieba's part-of-speech tagger over ``tokenizer`` (default: jieba's own dictionary, shared, not copied).

    Every tagger shares the word-tag table that ``jieba.posseg`` reads when it is imported, instead of
    reading its own copy (≈ 40 MB each); taggers never add tagged words, so the table is only read.
    """
    import jieba.posseg

    if tokenizer is None:
        tokenizer = base_cutter()  # read-only here: a tagger adds no words
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer = tokenizer
    tagger.word_tag_tab = word_tags()
    return tagger


def dictionary_terms(user_terms: Iterable[str]) -> list[str]:
    """Every word the tokenizer adds to jieba's dictionary (normalized): shipped terms, corpus terms, the
    shipped abbreviations and 咱们省 / 我省 / 本省. The corpus's mined short forms are not added: as words of
    the dictionary they would be cut out of longer words (权人 out of 债权人)."""
    words = [t for t in user_terms if not split_pair(t)]
    return sorted({to_index_form(t) for t in (*_shipped_terms(), *words, *abbreviations(), *HOME_FORMS)})


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Short form → full form, leaving out a short form the corpus uses for more than one (农牧: 农村牧区 in one
    document, 农林牧业 in another)."""
    fulls: dict[str, set[str]] = {}
    for short, full in pairs:
        fulls.setdefault(short, set()).add(full)
    return {short: next(iter(f)) for short, f in fulls.items() if len(f) == 1}


class ChineseTokenizer:
    """Callable text → tokens, identical for documents and queries; ``expansion`` gives the words the corpus's
    own abbreviations add to a question's search."""

    def __init__(self, user_terms: Iterable[str] = ()) -> None:
        """``user_terms``: ``extract_user_terms``'s words and ``short=full`` pairs of the corpus."""
        self.user_terms = sorted(set(user_terms))
        self._jieba = jieba.Tokenizer()
        freq, total = _base_dictionary()  # jieba's own dictionary, read once per process (a copy each)
        self._jieba.FREQ, self._jieba.total, self._jieba.initialized = dict(freq), total, True
        self._abbreviations = abbreviations()
        self._corpus_pairs = _unambiguous(pair for t in self.user_terms if (pair := split_pair(t)))
        for term in dictionary_terms(self.user_terms):
            self._jieba.add_word(term, freq=USER_TERM_FREQ)
        self._stop = stopwords()
        self._tagger = None

    def __call__(self, text: str) -> list[str]:
        norm = to_index_form(text)
        tokens: list[str] = []
        # Document numbers contain brackets jieba would split apart: keep them whole first.
        last = 0
        for match in DOC_NUMBER.finditer(norm):
            lead = _LEAD_IN.match(match.group(0))
            start = match.start() + (lead.end() if lead else 0)
            tokens.extend(self._cut(norm[last:start]))
            tokens.append(norm[start : match.end()])
            last = match.end()
        tokens.extend(self._cut(norm[last:]))
        return tokens

    def expansion(self, text: str) -> list[str]:
        """Words a question's search adds: those of the full form of each short form the corpus uses for one.

        A short form counts where the question's words (jieba's precise cut) make it up, one word or a few
        (省 安委会), never inside a longer word (权人 in 债权人). 咱们省 / 我省 / 本省 also bring the other two,
        as the documents say 我省. They widen the lexical search only (``Query.search_terms``): they are
        alternatives to the question's words, not more words an answer must hold. And only questions are
        expanded: a mined pair can be wrong, and expanding the passages too moved the whole index's scores
        (dev set, held-out folds: BM25 MRR@10 0.881 expanding both sides, 0.893 the question only)."""
        if not self._corpus_pairs:
            return []
        added: list[str] = []
        words = [w for w in self._jieba.cut(to_index_form(text), HMM=True) if w.strip()]
        for i in range(len(words)):
            joined = ""
            for word in words[i : i + QUERY_SPAN_WORDS]:
                joined += word
                full = self._corpus_pairs.get(joined)
                if full and joined not in self._abbreviations:
                    added.extend(self._cut(full, expand=False))
                    if joined in HOME_FORMS:
                        added.extend(form for form in HOME_FORMS if form != joined)
        return added

    def _cut(self, text: str, expand: bool = True) -> list[str]:
        tokens = [
            tok
            for tok in self._jieba.cut_for_search(text, HMM=True)
            if tok.strip() and tok not in self._stop and _KEEP.search(tok)
        ]
        if not expand:
            return tokens
        expanded = []
        for tok in tokens:
            expanded.append(tok)
            for full in self._abbreviations.get(tok, ()):
                expanded.extend(self._cut(full, expand=False))
        return expanded

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech) pairs of the raw text, jieba's tagger over this tokenizer's dictionary.

        Words of the corpus dictionary have no tag in jieba's table and come back as ``x``.
        """
        if self._tagger is None:
            with _TAGGER_LOCK:  # one tagger (and word-tag table), however many threads ask first
                if self._tagger is None:
                    self._tagger = pos_tagger(self._jieba)
        return [(pair.word, pair.flag) for pair in self._tagger.lcut(text, HMM=True)]
