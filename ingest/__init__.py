"""Ingest: read article files, keep their text spans, chunk, embed and upsert them into Chroma."""
