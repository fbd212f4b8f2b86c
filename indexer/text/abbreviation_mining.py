"""Abbreviations a corpus defines or uses for its own longer terms, found at index time.

The shipped list (``abbreviations.txt``) covers the common government short forms; a
corpus has its own (省安委会 for 省安全生产委员会, 证监会 for 证券监督管理委员会). Two
sources, both read inside one document so that a pair is that document's own usage:

- definitions: ``全称（以下简称“简称”）``; the full form is the shortest end of the
  text before the bracket that starts with the short form's first character and
  holds its characters in order;
- contractions: a short word (2–4 characters) made of the first characters of words
  of a run of up to four words of the same document, in order (the last may end the
  run instead): 发改委 of 发展 和 改革 委员会, 维稳 of 维护 社会 稳定, 省安委会 of 省 安全
  生产 委员会. The short word must be one the document writes as a word (most of its
  occurrences cut as one; 权人 inside 债权人 is not), and not a word jieba knows as
  one of its own (生产 is not short for 生命财产), except jieba's own abbreviations
  (证监会, 医保).

Numbered words never pair (第四十条 is not short for 第四十九条). A pair travels with
the corpus's user terms as ``short=full`` (``pair_term``), so both backends store and
reload it with the dictionary they already keep. The rules still let wrong pairs
through (about one in four on STARD's laws), so the tokenizer expands questions only,
and only by a short form the corpus uses for one full form
(``ChineseTokenizer.expansion``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Container, Iterable, Mapping

from indexer.text.patterns import HAN

PAIR_SEP = "="
SHORT_CHARS = (2, 4)
LONG_CHARS = (4, 16)
MAX_EXPANSION = 3  # a full form at most this many times longer (通信 does not contract 通用航空运输业信息化)
SPAN_WORDS = 4  # words a full form may run over (发展 和 改革 委员会)
ABBREVIATION_TAG = "j"  # jieba's part of speech for an abbreviation
ESTABLISHED_FREQ = 1000  # a j word counted more often is a word in its own right (省委, 人大, 深化)
# One-character words a full form may hold: a level of government first, a conjunction inside; any one last.
LEADING_CHARS = frozenset("省市县州区乡镇国")
INNER_CHARS = frozenset("和与及")
UNIT_SHARE = 0.5  # a short form is a word the document writes: most of its occurrences are cut as one word
DEFINITION_REACH = 40  # characters before a definition searched for its full form
_DEFINED = re.compile(
    rf"[（(](?:以下|下文|下)?简称[为:：]?[“\"《「『]?([{HAN}]{{2,10}})[”\"》」』]?[）)]"
)
_HAN_RUN = re.compile(rf"[{HAN}]+")
_NUMERAL = re.compile(r"[零〇一二三四五六七八九十百千万亿两第\d]")


def pair_term(short: str, full: str) -> str:
    """The user-term form of a pair."""
    return f"{short}{PAIR_SEP}{full}"


def split_pair(term: str) -> tuple[str, str] | None:
    """``(short, full)`` of a user term written by ``pair_term``, else None."""
    short, sep, full = term.partition(PAIR_SEP)
    return (short, full) if sep and short and full else None


def _in_order(short: str, full: str) -> bool:
    chars = iter(full)
    return all(c in chars for c in short)


def _is_contraction(short: str, full: str) -> bool:
    return (len(short) < len(full) <= MAX_EXPANSION * len(short) and short[0] == full[0] and short not in full
            and _in_order(short, full)
            and not _NUMERAL.search(short) and not _NUMERAL.search(full))


def defined_pairs(text: str) -> dict[str, str]:
    """Short form → full form of every ``（以下简称…）`` definition in the (normalized) text."""
    pairs: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        short = match.group(1)
        runs = _HAN_RUN.findall(text[max(0, match.start() - DEFINITION_REACH) : match.start()])
        if not runs:
            continue
        run = runs[-1]
        for start in range(len(run) - len(short), -1, -1):  # shortest end first
            if _is_contraction(short, run[start:]):
                pairs.setdefault(short, run[start:])
                break
    return pairs


def ordinary_word(word: str, freq: Mapping[str, int], tags: Mapping[str, str]) -> bool:
    """Whether jieba knows ``word`` as a word of its own rather than an abbreviation (its dictionary's ``j``
    words, when not established words too: 证监会, 发改委, but not 人大 or 深化), or the word is two known
    words run together (城市规划, 专业人才: compounds, not contractions)."""
    n = freq.get(word, 0)
    if n > 0 and (tags.get(word) != ABBREVIATION_TAG or n > ESTABLISHED_FREQ):
        return True
    return any(freq.get(word[:i], 0) > 0 and freq.get(word[i:], 0) > 0 for i in range(2, len(word) - 1))


def _spans(words: list[str], stop: Container[str]) -> dict[str, tuple[str, ...]]:
    """Runs of up to ``SPAN_WORDS`` consecutive Han words (a full form jieba cuts apart: 民用 航空局), as their
    text → their words. A run holds no stopword (或者, 的) but a conjunction inside (发展 和 改革 委员会)."""
    spans: dict[str, tuple[str, ...]] = {}
    for i in range(len(words)):
        run: list[str] = []
        for word in words[i : i + SPAN_WORDS]:
            length = sum(map(len, run))
            if (not _HAN_RUN.fullmatch(word) or length + len(word) > LONG_CHARS[1]
                    or (word in stop and not (run and word in INNER_CHARS))):
                break
            single = len(word) == 1
            if single and not run and word not in LEADING_CHARS:
                break
            run.append(word)
            if length + len(word) >= LONG_CHARS[0] and word not in INNER_CHARS:
                spans.setdefault("".join(run), tuple(run))
            if single and len(run) > 1 and word not in INNER_CHARS:
                break  # a one-character word (局, 厅, 委) ends a full form
    return spans


def _head_contractions(words: tuple[str, ...]) -> set[str]:
    """Every short form a run of words gives: the first word's first character, then the first characters of
    some of the later words in order (安全 生产 委员会 → 安委), and each of these with the run's last
    character added (省安委会)."""
    heads, last = [w[0] for w in words], words[-1][-1]
    out: set[str] = set()
    for chosen in range(1 << (len(words) - 1)):
        short = heads[0] + "".join(h for i, h in enumerate(heads[1:]) if chosen >> i & 1)
        out.update((short, short + last))
    return out


def _occurrences(norm: str, shorts: Collection[str]) -> Counter[str]:
    """How often each short form occurs in the text (non-overlapping, as ``str.count``), in one pass per length
    instead of one ``count`` per form: a long document yields thousands of forms."""
    found: Counter[str] = Counter()
    for length in {len(s) for s in shorts}:
        found.update(piece for i in range(len(norm) - length + 1) if (piece := norm[i : i + length]) in shorts)
    for short in shorts:  # a form that overlaps itself (哈哈 in 哈哈哈) is counted as str.count does
        if any(short[:k] == short[-k:] for k in range(1, len(short))):
            found[short] = norm.count(short)
    return found


def contraction_pairs(norm: str, words: Iterable[str], freq: Mapping[str, int], tags: Mapping[str, str],
                      stop: Container[str] = frozenset()) -> dict[str, str]:
    """Short word → the first longer run of words of the same document it contracts (see the module docstring).
    ``norm``: the document's normalized text, ``words``: its words in order (jieba's precise cut).

    Each run proposes the few short forms it can give (``_head_contractions``), so the work grows with the
    document, not with its words times its runs."""
    words = list(words)
    counts = Counter(words)
    candidates = {w for w in counts if SHORT_CHARS[0] <= len(w) <= SHORT_CHARS[1] and _HAN_RUN.fullmatch(w)
                  and not ordinary_word(w, freq, tags)}
    pairs: dict[str, str] = {}
    for span, parts in _spans(words, stop).items():
        for short in _head_contractions(parts):
            if short in candidates and short not in pairs and _is_contraction(short, span):
                pairs[short] = span
    occurrences = _occurrences(norm, pairs.keys())
    return {short: full for short, full in pairs.items() if counts[short] >= UNIT_SHARE * occurrences[short]}


def mine_pairs(norm: str, words: Iterable[str], freq: Mapping[str, int], tags: Mapping[str, str],
               stop: Container[str] = frozenset()) -> dict[str, str]:
    """Short form → full form that one document defines or uses: ``norm`` its normalized text, ``words`` its
    words (jieba's precise cut), ``freq`` and ``tags`` jieba's word counts and parts of speech, ``stop`` the
    stopwords."""
    pairs = contraction_pairs(norm, words, freq, tags, stop)
    pairs.update(defined_pairs(norm))  # a definition says what the document means by its short form
    return pairs
