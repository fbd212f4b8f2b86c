"""Link repealing and revising documents to the documents they name, both ways.

A claim (from ``lifecycle.extract_lifecycle``) names its target by 文号 and/or title. It is
resolved among the other documents issued no later than the claiming one: by 文号 first,
else by title (the target's own title, or the 《…》 a 关于印发《…》的通知 carries; the
latest earlier match wins). The target then gets ``status`` 已废止 (or 已修订),
``superseded_by`` the claimant's 文号 and ``effective_to`` the day before the claim takes
effect; the claimant's ``supersedes`` names the target's 文号. Documents are copied, never
changed in place, so an index that is serving keeps its own records.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from indexer.ingest.lifecycle import REVISE, day_before
from indexer.ingest.normalizer import fold_width
from indexer.records import Document, Status
from indexer.text.patterns import BRACKET_CLOSE, BRACKET_OPEN

_OPEN = re.compile(f"[{BRACKET_OPEN}]")
_CLOSE = re.compile(f"[{BRACKET_CLOSE}]")


def norm_number(number: str) -> str:
    """One spelling of a 文号: no spaces, 〔〕 brackets, no 第 (青政办 [2017] 第13号 → 青政办〔2017〕13号)."""
    text = re.sub(r"\s+", "", fold_width(number)).replace("第", "")
    return _CLOSE.sub("〕", _OPEN.sub("〔", text))


def _norm_title(title: str) -> str:
    return re.sub(r"[\s《》“”\"]", "", fold_width(title))


def link_documents(new: Iterable[Document], existing: Iterable[Document] = ()) -> tuple[list[Document], list[Document]]:
    """Apply every claim between ``new`` documents and between new and ``existing`` ones.

    Returns (the new documents, the existing documents that changed), all as copies.
    Claims between two existing documents were applied when they were added.
    """
    new = [copy.deepcopy(d) for d in new]
    new_ids = {d.doc_id for d in new}
    pool = {d.doc_id: d for d in existing if d.doc_id not in new_ids}
    pool.update({d.doc_id: d for d in new})
    changed: set[str] = set()
    for source in list(pool.values()):
        for claim in source.metadata.get("lifecycle", {}).get("claims", []):
            target = _resolve(claim, source, pool.values())
            if target is None or (source.doc_id not in new_ids and target.doc_id not in new_ids):
                continue
            if target.doc_id not in new_ids and target.doc_id not in changed:
                target = pool[target.doc_id] = copy.deepcopy(target)
            if source.doc_id not in new_ids and source.doc_id not in changed:
                source = pool[source.doc_id] = copy.deepcopy(source)
            _apply(source, target, claim)
            changed.update({source.doc_id, target.doc_id})
    return [pool[d.doc_id] for d in new], [pool[i] for i in sorted(changed - new_ids)]


def _resolve(claim: dict, source: Document, documents: Iterable[Document]) -> Document | None:
    earlier = [d for d in documents if d.doc_id != source.doc_id and d.kind == "document"
               and (not d.date or not source.date or d.date <= source.date)]
    if claim.get("doc_number"):
        wanted = norm_number(claim["doc_number"])
        for doc in earlier:
            if doc.doc_number and norm_number(doc.doc_number) == wanted:
                return doc
        return None
    title = _norm_title(claim.get("title", ""))
    if len(title) < 4:
        return None
    matches = [d for d in earlier if _names(d, title)]
    return max(matches, key=lambda d: d.date or "", default=None)


def _names(doc: Document, title: str) -> bool:
    own = _norm_title(doc.title)
    return own == title or own.endswith(f"印发{title}的通知") or own.endswith(f"{title}的通知")


def _apply(source: Document, target: Document, claim: dict) -> None:
    ended = Status.REVISED if claim.get("kind") == REVISE else Status.REPEALED
    if target.status != Status.REVISED.value or ended == Status.REVISED:
        target.status = ended.value
    _add(target.superseded_by, source.reference)
    written = claim.get("doc_number") or f"《{claim.get('title', '')}》"
    source.supersedes = [target.reference if s == written else s for s in source.supersedes]
    _add(source.supersedes, target.reference)
    starts = claim.get("from") or source.effective_from or source.date
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", starts or ""):
        last = day_before(starts)
        target.effective_to = min(target.effective_to, last) if target.effective_to else last


def _add(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)
