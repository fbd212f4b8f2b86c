"""e5's Unigram tokenizer in ~50 MB instead of ~280 MB: the same ids as ``tokenizers``, without its trie.

Hugging Face ``tokenizers`` keeps the 250,002-piece vocabulary as a trie with a hash map per node,
which costs ≈ 280 MB of resident memory per process — more than the int8 model itself. Here the
vocabulary is one dict (piece → id) and an array of scores, and the Viterbi search looks each
substring of up to ``max piece length`` characters up in the dict. Everything else (the normalizer,
the ``▁`` pre-tokenizer) is the folder's own ``tokenizer.json`` read by ``tokenizers``, so only the
search is ours; it follows ``tokenizers``' ``Unigram::encode_optimized`` step by step (candidates
visited by start position, then length; a tie keeps the earlier candidate; an uncovered character is
``<unk>`` scored ``min score − 10``; runs of unknowns fused into one token), and tests compare the ids
with the reference on the corpus and on odd inputs. ~10 µs per character in pure Python: cheap for a
question; bulk passage encoding uses the reference tokenizer (see ``models.encoder``).
"""

from __future__ import annotations

import json
import re
from array import array
from pathlib import Path

UNK_PENALTY = 10.0  # as in sentencepiece and tokenizers


class UnigramTokenizer:
    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads(Path(path).read_text(encoding="utf-8"))
        model = config["model"]
        if model.get("type") != "Unigram" or model.get("byte_fallback"):
            raise ValueError(f"{path}: expected a Unigram model without byte fallback")
        vocab = model["vocab"]
        # Fresh copies of the pieces: the parsed JSON's strings sit among its lists and floats, whose
        # memory could not go back to the system once those are freed (≈ 27 MB less resident).
        self._ids = {(piece + "\0")[:-1]: i for i, (piece, _) in enumerate(vocab)}
        self._scores = array("d", (score for _, score in vocab))
        self._unk_id = int(model["unk_id"])
        self._unk_score = min(self._scores) - UNK_PENALTY
        self._longest = max(len(piece) for piece, _ in vocab)
        truncation = config.get("truncation") or {}
        self._max_length = int(truncation.get("max_length") or 0)
        self._special = {t["content"]: int(t["id"]) for t in config.get("added_tokens", ()) if not t["normalized"]}
        names = sorted(self._special, key=len, reverse=True)
        self._special_re = re.compile("(" + "|".join(map(re.escape, names)) + ")") if names else None
        post = config["post_processor"]
        if post.get("type") != "TemplateProcessing":
            raise ValueError(f"{path}: expected a TemplateProcessing post-processor")
        self._prefix, self._suffix = _template_ids(post)
        # The normalizer and pre-tokenizer come from tokenizers itself, on an empty vocabulary.
        del config["model"]["vocab"][1:]
        config["model"]["unk_id"] = 0
        config["added_tokens"] = []
        config["post_processor"] = None
        config["truncation"] = None
        shell = Tokenizer.from_str(json.dumps(config))
        self._normalizer, self._pre_tokenizer = shell.normalizer, shell.pre_tokenizer

    def encode(self, text: str) -> list[int]:
        """Ids with the special tokens around them, truncated like the reference."""
        ids: list[int] = []
        parts = self._special_re.split(text) if self._special_re else [text]
        for n, part in enumerate(parts):
            if n % 2:
                ids.append(self._special[part])
            elif part:
                text = self._normalizer.normalize_str(part) if self._normalizer else part
                pieces = self._pre_tokenizer.pre_tokenize_str(text) if self._pre_tokenizer else [(text, None)]
                for piece, _ in pieces:
                    ids.extend(self._viterbi(piece))
        if self._max_length:
            ids = ids[: max(0, self._max_length - len(self._prefix) - len(self._suffix))]
        return self._prefix + ids + self._suffix

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]] | None:
        """``encode``'s ids with each token's character range in ``text`` (as the reference's offsets:
        a token's leading ``▁`` covers the space it stands for; special tokens get (0, 0)).

        Only for text the normalizer maps character for character (every character to exactly one,
        nothing removed or merged: most Chinese text, checked here) and without special tokens;
        otherwise ``None``, and the caller asks the reference tokenizer.
        """
        if not text or (self._special_re and self._special_re.search(text)) or not self._normalizer:
            return None
        normal = self._normalizer.normalize_str(text)
        if len(normal) != len(text) or any(len(self._normalizer.normalize_str(ch)) != 1 for ch in text):
            return None
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        pieces = self._pre_tokenizer.pre_tokenize_str(normal) if self._pre_tokenizer else [(normal, (0, len(normal)))]
        for piece, (start, end) in pieces:
            lead = len(piece) - (end - start)  # the ``▁`` the pre-tokenizer put before the text
            at = start - lead
            for token in self._segment(piece):
                ids.append(self._ids.get(token, self._unk_id))
                # the prepended ``▁`` stands for no character: the reference aligns it with the first one
                offsets.append((start, max(at + len(token), start + 1)) if at < start else (at, at + len(token)))
                at += len(token)
        if self._max_length:
            keep = max(0, self._max_length - len(self._prefix) - len(self._suffix))
            ids, offsets = ids[:keep], offsets[:keep]
        edges = [(0, 0)]
        return (self._prefix + ids + self._suffix,
                edges * len(self._prefix) + offsets + edges * len(self._suffix))

    def _viterbi(self, text: str) -> list[int]:
        return [self._ids.get(p, self._unk_id) for p in self._segment(text)]

    def _segment(self, text: str) -> list[str]:
        """The pieces of ``text`` on the best path (a run of unknown characters is one piece)."""
        size = len(text)
        if not size:
            return []
        ids, scores, unk_id, unk_score, longest = self._ids, self._scores, self._unk_id, self._unk_score, self._longest
        best = [0.0] * (size + 1)
        start = [-1] * (size + 1)
        token = [0] * (size + 1)
        for begin in range(size):
            here = best[begin]
            single = False
            for end in range(begin + 1, min(size, begin + longest) + 1):
                piece_id = ids.get(text[begin:end])
                if piece_id is None:
                    continue
                candidate = scores[piece_id] + here
                if start[end] < 0 or candidate > best[end]:
                    best[end], start[end], token[end] = candidate, begin, piece_id
                if end == begin + 1:
                    single = True
            if not single:
                end = begin + 1
                candidate = unk_score + here
                if start[end] < 0 or candidate > best[end]:
                    best[end], start[end], token[end] = candidate, begin, unk_id
        pieces: list[str] = []
        unknown: list[str] = []
        end = size
        while end > 0:
            begin = start[end]
            if token[end] == unk_id:
                unknown.append(text[begin:end])
            else:
                if unknown:
                    pieces.append("".join(reversed(unknown)))
                    unknown = []
                pieces.append(text[begin:end])
            end = begin
        if unknown:
            pieces.append("".join(reversed(unknown)))
        return pieces[::-1]


def _template_ids(post: dict) -> tuple[list[int], list[int]]:
    """The special-token ids a single-sequence template puts before and after the text."""
    prefix: list[int] = []
    suffix: list[int] = []
    seen_text = False
    for item in post["single"]:
        if "Sequence" in item:
            seen_text = True
            continue
        name = item["SpecialToken"]["id"]
        (suffix if seen_text else prefix).extend(post["special_tokens"][name]["ids"])
    return prefix, suffix
