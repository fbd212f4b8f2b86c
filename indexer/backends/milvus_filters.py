"""``SearchFilters`` as a Milvus boolean expression, every value quoted safely.

Access (``groups`` against the document's ``visibility``) and lifecycle ``hide`` (in force
on ``as_of`` or today, as ``records.status_on`` decides) are part of the expression, so
the documents they exclude are never candidates.

Values are user input: each becomes a double-quoted string literal with ``\\`` and
``"`` escaped and control characters dropped (metadata never holds them), and the
issuer substring additionally escapes LIKE's wildcards ``%`` and ``_``, so no value
can change the expression's structure or widen a match. The expression selects the
same chunks as ``SearchFilters.accepts`` (the contract tests check both backends).
"""

from __future__ import annotations

import re

from indexer.records import ENDED_STATUSES, SearchFilters, today_iso

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def literal(value: str) -> str:
    """A Milvus string literal that means exactly ``value``."""
    clean = _CONTROL.sub("", value)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def like_contains(value: str) -> str:
    """A LIKE pattern literal matching any string that contains ``value``."""
    escaped = _CONTROL.sub("", value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return literal(f"%{escaped}%")


def filter_expression(filters: SearchFilters | None) -> str:
    """The expression for these filters; ``""`` when there are none."""
    if filters is None:
        return ""
    parts = access_expressions(filters)
    if filters.doc_id:
        parts.append(f"doc_id == {literal(filters.doc_id)}")
    if filters.doc_number:
        parts.append(f"doc_number == {literal(filters.doc_number)}")
    if filters.issuer:
        parts.append(f"issuer like {like_contains(filters.issuer)}")
    if filters.date_from or filters.date_to:
        parts.append('date != ""')
    if filters.date_from:
        parts.append(f"date >= {literal(filters.date_from)}")
    if filters.date_to:
        parts.append(f"date <= {literal(filters.date_to)}")
    return " and ".join(parts)


def access_expressions(filters: SearchFilters) -> list[str]:
    parts = []
    if filters.groups is not None:
        readable = "array_length(visibility) == 0"
        if filters.groups:
            groups = ", ".join(literal(g) for g in sorted(filters.groups))
            readable = f"({readable} or array_contains_any(visibility, [{groups}]))"
        parts.append(readable)
    if filters.effective_lifecycle == "hide":
        day = literal(filters.as_of or today_iso())
        ended = ", ".join(literal(s.value) for s in sorted(ENDED_STATUSES))
        parts.append(f'(effective_from == "" or effective_from <= {day}) and '
                     f'(effective_to == "" or effective_to >= {day}) and '
                     f'not (effective_to == "" and status in [{ended}])')
    return parts


def in_list(field: str, values: list) -> str:
    """``field in [...]`` for ids (ints) or strings (quoted)."""
    items = ", ".join(str(int(v)) if isinstance(v, int) else literal(v) for v in values)
    return f"{field} in [{items}]"
