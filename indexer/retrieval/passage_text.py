"""What each index sees of a chunk.

The dense encoder gets ``passage: `` (added by the encoder) + the chunk's text as
chosen by the ``DENSE_TEXT`` setting (``DENSE_TEXTS``): title + clause path + text
(``title_path_text``), clause path + text (``path_text``), the last heading + text
(``heading_text``) or the clause text alone (``text``). An index records the choice
it was built with and only opens with the same one. BM25 gets the title, 文号,
clause path and text.
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.records import Chunk


def _path(chunk: Chunk) -> str:
    return " ".join(h for h in chunk.heading_path[1:] if h)


def _heading(chunk: Chunk) -> str:
    return next((h for h in reversed(chunk.heading_path[1:]) if h), "")


DENSE_TEXTS: dict[str, Callable[[Chunk], tuple[str, ...]]] = {
    "title_path_text": lambda c: (c.doc_title, _path(c), c.text),
    "path_text": lambda c: (_path(c), c.text),
    "heading_text": lambda c: (_heading(c), c.text),
    "text": lambda c: (c.text,),
}


def dense_text(chunk: Chunk, recipe: str) -> str:
    """The text the dense encoder embeds for ``chunk`` under the ``DENSE_TEXT`` choice ``recipe``."""
    try:
        parts = DENSE_TEXTS[recipe](chunk)
    except KeyError:
        raise ValueError(f"unknown dense text {recipe!r}; choose one of {', '.join(DENSE_TEXTS)}") from None
    return "\n".join(p for p in parts if p)


def bm25_text(chunk: Chunk) -> str:
    return "\n".join(p for p in (chunk.doc_title, chunk.doc_number, _path(chunk), chunk.text) if p)
