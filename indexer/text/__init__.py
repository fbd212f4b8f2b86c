"""Text analysis shared by ingestion and retrieval: normal form, tokens, question intent, patterns."""
