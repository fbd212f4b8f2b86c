"""Answer sentence vectors come from the index (issue 15); a request's rows are always its own.

The request-time memo of issue 12 is gone: the index stores every chunk's sentence vectors
when it embeds the chunk. What stays to check is that each row returned belongs to the text
asked for, with repeats, and that a sentence the index does not hold is encoded once.
"""

import numpy as np
import pytest

from service.answering import _StoredSentenceVectors

pytestmark = pytest.mark.slow


def test_rows_are_the_stored_vectors_of_the_texts_asked_for(gazette_index):
    hits = gazette_index.search("农村低保一年人均能拿到多少？", top_k=5).hits
    lookup = _StoredSentenceVectors(gazette_index, hits)
    stored = {}
    for sentences, vectors in gazette_index.sentence_vectors([h.chunk.chunk_id for h in hits]):
        stored.update({s.text: v for s, v in zip(sentences, vectors, strict=True)})
    texts = list(stored)[:4]
    asked = [texts[2], texts[0], texts[2], texts[3], texts[1]]
    got = lookup(asked)
    assert got.shape == (5, gazette_index.encoder.dim) and lookup.encoded == 0
    for row, text in zip(got, asked, strict=True):
        np.testing.assert_array_equal(row, stored[text])


def test_a_sentence_the_index_does_not_hold_is_encoded_once(gazette_index):
    hits = gazette_index.search("众创空间到2020年要达到多少家", top_k=3).hits
    lookup = _StoredSentenceVectors(gazette_index, hits)
    new = "这句话不在任何条款里。"
    first = lookup([new, new])
    again = lookup([new])
    assert lookup.encoded == 1
    np.testing.assert_array_equal(first[0], again[0])
    assert float(first[0] @ gazette_index.embed_sentences([new])[0]) > 0.99
