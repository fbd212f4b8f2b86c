"""Follow-up questions made self-contained from the turn before, by rule (no language model).

A Chinese follow-up leans on the previous question in a few well-described ways,
and each gets one rule:

* **Contrastive topic** “那X呢” / “X呢” / “X的呢”: the previous predicate is asked of X.
  X takes the place of the parallel noun phrase of the previous question: the one
  sharing a word with X; else, in “A的B”, the head B unless B is an attribute noun
  (标准, 单位, 时间…, the thing asked about rather than the thing asked of), then A;
  else the first noun phrase. “X的呢” makes X a modifier: it replaces the first word.
  A bare time replaces the previous time. “X呢，Y？” brings its own predicate: X + Y.
* **Anaphora** 这/该/此/上述 (+ classifier), 那 + classifier, 其, 它, 他, 对方: the
  phrase stands for the previous question's noun phrases (这两个/两者: those of the last
  two questions, “A和B”); “这个文件/通知/意见/方案/规划”
  stands for the document the previous answer cited.
* **Missing subject or a leading connective** (那/那么/还有/另外/此外): a question with
  no noun of its own beyond attribute nouns (“谁牵头？”, “几号文？”) or one opened by a
  connective gets the previous noun phrases carried in front.

Substitution and an anaphor beside a subject of the question's own also name the
follow-up's own words (``focus``) and a lighter reading (``fallback``: X in the previous
time, or the question without the stand-in), which the service answers when the
completed question's answer does not quote those words. An earlier turn is taken as it
was answered: its lighter reading when its answer (sent back in the history) does not
quote its own words. Anything else is a new question and is left as asked.

Noun phrases are maximal runs of nominal words; the word after a modal verb is the
predicate, not a noun (今年要新建多少个…), and a part asked of a whole (“A整体…” →
“那B呢”) keeps A. The rules were written from these patterns before the follow-up dev
set was measured (evaluation/data/followup_dev.jsonl); later refinements were fitted
looking at its first half only (see the README).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from indexer.records import Completion, Turn
from indexer.text.normal_form import to_index_form

_END = re.compile(r"[？?。！!\s]+$")
_CONNECTIVE = re.compile(r"^(?:那么|那|还有|另外|此外|对了)(?![个些项件条次份种位块里边])[，,\s]*")
_NE = re.compile(r"^(?P<x>[^，,]+?)呢(?:[，,\s]+(?P<y>.+))?$")
_CLASSIFIER = r"(?:两个|几个|两项|个|项|些|件|条|次|份|种|位|块|里|边|事)"
_DOC_NOUN = r"(?P<doc>文件|通知|意见|方案|规划|办法|条例|规定|文)?"
_ANAPHOR = re.compile(
    rf"(?:(?:这|此|上述|(?<!应)该){_CLASSIFIER}?|那{_CLASSIFIER}|其中|其(?![他余实次])|它们?|他们?|她们?|对方|两者|二者){_DOC_NOUN}"
)
_TIME = re.compile(
    r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}月份?|今年|明年|去年|上半年|下半年|年底"
)
# A quoted term or a title in book marks is one noun, whatever the tagger makes of its inside.
_QUOTED = re.compile(r"“[^”]{1,20}”|《[^》]{1,40}》|「[^」]{1,20}」")
# Nouns that name what is asked about (a property), not what it is asked of.
ATTRIBUTE_NOUNS = frozenset({
    "标准", "单位", "牵头单位", "责任单位", "部门", "时间", "期限", "日期", "比例", "目标", "要求", "原则",
    "文号", "标题", "名称", "职务", "内容", "措施", "方式", "情况", "问题", "数量", "规模", "金额",
    "水平", "范围", "人数", "时候", "地方", "事", "事情", "方面", "人", "文", "号", "钱",
    "家", "个", "次", "天",
})
# Nouns naming the whole of what precedes them (综合治理整体): a part asked about replaces only them.
_WHOLE_NOUNS = frozenset({"整体", "总体", "全部", "全局", "总量"})
_NOMINAL_FLAGS = ("n", "vn", "j", "nz", "eng", "b", "an", "l")
_JOINERS = frozenset("+＋·—-")
# Modal verbs, the copula and coverbs open the predicate; they never sit inside a compound noun.
_AUXILIARIES = frozenset({
    "要", "能", "会", "将", "是", "有", "由", "在", "给", "把", "被", "可", "可以", "应", "应当", "应该", "需要",
    "必须", "还", "都", "已",
})

_MODALS = frozenset({"要", "能", "会", "将", "应", "应当", "应该", "可以", "需要", "必须", "得"})


@dataclass(frozen=True)
class _Run:
    """A maximal run of nominal words: its span in the text, words and the head (last word)."""

    start: int
    end: int
    words: tuple[str, ...]

    @property
    def head(self) -> str:
        return self.words[-1]

    def is_attribute(self) -> bool:
        return all(w in ATTRIBUTE_NOUNS for w in self.words)


Tagger = Callable[[str], list[tuple[str, str]]]


class FollowUpCompleter:
    """``tagger`` gives (word, part of speech) pairs; ``stopwords`` are the index's (question words included)."""

    def __init__(self, tagger: Tagger, stopwords: frozenset[str]) -> None:
        self.tagger = tagger
        self.stopwords = stopwords

    def complete(self, question: str, history: Sequence[Turn]) -> Completion:
        """``question`` made self-contained from ``history`` (oldest first); earlier turns are completed in turn."""
        earlier: str | None = None
        previous: str | None = None
        titles: tuple[str, ...] = ()
        for turn in history:
            earlier, previous = previous, (
                self._as_answered(self._complete_one(turn.question, previous, titles, earlier), turn)
                if previous else turn.question)
            titles = turn.doc_titles
        if previous is None:
            return Completion(question, question)
        return self._complete_one(question, previous, titles, earlier)

    @staticmethod
    def _as_answered(completion: Completion, turn: Turn) -> str:
        """An earlier turn as it was answered: its lighter reading when its answer did not quote its own words."""
        if not completion.fallback or not turn.answer:
            return completion.completed
        return completion.completed if completion.quoted_in(turn.answer, to_index_form) else completion.fallback

    # ---- one step -------------------------------------------------------------------------
    def _complete_one(
        self, question: str, previous: str, titles: tuple[str, ...], earlier: str | None = None,
    ) -> Completion:
        asked = question.strip()
        body = _END.sub("", asked)
        previous = _END.sub("", previous)
        stripped = _CONNECTIVE.sub("", body)
        connective = stripped != body and bool(stripped)
        ne = _NE.match(stripped)
        if ne:
            x, y = ne.group("x").strip(), (ne.group("y") or "").strip()
            if y:
                return Completion(asked, self._resolve(x, previous, titles) + y + "？", "substitute")
            completed = self._substitute(previous, x) + "？"
            if x.endswith("的") or _TIME.fullmatch(x) or _ANAPHOR.search(x):
                return Completion(asked, completed, "substitute")
            # the lighter reading: X in the previous question's time, without its predicate
            times = "".join(dict.fromkeys(_TIME.findall(previous)))
            return Completion(asked, completed, "substitute", self.own_words(x), times + x + "？")
        anaphor = _ANAPHOR.search(stripped)
        if anaphor:
            completed = self._resolve(stripped, previous, titles, anaphor, earlier) + "？"
            rest = (stripped[: anaphor.start()] + stripped[anaphor.end():]).strip("，, ")
            if anaphor.group("doc") or not self._has_subject(rest) or not self.own_words(rest):
                return Completion(asked, completed, "anaphor")
            # its own subject besides the stand-in (“资金支持这块谁牵头”): without the stand-in
            return Completion(asked, completed, "anaphor", self.own_words(rest), rest + "？")
        if connective or not self._has_subject(stripped):
            return Completion(asked, self.subject(previous) + stripped + "？", "carry")
        return Completion(asked, asked)

    def _resolve(self, text: str, previous: str, titles: tuple[str, ...], match: re.Match | None = None,
                 earlier: str | None = None) -> str:
        match = match or _ANAPHOR.search(text)
        if match is None:
            return text
        doc = match.group("doc") or ""
        if doc and titles:
            stand_in = f"《{titles[0]}》"
        elif earlier and re.search(r"两|二者", match.group(0)):  # 这两个/两者: the last two turns' subjects
            stand_in = self._pair(_END.sub("", earlier), previous)
        else:
            stand_in = self.subject(previous)
            stand_in += "" if stand_in.endswith(doc) else doc
        if match.group(0).startswith("其中"):
            stand_in += "中"
        return text[: match.start()] + stand_in + text[match.end():]

    def _substitute(self, previous: str, x: str) -> str:
        modifier = x.endswith("的") and len(x) > 1
        x = self._resolve(x[:-1] if modifier else x, previous, ())
        if _TIME.fullmatch(x):
            return _TIME.sub(x, previous, count=1) if _TIME.search(previous) else x + previous
        runs = [r for r in self.runs(previous) if not _TIME.fullmatch("".join(r.words))]
        if not runs:
            return x + previous
        if modifier:
            first = runs[0]
            return previous[: first.start] + x + previous[first.start + len(first.words[0]):]
        target = self._parallel(previous, runs, x)
        if len(target.words) > 1 and target.head in _WHOLE_NOUNS:
            # “A整体…” → “那B呢”: B is a part of A, so A stays and B takes the place of the whole
            return previous[: target.end - len(target.head)] + x + previous[target.end:]
        return previous[: target.start] + x + previous[target.end:]

    def _parallel(self, previous: str, runs: list[_Run], x: str) -> _Run:
        """The noun phrase of the previous question that X stands in for."""
        x_words = {w for w, _ in self.tagger(x) if len(w) > 1}
        for run in runs:
            if x_words & set(run.words) or (len(x) >= 2 and "".join(run.words).endswith(x[-2:])):
                return run
        for a, b in pairwise(runs):
            if previous[a.end: b.start].endswith("的"):  # A的B, also with an adjunct: A每个月的B
                return a if b.is_attribute() or b.head in ATTRIBUTE_NOUNS else b
        return runs[0]

    # ---- noun phrases ---------------------------------------------------------------------
    def runs(self, text: str) -> list[_Run]:
        """Maximal runs of nominal words (jieba tags; corpus terms, tagged ``x``, count as nouns)."""
        runs: list[_Run] = []
        words: list[str] = []
        start = pos = 0
        tagged = self._tagged(text)
        for i, (word, flag) in enumerate(tagged):
            # the word after a modal verb is the predicate (今年要新建多少个…), whatever the tagger says
            nominal = self._nominal(word, flag) and not (i and tagged[i - 1][0] in _MODALS and flag != "nz")
            # A verb inside a compound noun (无障碍改造工程, 水光互补电站) joins the run it sits in.
            inner_verb = (bool(words) and flag.startswith("v") and word not in _AUXILIARIES
                          and i + 1 < len(tagged) and self._nominal(*tagged[i + 1]))
            if nominal or inner_verb or (words and word in _JOINERS):
                if not words:
                    start = pos
                words.append(word)
            elif words:
                runs.append(_Run(start, pos, tuple(words)))
                words = []
            pos += len(word)
        if words:
            runs.append(_Run(start, pos, tuple(words)))
        return [r for r in runs if any(w not in _JOINERS for w in r.words)]

    def _has_subject(self, text: str) -> bool:
        """Whether the question names something of its own (a noun that is not an attribute or a verbal noun)."""
        flags = dict(self._tagged(text))
        return any(
            flags.get(word, "n") not in ("vn", "v")
            for run in self.runs(text)
            for word in run.words
            if word not in ATTRIBUTE_NOUNS and word not in _JOINERS
        )

    def _nominal(self, word: str, flag: str) -> bool:
        return word not in self.stopwords and (
            flag.startswith(_NOMINAL_FLAGS) or (flag == "x" and len(word) > 1 and not word.isspace())
        )

    def _tagged(self, text: str) -> list[tuple[str, str]]:
        """Tagged words, a quoted term or book title kept as one noun."""
        out: list[tuple[str, str]] = []
        last = 0
        for match in _QUOTED.finditer(text):
            out.extend(self.tagger(text[last: match.start()]))
            out.append((match.group(0), "nz"))
            last = match.end()
        out.extend(self.tagger(text[last:]))
        return out

    def own_words(self, text: str) -> tuple[str, ...]:
        """The words naming what ``text`` is about: those of its noun phrases that are not attribute nouns."""
        return tuple(dict.fromkeys(
            w for run in self.runs(text) for w in run.words if w not in ATTRIBUTE_NOUNS and w not in _JOINERS
        ))

    def subject(self, question: str) -> str:
        """The noun phrases of a question that carry its subject (attribute-only phrases left out)."""
        text = _END.sub("", question)
        return "".join(self._subject_parts(text)) or text

    def _subject_parts(self, text: str) -> list[str]:
        return list(dict.fromkeys(text[r.start: r.end] for r in self.runs(text) if not r.is_attribute()))

    def _pair(self, earlier: str, previous: str) -> str:
        """The subjects of two questions as “A和B”, noun phrases they end on alike said once."""
        a, b = self._subject_parts(earlier) or [earlier], self._subject_parts(previous) or [previous]
        shared = 0
        while shared < min(len(a), len(b)) - 1 and a[-1 - shared] == b[-1 - shared]:
            shared += 1
        if a == b:
            return "".join(a)
        return "".join(a[: len(a) - shared]) + "和" + "".join(b[: len(b) - shared]) + "".join(b[len(b) - shared:])

