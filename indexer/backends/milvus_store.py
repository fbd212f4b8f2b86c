"""Reading and writing the collections of one Milvus index (see ``milvus_schema``) through ``MilvusClient``.

Knows rows and collections, nothing of BM25 or ranking. A build writes a new version
of the collections and then flips ``active`` in the meta collection, so a failed build
leaves the previous version serving; incremental updates write the active version in
place. ``state`` (one JSON value in the meta collection) holds the counts and BM25
statistics, the encoder and the generation, which every write increments so other
processes can notice it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from indexer.backends import milvus_schema as schema
from indexer.backends.base import BackendUnavailable
from indexer.backends.milvus_filters import in_list, literal

log = logging.getLogger(__name__)

INSERT_BATCH = 500
LOOKUP_BATCH = 1000
PAGE = 5000


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


class MilvusStore:
    def __init__(self, uri: str, token: str, prefix: str) -> None:
        from pymilvus.exceptions import MilvusException

        self.uri, self.prefix, self.lite = uri, prefix, is_lite(uri)
        if self.lite:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client = schema.MilvusClient(uri=uri, token=token) if token else schema.MilvusClient(uri=uri)
        except (MilvusException, OSError, RuntimeError) as exc:
            raise BackendUnavailable(f"cannot reach Milvus at {uri}: {exc}") from None
        self.names = schema.Names.of(prefix, 0)
        if not self.client.has_collection(self.names.meta):
            self._create(self.names.meta, *schema.meta_schema(self.client))
        self.client.load_collection(self.names.meta)

    def _create(self, name: str, fields, index) -> None:
        """Create a collection with its indexes. Milvus Lite builds indexes at once and lacks the RPC
        (AllocTimestamp) pymilvus polls a new index with, which ``create_collection`` always does,
        so on Lite the indexes are created apart, unpolled; a server is polled."""
        if self.lite:
            self.client.create_collection(name, schema=fields)
            self.client.create_index(name, index, sync=False)
        else:
            self.client.create_collection(name, schema=fields, index_params=index)

    # ---- meta ---------------------------------------------------------------------
    def get_value(self, key: str) -> str | None:
        """A meta value (stored in parts of ≤ 60 KB: ``key``, ``key#1``, ...)."""
        rows = self.client.query(self.names.meta, filter=f"key == {literal(key)}", output_fields=["value"])
        if not rows:
            return None
        head = json.loads(rows[0]["value"])
        parts = [head["text"]]
        for i in range(1, head["parts"]):
            more = self.client.query(self.names.meta, filter=f"key == {literal(f'{key}#{i}')}",
                                     output_fields=["value"])
            parts.append(more[0]["value"])
        return "".join(parts)

    def put_value(self, key: str, value: str) -> None:
        pieces = [value[i : i + schema.TEXT_PART_CHARS] for i in range(0, len(value), schema.TEXT_PART_CHARS)] or [""]
        rows = [{"key": f"{key}#{i}", "value": piece, "_v": schema.placeholder()} for i, piece in
                enumerate(pieces[1:], start=1)]
        if rows:
            self.client.upsert(self.names.meta, rows)
        # the head row goes last: a reader sees the new parts only once it points at them
        head = json.dumps({"parts": len(pieces), "text": pieces[0]}, ensure_ascii=False)
        self.client.upsert(self.names.meta, [{"key": key, "value": head, "_v": schema.placeholder()}])

    def active_version(self) -> int | None:
        value = self.get_value("active")
        return None if value is None else int(value)

    def state(self, version: int) -> dict[str, Any]:
        value = self.get_value(f"state:{version}")
        if value is None:
            raise BackendUnavailable(f"Milvus index {self.prefix!r} at {self.uri} has no state for version {version}; "
                                     "rebuild it (`python -m indexer build ... --backend milvus`)")
        return json.loads(value)

    def put_state(self, version: int, state: dict[str, Any]) -> None:
        self.put_value(f"state:{version}", json.dumps(state, ensure_ascii=False))

    # ---- versions -----------------------------------------------------------------
    def use(self, version: int) -> None:
        """Serve ``version``: load its collections."""
        names = schema.Names.of(self.prefix, version)
        for name in names.versioned():
            if not self.client.has_collection(name):
                raise BackendUnavailable(f"Milvus collection {name} is missing at {self.uri}; rebuild the index")
            self.client.load_collection(name)
        self.names = names

    def create_version(self, version: int, dim: int, lexical: str, jieba_dict: list[str], stop: list[str]) -> None:
        names = schema.Names.of(self.prefix, version)
        self.drop_version(version)
        makers = {
            names.docs: schema.docs_schema, names.texts: schema.texts_schema, names.terms: schema.terms_schema,
            names.chunks: lambda c: schema.chunks_schema(c, dim, self.lite, lexical, jieba_dict, stop),
        }
        for name, make in makers.items():
            self._create(name, *make(self.client))
            self.client.load_collection(name)
        self.names = names

    def publish(self, version: int) -> None:
        self.put_value("active", str(version))

    def drop_version(self, version: int) -> None:
        for name in schema.Names.of(self.prefix, version).versioned():
            if self.client.has_collection(name):
                self.client.drop_collection(name)

    # ---- rows ---------------------------------------------------------------------
    def insert(self, collection: str, rows: Sequence[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(rows), INSERT_BATCH):
            ids.extend(self.client.insert(collection, list(rows[start : start + INSERT_BATCH]))["ids"])
        return ids

    def upsert(self, collection: str, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), INSERT_BATCH):
            self.client.upsert(collection, list(rows[start : start + INSERT_BATCH]))

    def settle(self, *collections: str) -> None:
        """On Milvus Lite, move written rows from the in-memory table into segments after a write.

        Lite keeps up to 128 MB of new rows in a table that every search scans row by row in
        Python (and re-indexes, for sparse vectors); once flushed, rows live in segments whose
        indexes are built once. A server seals segments itself, so nothing is done there.
        """
        if self.lite:
            for name in collections:
                self.client.flush(name)

    def delete(self, collection: str, expression: str) -> None:
        self.client.delete(collection, filter=expression)

    def query(self, collection: str, expression: str, fields: list[str], limit: int | None = None) -> list[dict]:
        kwargs = {"limit": limit} if limit else {}
        return self.client.query(collection, filter=expression, output_fields=fields, **kwargs)

    def lookup(self, collection: str, field: str, values: Sequence, fields: list[str]) -> list[dict]:
        """Rows whose ``field`` is one of ``values`` (in batches)."""
        rows: list[dict] = []
        values = list(dict.fromkeys(values))
        for start in range(0, len(values), LOOKUP_BATCH):
            part = values[start : start + LOOKUP_BATCH]
            rows.extend(self.query(collection, in_list(field, part), fields, limit=len(part) * 64))
        return rows

    def scan(self, collection: str, expression: str, fields: list[str]) -> Iterator[dict]:
        """Every matching row: one query on Milvus Lite, page by page on a server (which caps a query at 16,384)."""
        if self.lite:
            yield from self.client.query(collection, filter=expression, output_fields=fields)
            return
        iterator = self.client.query_iterator(collection, batch_size=PAGE, filter=expression, output_fields=fields)
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()

    def close(self) -> None:
        self.client.close()
