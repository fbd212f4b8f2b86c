"""The source view: a whole document as HTML, its clause hierarchy, one clause and quote highlighted.

Every string from the index goes through ``html.escape``; the page carries no
script from the document. ``#chunk-<id>`` scrolls to a clause (CSS ``:target``
highlights it); ``?chunk=<id>&q=<quote>`` also marks the quoted sentence inside it.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote as url_quote

from indexer.records import ENDED_STATUSES, Chunk, Document, Status, status_on

LIFECYCLE_FIELDS = (  # shown when the document carries them (attribute or metadata key)
    ("effective_from", "施行日期"),
    ("effective_to", "截止日期"),
    ("superseded_by", "被替代为"),
    ("supersedes", "替代"),
    ("visibility", "可见范围"),
)

_CSS = """
body{margin:0;font:15px/1.8 "PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
color:#1f2933;background:#f5f6f8}
header{background:#b71c1c;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:20px;line-height:1.4}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0;font-size:13px}
dl.meta div{display:flex;gap:4px}dl.meta dt{opacity:.8}dl.meta dd{margin:0;font-weight:600}
.layout{display:grid;grid-template-columns:minmax(200px,280px) 1fr;gap:20px;max-width:1200px;margin:0 auto;padding:18px}
nav.toc{position:sticky;top:12px;align-self:start;max-height:calc(100vh - 40px);overflow:auto;background:#fff;
border:1px solid #e4e7eb;border-radius:8px;padding:10px 12px;font-size:13px}
nav.toc h2{font-size:14px;margin:0 0 6px}nav.toc ol{list-style:none;margin:0;padding:0}
nav.toc a{color:#3e4c59;text-decoration:none;display:block;padding:1px 0}nav.toc a:hover{color:#b71c1c}
main{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:18px 26px}
.clause{white-space:pre-wrap;word-break:break-word;padding:4px 8px;margin:0 -8px;border-radius:6px;
scroll-margin-top:30vh;border-left:3px solid transparent}
.clause:target,.clause.cited{background:#fff4d6;border-left-color:#e0a100}
.path{font-size:12px;color:#7b8794;margin:14px 0 0;white-space:normal}
mark.quote{background:#ffd54f;color:inherit;padding:1px 0;border-radius:2px}
.gap{white-space:pre-wrap;color:#52606d}
.status-repealed,.status-expired,.status-superseded{color:#ffd6d6}
.notice{background:#fdecec;color:#8a1c1c;border:1px solid #f5a3a3;padding:6px 10px;border-radius:6px;margin-bottom:12px}
@media (max-width:800px){.layout{grid-template-columns:1fr}nav.toc{position:static}}
"""


def field_value(doc: Document, name: str) -> str:
    """A lifecycle or visibility field, wherever the document keeps it ('' when it has none)."""
    value = getattr(doc, name, None)
    if value in (None, ""):
        value = (doc.metadata or {}).get(name)
    if value in (None, ""):
        return ""
    if isinstance(value, list | tuple | set):
        return "、".join(str(v) for v in value)
    return str(value)


def _mark_quote(text: str, quote: str) -> str:
    """``text`` escaped, with the first occurrence of ``quote`` (whitespace-tolerant) in a <mark>."""
    quote = "".join(quote.split())
    if len(quote) >= 2:
        pattern = r"[\s*]*".join(re.escape(ch) for ch in quote)
        match = re.search(pattern, text)
        if match:
            return (escape(text[: match.start()]) + '<mark class="quote" id="quote">' + escape(match.group(0))
                    + "</mark>" + escape(text[match.end():]))
    return escape(text)


def _clause_path(chunk: Chunk) -> list[str]:
    path = list(chunk.heading_path)
    if path and path[0] == chunk.doc_title:
        path = path[1:]
    return path


def render_document(doc: Document, chunks: list[Chunk], cited: str = "", quote: str = "") -> str:
    status = status_on(doc) if hasattr(doc, "status") else None
    meta = [("文号", doc.doc_number), ("发文机关", doc.issuer), ("成文日期", doc.date),
            ("状态", status.value if status else "")]
    meta += [(label, field_value(doc, name)) for name, label in LIFECYCLE_FIELDS]
    meta_html = "".join(
        f"<div><dt>{escape(label)}：</dt><dd data-field=\"{escape(label)}\">{escape(value)}</dd></div>"
        for label, value in meta if value
    )
    notice = ""
    if status in ENDED_STATUSES or status == Status.PENDING:
        notice = f'<p class="notice" role="alert">本文件{escape(status.value)}，仅供查阅。</p>'

    toc, body = [], []
    seen_paths: set[tuple[str, ...]] = set()
    last_path: tuple[str, ...] | None = None
    pos = 0
    for chunk in sorted(chunks, key=lambda c: (c.start, c.end)):
        path = tuple(_clause_path(chunk))
        anchor = f"chunk-{chunk.chunk_id}"
        if path and path not in seen_paths:
            seen_paths.add(path)
            toc.append(f'<li style="padding-left:{(len(path) - 1) * 12}px"><a href="#{escape(anchor)}">'
                       f"{escape(path[-1])}</a></li>")
        start = max(chunk.start, pos)
        if start > pos:
            gap = doc.text[pos:start]
            if gap.strip():
                body.append(f'<div class="gap">{escape(gap.strip(chr(10)))}</div>')
        text = doc.text[start: chunk.end] if chunk.end > start else ""
        if not text.strip():
            text = chunk.text
        if path != last_path and path:
            body.append(f'<p class="path">{escape(" › ".join(path))}</p>')
        last_path = path
        is_cited = chunk.chunk_id == cited
        inner = _mark_quote(text.strip("\n"), quote) if is_cited and quote else escape(text.strip("\n"))
        body.append(f'<section class="clause{" cited" if is_cited else ""}" id="{escape(anchor)}" '
                    f'data-chunk-id="{escape(chunk.chunk_id)}" tabindex="-1">{inner}</section>')
        pos = max(pos, chunk.end)
    if pos < len(doc.text) and doc.text[pos:].strip():
        body.append(f'<div class="gap">{escape(doc.text[pos:].strip(chr(10)))}</div>')
    if not chunks:
        body.append(f'<div class="gap">{escape(doc.text)}</div>')

    focus = ""
    if cited:
        # Scroll the cited clause (or its quote) into the middle of the view once the page is laid out.
        focus = ("<script>addEventListener('load',()=>{const q=document.getElementById('quote');"
                 "const c=document.querySelector('.clause.cited');const t=q||c;"
                 "if(t){t.scrollIntoView({block:'center'});if(c)c.focus({preventScroll:true});}});</script>")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(doc.title)} — 原文</title><style>{_CSS}</style></head>
<body><header><h1>{escape(doc.title)}</h1><dl class="meta">{meta_html}</dl></header>
<div class="layout"><nav class="toc" aria-label="条款目录"><h2>条款目录</h2><ol>{"".join(toc)}</ol></nav>
<main>{notice}{"".join(body)}</main></div>{focus}</body></html>"""


def source_link(doc_id: str, chunk_id: str, quote: str = "") -> str:
    """The URL of the source view at one clause, with its quote marked."""
    link = f"/documents/{url_quote(doc_id, safe='')}?chunk={url_quote(chunk_id, safe='')}"
    if quote:
        link += f"&q={url_quote(quote[:300], safe='')}"
    return f"{link}#chunk-{url_quote(chunk_id, safe='')}"
