"""What kind of fact a question asks for, and whether a sentence carries one.

A question asking 多少 wants a number with a unit, 什么时候 a date, 谁牵头 a
department, 哪些 a list. Sentences that carry that kind of fact are preferred
when the answer is composed.
"""

from __future__ import annotations

import re

from indexer.records import Intent
from indexer.text.patterns import DOC_NUMBER

_QUESTION_CUES: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.DOC_NUMBER, re.compile(r"几号文|文号|哪个文件印发|以什么文")),
    (Intent.DATE, re.compile(
        r"什么时候|何时|哪天|哪一天|几号发|哪年|几月|什么时间|啥时候|截止|期限|多久|哪个阶段.*时间|日期"
    )),
    (Intent.DEPARTMENT, re.compile(
        r"哪个部门|哪些部门|哪个单位|哪些单位|谁牵头|谁负责|谁管|归谁|牵头|哪个厅|哪个委|由谁|哪家单位|谁来"
    )),
    # 哪几条 asks for a list, not a count
    (Intent.NUMBER, re.compile(r"多少|(?<!哪)几|多大|多长|多高|多远|多密|比例|标准是|百分之")),
    (Intent.LIST, re.compile(r"哪些|哪几|包括什么|有什么|什么内容|几大|哪[一-龥]{0,2}项")),
]

# A date, or a duration (a question about a 期限 or 多久 is answered by "不超过2年", "30个工作日内").
_DATE = re.compile(
    r"\d{4}年(\d{1,2}月)?(\d{1,2}日)?|\d{1,2}月(\d{1,2}日)?|[年月]底前|年底|上半年|下半年|季度"
    r"|\d+\s*个?(年|月|周|天|日|工作日|小时)(内|以内|之内)?"
)
_NUMBER = re.compile(
    r"\d+(\.\d+)?\s*(%|％|元|万元|亿元|万|亿|个|家|人|次|所|座|条|项|千瓦|万千瓦|公里|米|平方公里|架次|户|年|天|倍"
    r"|M|MHz|G)"
    r"|(?<!第)[两二三四五六七八九十百千]+(次|项|条|家|所|座|批|倍|个百分点)"
    r"|\d+(?:[:：]\d+)+"  # a ratio: 按5:3:2的比例分担
)
_DEPARTMENT = re.compile(r"(省|市|州|县)[\u4e00-\u9fff]{1,12}(厅|委|局|办|中心|院|公司)|牵头|负责")
_LIST = re.compile(r"[^、]+、[^、]+、|；.+；|①|一是.+二是")
# A total: asked for by 一共/合计多少, given by a table's 合计 row or a sentence's 共计.
_TOTAL = re.compile(r"合计|总计|共计|一共|总共")


def classify(question: str) -> Intent:
    for intent, cue in _QUESTION_CUES:
        if cue.search(question):
            return intent
    return Intent.OTHER


def states_total(text: str) -> bool:
    """Whether a question asks for a total, or a sentence (a table's 合计 row) gives one."""
    return bool(_TOTAL.search(text))


def carries(intent: Intent, sentence: str) -> bool:
    pattern = {
        Intent.NUMBER: _NUMBER,
        Intent.DATE: _DATE,
        Intent.DEPARTMENT: _DEPARTMENT,
        Intent.LIST: _LIST,
        Intent.DOC_NUMBER: DOC_NUMBER,
    }.get(intent)
    return bool(pattern and pattern.search(sentence))
