"""Ranking over loaded index structures: BM25, dense, fusion, confidence, routing, reranking."""
