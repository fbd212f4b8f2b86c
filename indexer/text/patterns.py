"""The one home of patterns shared across stages: 文号, sentence ends, department names.

Official documents print a 文号 with any of several bracket pairs (〔〕 is correct,
[] ［］ () （） 【】 are common slips), so every stage that looks for one uses
the same bracket sets defined here.
"""

from __future__ import annotations

import re

HAN = r"\u4e00-\u9fff"
BRACKET_OPEN = "〔\\[［(（【"
BRACKET_CLOSE = "〕\\]］)）】"

# A 文号 as it appears in running text or normalized form: 青政办〔2017〕13号.
DOC_NUMBER = re.compile(rf"[{HAN}]{{1,8}}[{BRACKET_OPEN}]\d{{4}}[{BRACKET_CLOSE}]\d{{1,4}}号")
# A 文号 as printed on a header line, tolerant of spaces and 第: 青政办 〔 2017 〕 第13号 (year, number).
DOC_NUMBER_LOOSE = re.compile(
    rf"[{HAN}]{{1,12}}\s*[{BRACKET_OPEN}]\s*(\d{{4}})\s*[{BRACKET_CLOSE}]\s*第?\s*(\d+)\s*号"
)

SENTENCE_END_CHARS = "。！？；!?;"
CLOSING_CHARS = "”’」』）)】"
# One sentence end with the closing quotes or brackets that belong to it.
SENTENCE_END = re.compile(rf"[{SENTENCE_END_CHARS}][{CLOSING_CHARS}]*")

# A department or body named in full: 省人力资源社会保障厅, 国家发展改革委, 省政府办公厅.
DEPARTMENT = re.compile(
    rf"(?:省|市|州|县|国家|国务院)[{HAN}]{{1,10}}?(?:办公厅|办公室|委员会|厅|局|委|办|中心|院|银行|公司)"
)
