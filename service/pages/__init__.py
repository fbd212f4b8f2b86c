"""Server-rendered HTML pages (every piece of document text escaped)."""
