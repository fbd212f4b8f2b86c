"""Province-level regions: the shipped list, and the home province of a corpus.

A provincial gazette says 我省 for its own province, and people ask 咱们省 / 本省;
the home province is the one the documents' titles and issuers name far more
often than any other, so those forms can be expanded to its name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from indexer.text.data_files import data_text

HOME_FORMS = ("咱们省", "咱省", "我省", "本省")
HOME_SHARE = 0.6  # the home province must have this share of all province mentions
HOME_TEXT_SHARE = 0.3  # ... and be named by this share of the texts (a national code naming a few provinces has none)


@lru_cache(maxsize=1)
def regions() -> tuple[tuple[str, ...], ...]:
    """Each region's names, full name first (``regions.txt``)."""
    text = data_text("regions.txt")
    return tuple(tuple(line.split()) for line in text.splitlines() if line.strip() and not line.startswith("#"))


def home_region(texts: Iterable[str]) -> str | None:
    """The full name of the province the texts (titles, issuers) name most, if it clearly dominates."""
    counts: Counter[str] = Counter()
    texts = list(texts)
    for text in texts:
        for names in regions():
            if any(name in text for name in names):
                counts[names[0]] += 1
    if not counts:
        return None
    name, n = counts.most_common(1)[0]
    return name if n >= HOME_SHARE * sum(counts.values()) and n >= HOME_TEXT_SHARE * len(texts) else None
