"""The Milvus collections of one index, their fields and indexes.

An index named ``NAME`` (setting ``MILVUS_COLLECTION``) is a small ``NAME_meta``
collection, whose ``active`` row names the current version, plus four collections
per version ``NAME_vN_*``:

- ``chunks``: one row per clause chunk: its fields, its document's access and
  lifecycle fields, the indexed terms, the dense vector (inner product of unit vectors, i.e. cosine;
  FLAT on Milvus Lite, HNSW on a server) and the BM25 sparse vector; ``seq`` orders chunks as they were indexed;
- ``docs``: one row per document: its record (every field of ``Document`` but the
  text), chunk count and the keys of its header and signature clauses;
- ``texts``: document texts in parts (a VARCHAR holds 64 KiB);
- ``terms``: document frequency per term, and the corpus dictionary (``user``).

Milvus needs a vector field in every collection; the non-chunk collections carry a
2-dimensional placeholder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _import_pymilvus():
    """pymilvus reads MILVUS_URI when imported and rejects a Milvus Lite file path; our setting of that
    name may hold one, so it is hidden from pymilvus while it loads."""
    saved = os.environ.pop("MILVUS_URI", None)
    try:
        import pymilvus
    finally:
        if saved is not None:
            os.environ["MILVUS_URI"] = saved
    return pymilvus


_pymilvus = _import_pymilvus()
DataType, Function, FunctionType, MilvusClient = (
    _pymilvus.DataType, _pymilvus.Function, _pymilvus.FunctionType, _pymilvus.MilvusClient)

FORMAT_VERSION = 2  # 2: the chunks' heading vectors (``heading``)
META_VECTOR_DIM = 2
TEXT_PART_CHARS = 15_000  # ≤ 60 KB in UTF-8 (at most 4 bytes a character)
LONG = 65_535
ID_CHARS = 512
MAX_GROUPS = 256  # groups that may read one document
HNSW_PARAMS = {"M": 32, "efConstruction": 256}
HNSW_EF_SEARCH = 512
DENSE_METRIC = "IP"
LEXICAL_MODES = ("sparse", "milvus-bm25")


@dataclass(frozen=True)
class Names:
    meta: str
    chunks: str
    docs: str
    texts: str
    terms: str

    @classmethod
    def of(cls, prefix: str, version: int) -> Names:
        base = f"{prefix}_v{version}"
        return cls(f"{prefix}_meta", f"{base}_chunks", f"{base}_docs", f"{base}_texts", f"{base}_terms")

    def versioned(self) -> tuple[str, ...]:
        return self.chunks, self.docs, self.texts, self.terms


def placeholder() -> list[float]:
    return [1.0] + [0.0] * (META_VECTOR_DIM - 1)


def _with_placeholder(schema, client: MilvusClient):
    schema.add_field("_v", DataType.FLOAT_VECTOR, dim=META_VECTOR_DIM)
    index = client.prepare_index_params()
    index.add_index("_v", index_type="FLAT", metric_type="L2")
    return schema, index


def meta_schema(client: MilvusClient):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=ID_CHARS)
    schema.add_field("value", DataType.VARCHAR, max_length=LONG)
    return _with_placeholder(schema, client)


def docs_schema(client: MilvusClient):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("doc_id", DataType.VARCHAR, is_primary=True, max_length=ID_CHARS)
    schema.add_field("seq", DataType.INT64)
    schema.add_field("record", DataType.JSON)
    schema.add_field("n_chunks", DataType.INT64)
    schema.add_field("text_parts", DataType.INT64)
    schema.add_field("header_seq", DataType.INT64)
    schema.add_field("signature_seq", DataType.INT64)
    return _with_placeholder(schema, client)


def texts_schema(client: MilvusClient):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=ID_CHARS + 8)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=ID_CHARS)
    schema.add_field("part", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=LONG)
    return _with_placeholder(schema, client)


def terms_schema(client: MilvusClient):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("term", DataType.VARCHAR, is_primary=True, max_length=ID_CHARS)
    schema.add_field("df", DataType.INT64)
    schema.add_field("user", DataType.BOOL)
    return _with_placeholder(schema, client)


def chunks_schema(client: MilvusClient, dim: int, lite: bool, lexical: str, jieba_dict: list[str],
                  stop_words: list[str]):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("seq", DataType.INT64, is_primary=True)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=ID_CHARS)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=ID_CHARS)
    schema.add_field("doc_number", DataType.VARCHAR, max_length=LONG)
    schema.add_field("issuer", DataType.VARCHAR, max_length=LONG)
    schema.add_field("date", DataType.VARCHAR, max_length=64)
    schema.add_field("position", DataType.INT64)
    # the document's access and lifecycle, copied onto its chunks so searches filter on them
    schema.add_field("visibility", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_GROUPS,
                     max_length=ID_CHARS)
    schema.add_field("status", DataType.VARCHAR, max_length=64)
    schema.add_field("effective_from", DataType.VARCHAR, max_length=64)
    schema.add_field("effective_to", DataType.VARCHAR, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=LONG)
    schema.add_field("record", DataType.JSON)  # the other chunk fields (title, path, offsets, ...)
    schema.add_field("terms", DataType.JSON)  # the indexed terms, for document frequencies and confidence
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("heading", DataType.FLOAT_VECTOR, dim=dim)  # read per candidate, never searched
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    # The encoder's vectors are L2-normalized, so inner product is cosine (as on the local backend),
    # without Milvus Lite re-normalizing every stored vector on every search as COSINE does.
    if lite:
        index.add_index("vector", index_type="FLAT", metric_type=DENSE_METRIC)
    else:
        index.add_index("vector", index_type="HNSW", metric_type=DENSE_METRIC, params=HNSW_PARAMS)
        for field in ("doc_id", "doc_number", "date", "chunk_id"):
            index.add_index(field, index_type="INVERTED")
    index.add_index("heading", index_type="FLAT", metric_type=DENSE_METRIC)  # Milvus wants every vector indexed
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    if lexical == "milvus-bm25":
        # Milvus's own BM25 over the normalized text, jieba with our dictionary and stopwords.
        analyzer = {"tokenizer": {"type": "jieba", "mode": "search", "dict": jieba_dict},
                    "filter": [{"type": "stop", "stop_words": stop_words}]}
        schema.add_field("lexical_text", DataType.VARCHAR, max_length=LONG, enable_analyzer=True,
                         analyzer_params=analyzer)
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["lexical_text"], output_field_names=["bm25"]))
        index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    return schema, index
