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

# ---- lifecycle statements (indexer/ingest/lifecycle.py) ----------------------------------
# A date as official text prints it: 2019年3月1日 (spaces tolerated).
DATE_CN = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_ISSUE_DAY = r"(?:印发|发布|公布|下发|签发|发文)之日"
# 自2019年3月1日起施行 / 自印发之日起执行 / 自发布之日起实施 (group 1: the date or the 之日 phrase).
TAKES_EFFECT = re.compile(rf"自\s*({DATE_CN}|{_ISSUE_DAY})\s*起\s*(?:施行|执行|实施|生效)")
# 自2019年3月1日起停止执行 / 废止 (said of other documents; group 1 as above).
STOPS_FROM = re.compile(rf"自\s*({DATE_CN}|{_ISSUE_DAY})\s*起\s*(?:停止执行|废止|不再执行|失效)")
# 有效期至2020年12月31日 / 有效期到… (group 1: the last day).
VALID_UNTIL = re.compile(rf"有效期\s*(?:至|到|截至|截止到?)\s*({DATE_CN})")
# 有效期为5年 / 有效期三年 (group 1: the number of years).
VALID_YEARS = re.compile(r"有效期\s*为?\s*([一二三四五六七八九十\d]{1,2})\s*年")
# Words that repeal what the same sentence names.
REPEAL_WORDS = re.compile(r"同时废止|予以废止|一并废止|宣布废止|停止执行|不再执行|废止")
# A document referred to by title, with its 文号 in brackets right after when given:
# 《青海省城乡居民医疗救助办法》（青政办〔2015〕20号） (group 1 title, group 2 文号).
DOC_REFERENCE = re.compile(
    rf"《([^《》\n]{{2,80}})》\s*(?:[（(]\s*({DOC_NUMBER.pattern})\s*[）)])?"
)
# Where a document says it revises another (group 1: the revised document's title).
REVISES = re.compile(
    r"修订后的\s*《([^《》\n]{2,80})》"
    r"|关于(?:修订|修改|修正)\s*《([^《》\n]{2,80})》"
    r"|对\s*《([^《》\n]{2,80})》[^。；\n]{0,40}?进行(?:了)?(?:修订|修改|修正)"
    r"|《([^《》\n]{2,80})》[^。；\n]{0,30}?(?:修订|修正)如下"
)
